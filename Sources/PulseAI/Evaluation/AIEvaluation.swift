import Foundation
import Logging
import PulseDatabaseOps
import PulseObservability
import PulsePostgres

/// `pulse-ai eval`: builds the evaluation corpus in a throwaway PostgreSQL cluster, embeds
/// it with the local model and measures duplicate detection, search, story points, forecast
/// coverage and anomaly detection. Prints a Markdown report (and writes JSON with --json).
public enum AIEvaluation {
    struct Options {
        var items = 5000
        var seed: UInt64 = 20_261_207
        var migrations = "migrations"
        var json: String?
        var queries = 300
        var backtests = 300
        var anomalySeries = 400
        var calibrate = false
    }

    public static func main(_ arguments: [String]) async -> Int32 {
        var options = Options()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch argument {
            case "--items": options.items = Int(value) ?? options.items
            case "--seed": options.seed = UInt64(value) ?? options.seed
            case "--migrations": options.migrations = value
            case "--json": options.json = value
            case "--queries": options.queries = Int(value) ?? options.queries
            case "--calibrate":
                options.calibrate = true
                rest = [value] + rest
            case "": break
            default:
                FileHandle.standardError.write(Data("usage: pulse-ai eval [--items N] [--seed S] [--queries N] [--migrations DIR] [--json FILE]\n".utf8))
                return 64
            }
        }
        do {
            try await run(options)
            return 0
        } catch {
            FileHandle.standardError.write(Data("pulse-ai eval: \(error)\n".utf8))
            return 1
        }
    }

    static func log(_ text: String) { FileHandle.standardError.write(Data("[eval] \(text)\n".utf8)) }

    static func run(_ options: Options) async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory() + "pulse-ai-eval-\(getpid())")
        try await withThrowawayCluster(directory: directory) { connection in
            try await evaluate(options, connection: connection, directory: directory)
        }
    }

    /// Runs `body` against a fresh PostgreSQL cluster (no replica) in `directory`, deleted after.
    static func withThrowawayCluster(directory: URL, _ body: (ConnectionInfo) async throws -> Void) async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var cluster: EmbeddedCluster?
        var connection: ConnectionInfo?
        for attempt in 1...8 {
            var configuration = EmbeddedClusterConfiguration(directory: directory.appendingPathComponent("pg"))
            configuration.primaryPort = Int.random(in: 20_000...40_000)
            configuration.withReplica = false
            configuration.extraSettings = ["fsync = off", "full_page_writes = off", "shared_buffers = '128MB'", "log_min_messages = warning"]
            log("starting PostgreSQL on port \(configuration.primaryPort)")
            let candidate = EmbeddedCluster(configuration: configuration)
            do {
                connection = try await candidate.up()
                cluster = candidate
                break
            } catch where attempt < 8 {
                log("\(error); trying another port")
            }
        }
        guard let cluster, let connection else { throw AIError.unavailable("PostgreSQL did not start") }
        do {
            try await body(connection)
            try? await cluster.down()
        } catch {
            try? await cluster.down()
            throw error
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static func evaluate(_ options: Options, connection: ConnectionInfo, directory: URL) async throws {
        _ = try await MigrationRunner(directory: URL(fileURLWithPath: options.migrations)).up(connection.ownerURL)
        let owner = try PostgresDatabase(configuration: PostgresConfiguration(primary: connection.ownerURL))
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: connection.primaryURL))
        let clientID = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ('Evaluation', 'eval') RETURNING id")[0].decode(Int.self, at: 0)
        }
        let corpus = EvalCorpus.generate(count: options.items, seed: options.seed)
        log("corpus: \(corpus.items.count) items, \(corpus.pairs.count) planted duplicate pairs, \(corpus.items.filter(\.heldOut).count) held out")

        // Store: training items finished over the last 26 weeks with points; held-out items open without points.
        var projectIDs: [String: Int] = [:]
        for project in Set(corpus.items.map(\.project)).sorted() {
            projectIDs[project] = try await database.client(clientID).query(
                "INSERT INTO projects (client_id, key, name) VALUES ($1, $2, $2) RETURNING id", [clientID, project])[0].decode(Int.self, at: 0)
        }
        var rng = SplitMix64(seed: options.seed ^ 0xA5A5)
        var rowIDs: [Int: Int64] = [:]
        let now = Date()
        for chunk in stride(from: 0, to: corpus.items.count, by: 500) {
            try await database.client(clientID).write { tx in
                for item in corpus.items[chunk..<min(chunk + 500, corpus.items.count)] {
                    let resolved = item.heldOut ? nil : now.addingTimeInterval(-Double(rng.next() % (26 * 7 * 86_400)))
                    let created = (resolved ?? now).addingTimeInterval(-Double(86_400 + rng.next() % (20 * 86_400)))
                    let id = try await tx.query("""
                        INSERT INTO work_items (client_id, project_id, key, summary, description, story_points, source_created_at, resolved_at, wit_name)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Story') RETURNING id
                        """, [clientID, projectIDs[item.project], item.key, item.summary, item.description,
                              item.heldOut ? nil : item.storyPoints, created, resolved])[0].decode(Int64.self, at: 0)
                    rowIDs[item.index] = id
                }
            }
        }
        let indexByRow = Dictionary(uniqueKeysWithValues: rowIDs.map { ($1, $0) })

        var logger = Logger(label: "pulse.ai.eval")
        logger.logLevel = .warning
        let engine = try AIEngine(database: database, dataDirectory: directory.path, metrics: MetricsRegistry(), logger: logger, batchSize: 64)
        log("embedding \(corpus.items.count + projectIDs.count) documents with the local model (2 threads)…")
        let embedStart = ContinuousClock.now
        await engine.pipeline.drainNow(clientID: clientID)
        let embedSeconds = (ContinuousClock.now - embedStart).seconds
        let status = engine.pipeline.status(clientID: clientID)
        guard status.state == "idle" else { throw AIError.unavailable("embedding failed: \(status.lastError ?? "?")") }
        log(String(format: "embedded %d documents in %.1f s (%.1f items/s, model time only %.1f items/s)", status.embedded, embedSeconds,
                   Double(status.embedded) / embedSeconds, status.itemsPerSecond ?? 0))

        if options.calibrate {
            try await calibrate(options, corpus: corpus, engine: engine, clientID: clientID, rowIDs: rowIDs, indexByRow: indexByRow)
            return
        }

        // 1. Duplicates at the default threshold (chosen before this corpus existed; never tuned on it).
        let planted = Set(corpus.pairs.map { FeedbackStore.pairKey(AIItemRef(type: .workItem, id: rowIDs[$0.0]!), AIItemRef(type: .workItem, id: rowIDs[$0.1]!)) })
        var duplicateRows: [(threshold: Double, predicted: Int, correct: Int, precision: Double, recall: Double)] = []
        for threshold in [AISettings.defaultDuplicateThreshold, 0.75, 0.85, 0.9] {
            let found = try await engine.search.duplicates(clientID: clientID, projectID: nil, threshold: threshold, limit: 1_000_000)
            let keys = found.map { FeedbackStore.pairKey(AIItemRef(type: .workItem, id: $0.a.id), AIItemRef(type: .workItem, id: $0.b.id)) }
            let correct = keys.filter { planted.contains($0) }.count
            duplicateRows.append((threshold, keys.count, correct, keys.isEmpty ? 0 : Double(correct) / Double(keys.count),
                                  Double(correct) / Double(max(1, planted.count))))
        }

        // Similarity of the planted pairs (cosine of the stored vectors), for the report.
        var pairSimilarities: [Double] = []
        for (a, b) in corpus.pairs {
            guard let x = try await engine.documents.vector(clientID: clientID, ref: AIItemRef(type: .workItem, id: rowIDs[a]!), model: status.model ?? ""),
                let y = try await engine.documents.vector(clientID: clientID, ref: AIItemRef(type: .workItem, id: rowIDs[b]!), model: status.model ?? "")
            else { continue }
            pairSimilarities.append(Double(zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }))
        }
        pairSimilarities.sort()
        if let example = corpus.pairs.first {
            log("example pair: '\(corpus.items[example.0].summary)' / '\(corpus.items[example.1].summary)'")
        }

        // 2. Search nDCG@10: queries written with the other phrasing and the subject's other name.
        var queryRNG = SplitMix64(seed: options.seed ^ 0x5EA4C4)
        var targets = Array(corpus.items.indices)
        for i in stride(from: targets.count - 1, to: 0, by: -1) { targets.swapAt(i, Int(queryRNG.next() % UInt64(i + 1))) }
        targets = Array(targets.prefix(options.queries))
        var ndcg: [SearchQuery.Mode: Double] = [:]
        var latencies: [Double] = []
        for mode in SearchQuery.Mode.allCases {
            var total = 0.0
            for target in targets {
                let item = corpus.items[target]
                let relevant = Set(corpus.items.filter { $0.topic == item.topic }.map(\.index))
                var query = SearchQuery(text: item.query)
                query.limit = 10
                query.mode = mode
                query.types = [.workItem]
                let started = ContinuousClock.now
                let answer = try await engine.search.search(clientID: clientID, query)
                if mode == .hybrid { latencies.append((ContinuousClock.now - started).seconds * 1000) }
                let ranked = answer.results.compactMap { indexByRow[$0.id] }
                total += Self.ndcg(ranked: ranked, relevant: relevant, k: 10)
            }
            ndcg[mode] = total / Double(targets.count)
        }

        // 3. Story points on the held-out items against each project's median of the training points.
        var errors: [Double] = [], baseline: [Double] = []
        var medians: [String: Double] = [:]
        for project in projectIDs.keys {
            medians[project] = RobustStatistics.median(corpus.items.filter { $0.project == project && !$0.heldOut }.map(\.storyPoints))
        }
        for item in corpus.items where item.heldOut {
            let estimate = try await engine.estimator.estimate(clientID: clientID, workItemID: rowIDs[item.index]!, log: false)
            errors.append(abs(estimate.estimate - item.storyPoints))
            baseline.append(abs((medians[item.project] ?? 0) - item.storyPoints))
        }
        let mae = errors.reduce(0, +) / Double(max(1, errors.count)), baseMAE = baseline.reduce(0, +) / Double(max(1, baseline.count))

        // 4. Forecast back-tests and 5. anomalies (synthetic series, see ForecastBacktest / AnomalyBenchmark).
        let backtest = ForecastBacktest.run(teams: options.backtests, seed: options.seed)
        let anomaly = AnomalyBenchmark.run(series: options.anomalySeries, seed: options.seed)

        let sortedLatency = latencies.sorted()
        var report = """
            ## Results (`pulse-ai eval --items \(options.items) --seed \(options.seed)`)

            Corpus: \(corpus.items.count) work items in \(projectIDs.count) projects, \(corpus.pairs.count) planted duplicate pairs, \
            \(corpus.items.filter(\.heldOut).count) held-out items (open, no story points). Embedding: \(status.embedded) documents in \
            \(String(format: "%.1f", embedSeconds)) s (\(String(format: "%.1f", Double(status.embedded) / embedSeconds)) items/s end to end).

            | measure | value | goal |
            |---|---|---|

            """
        let d = duplicateRows[0]
        report += "| duplicate precision at the default threshold \(d.threshold) | \(f(d.precision)) (\(d.correct)/\(d.predicted)) | ≥ 0.85 |\n"
        report += "| duplicate recall at the default threshold \(d.threshold) | \(f(d.recall)) (\(d.correct)/\(planted.count)) | ≥ 0.85 |\n"
        report += "| search nDCG@10 hybrid | \(f(ndcg[.hybrid] ?? 0)) | best of the three |\n"
        report += "| search nDCG@10 keyword only | \(f(ndcg[.keyword] ?? 0)) | |\n"
        report += "| search nDCG@10 vector only | \(f(ndcg[.vector] ?? 0)) | |\n"
        report += "| story points MAE (kNN) | \(f(mae)) | ≤ 0.8 × baseline |\n"
        report += "| story points MAE (project median) | \(f(baseMAE)) (ratio \(f(mae / baseMAE))) | |\n"
        report += "| forecast P85 coverage (\(backtest.count) back-tests) | \(f(backtest.coverage)) | 0.80-0.90 |\n"
        report += "| anomaly precision (\(anomaly.series) series, \(anomaly.planted) planted) | \(f(anomaly.precision)) | ≥ 0.8 |\n"
        report += "| anomaly recall | \(f(anomaly.recall)) | ≥ 0.8 |\n"
        report += "| hybrid search latency in-process p50 / p99 (\(latencies.count) queries, sequential) | \(f(RobustStatistics.percentile(sorted: sortedLatency, 0.5))) / \(f(RobustStatistics.percentile(sorted: sortedLatency, 0.99))) ms | |\n"
        report += "| forecast latency, 10,000 trials (mean of \(backtest.count)) | \(f(backtest.meanMilliseconds)) ms | < 100 ms |\n"
        report += "| cosine similarity of the planted pairs p10 / p50 / p90 | \(f(RobustStatistics.percentile(sorted: pairSimilarities, 0.1))) / \(f(RobustStatistics.percentile(sorted: pairSimilarities, 0.5))) / \(f(RobustStatistics.percentile(sorted: pairSimilarities, 0.9))) | |\n"
        report += "\nDuplicates at other thresholds (for information; the default was not changed after seeing these):\n\n| threshold | predicted | correct | precision | recall |\n|---|---|---|---|---|\n"
        for row in duplicateRows.dropFirst() {
            report += "| \(row.threshold) | \(row.predicted) | \(row.correct) | \(f(row.precision)) | \(f(row.recall)) |\n"
        }
        print(report)
        if let path = options.json {
            let object: [String: Any] = [
                "items": corpus.items.count, "pairs": corpus.pairs.count, "embed_seconds": embedSeconds,
                "duplicate_precision": d.precision, "duplicate_recall": d.recall, "ndcg_hybrid": ndcg[.hybrid] ?? 0,
                "ndcg_keyword": ndcg[.keyword] ?? 0, "ndcg_vector": ndcg[.vector] ?? 0, "mae": mae, "baseline_mae": baseMAE,
                "forecast_coverage": backtest.coverage, "anomaly_precision": anomaly.precision, "anomaly_recall": anomaly.recall,
            ]
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        }
        engine.stop()
    }

    /// Development only (`--calibrate`, run on a development seed, never the reported one):
    /// duplicate precision/recall over thresholds and hybrid nDCG over keyword weights.
    static func calibrate(_ options: Options, corpus: EvalCorpus, engine: AIEngine, clientID: Int, rowIDs: [Int: Int64],
                          indexByRow: [Int64: Int]) async throws {
        let planted = Set(corpus.pairs.map { FeedbackStore.pairKey(AIItemRef(type: .workItem, id: rowIDs[$0.0]!), AIItemRef(type: .workItem, id: rowIDs[$0.1]!)) })
        let all = try await engine.search.duplicates(clientID: clientID, projectID: nil, threshold: 0.4, limit: 1_000_000)
        for threshold in stride(from: 0.5, through: 0.95, by: 0.05) {
            let keys = all.filter { $0.score >= threshold }.map { FeedbackStore.pairKey(AIItemRef(type: .workItem, id: $0.a.id), AIItemRef(type: .workItem, id: $0.b.id)) }
            let correct = keys.filter { planted.contains($0) }.count
            let p = keys.isEmpty ? 0 : Double(correct) / Double(keys.count), r = Double(correct) / Double(max(1, planted.count))
            print("threshold \(f(threshold)): predicted \(keys.count) precision \(f(p)) recall \(f(r)) F1 \(f(p + r > 0 ? 2 * p * r / (p + r) : 0))")
        }
        let targets = Array(corpus.items.indices.shuffled().prefix(options.queries))
        for weight in [1.0, 0.5, 0.3, 0.2, 0.1] {
            var total = 0.0
            for target in targets {
                let item = corpus.items[target]
                var query = SearchQuery(text: item.query)
                query.limit = 10
                query.types = [.workItem]
                query.keywordWeight = weight
                let answer = try await engine.search.search(clientID: clientID, query)
                total += ndcg(ranked: answer.results.compactMap { indexByRow[$0.id] },
                              relevant: Set(corpus.items.filter { $0.topic == item.topic }.map(\.index)), k: 10)
            }
            print("keyword weight \(weight): hybrid nDCG@10 \(f(total / Double(targets.count)))")
        }
    }

    static func f(_ value: Double) -> String { String(format: "%.3f", value) }

    /// nDCG@k with binary relevance.
    static func ndcg(ranked: [Int], relevant: Set<Int>, k: Int) -> Double {
        var dcg = 0.0
        for (i, item) in ranked.prefix(k).enumerated() where relevant.contains(item) { dcg += 1 / log2(Double(i) + 2) }
        var ideal = 0.0
        for i in 0..<min(k, relevant.count) { ideal += 1 / log2(Double(i) + 2) }
        return ideal > 0 ? dcg / ideal : 0
    }
}

import Foundation
import Logging
import PulseDatabaseOps
import PulseHTTP
import PulseHTTPClient
import PulseObservability
import PulsePostgres
import PulseSecurity
import PulseService
import Synchronization

/// `pulse-ai bench`: a large client in a throwaway cluster, then `/ai/search` over HTTP at N
/// concurrent callers (query embedding included), forecast latency, and the process RSS.
///
/// Vectors are generated directly (uniform random, unit length) instead of embedding every
/// item: 100,000 items with the local model would take over half an hour on this machine.
/// Random 384-d vectors are the hardest case for HNSW (no cluster structure), so search cost
/// is not flattered. The items' text is real corpus text, so full-text search does real work.
public enum AIBenchmark {
    public static func main(_ arguments: [String]) async -> Int32 {
        var items = 100_000, concurrency = 8, seconds = 20.0, migrations = "migrations"
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch argument {
            case "--items": items = Int(value) ?? items
            case "--concurrency": concurrency = Int(value) ?? concurrency
            case "--seconds": seconds = Double(value) ?? seconds
            case "--migrations": migrations = value
            default:
                FileHandle.standardError.write(Data("usage: pulse-ai bench [--items N] [--concurrency N] [--seconds S] [--migrations DIR]\n".utf8))
                return 64
            }
        }
        do {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory() + "pulse-ai-bench-\(getpid())")
            try await AIEvaluation.withThrowawayCluster(directory: directory) { connection in
                try await run(items: items, concurrency: concurrency, seconds: seconds, migrations: migrations, connection: connection,
                              directory: directory)
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("pulse-ai bench: \(error)\n".utf8))
            return 1
        }
    }

    static func rss() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
        let lines = status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }
        return lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ") }.joined(separator: " / ")
    }

    static func run(items: Int, concurrency: Int, seconds: Double, migrations: String, connection: ConnectionInfo, directory: URL) async throws {
        let log = AIEvaluation.log
        _ = try await MigrationRunner(directory: URL(fileURLWithPath: migrations)).up(connection.ownerURL)
        let owner = try PostgresDatabase(configuration: PostgresConfiguration(primary: connection.ownerURL))
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: connection.primaryURL))
        let clientID = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ('Bench', 'bench') RETURNING id")[0].decode(Int.self, at: 0)
        }
        let project = try await database.client(clientID).query(
            "INSERT INTO projects (client_id, key, name) VALUES ($1, 'BIG', 'Big') RETURNING id", [clientID])[0].decode(Int.self, at: 0)
        let corpus = EvalCorpus.generate(count: items, seed: 4242)
        let loadStart = ContinuousClock.now
        for chunk in stride(from: 0, to: corpus.items.count, by: 5000) {
            let slice = corpus.items[chunk..<min(chunk + 5000, corpus.items.count)]
            try await database.client(clientID).query("""
                INSERT INTO work_items (client_id, project_id, key, summary, description, source_created_at, embedding, embedding_model)
                SELECT $1, $2, k, s, d, now(),
                       (SELECT array_agg(((random() - 0.5) / 10)::real) FROM generate_series(1, 384) WHERE k IS NOT NULL), 'all-MiniLM-L6-v2'
                FROM unnest($3::text[], $4::text[], $5::text[]) AS t(k, s, d)
                """, [clientID, project, slice.map { "BIG-\($0.index + 1)" }, slice.map(\.summary), slice.map(\.description)])
        }
        let engine = try AIEngine(database: database, dataDirectory: directory.path, metrics: MetricsRegistry(),
                                  logger: { var l = Logger(label: "pulse.ai.bench"); l.logLevel = .warning; return l }())
        _ = try await engine.documents.refresh(clientID: clientID)
        try await database.client(clientID).query("""
            UPDATE ai_documents SET model = 'all-MiniLM-L6-v2', dimension = 384, embedded_hash = content_hash, embedded_at = now()
            WHERE client_id = $1 AND item_type = 'work_item'
            """, [clientID])
        log("loaded \(items) items with generated vectors in \(String(format: "%.1f", (ContinuousClock.now - loadStart).seconds)) s")
        let key = VectorIndexStore.Key(clientID: clientID, model: "all-MiniLM-L6-v2", dimension: 384)
        let buildStart = ContinuousClock.now
        let index = try await engine.indexes.index(key)
        let buildSeconds = (ContinuousClock.now - buildStart).seconds
        engine.indexes.saveDirty()
        engine.indexes.unloadAll()
        let loadIndexStart = ContinuousClock.now
        _ = try await engine.indexes.index(key)
        let reloadSeconds = (ContinuousClock.now - loadIndexStart).seconds
        let afterIndex = rss()
        log("index: \(index.count) vectors, built from the database in \(String(format: "%.1f", buildSeconds)) s, reloaded in \(String(format: "%.1f", reloadSeconds)) s; RSS/HWM \(afterIndex)")

        // HTTP: the same routes and authentication as pulse-ai.
        let signingKey = Ed25519SigningKey.generate()
        var keys = Router()
        keys.get("/.well-known/jwks.json") { _ in .bytes(JWKSet(keys: [signingKey.verificationKey.jwk]).jsonBytes(), contentType: "application/json") }
        let jwks = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 1), responder: keys)
        let jwksPort = try jwks.start()
        let issuer = "http://bench.auth"
        let auth = try ServiceAuthentication(settings: AuthSettings(authURL: "http://127.0.0.1:\(jwksPort)", issuer: issuer), client: try HTTPClient())
        var routes = ServiceRoutes()
        AIRoutes(engine: engine, auth: auth).register(on: &routes)
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2), responder: routes.router)
        let port = try server.start()
        let token = try AccessTokenIssuer(issuer: issuer, audience: ["pulse"]).issue(
            subject: "1", clientID: String(clientID), roles: ["admin"], permissions: ["ai:read", "ai:write"], sessionID: "bench",
            key: SigningKey(signingKey), now: Date()).token
        let queries = corpus.items.prefix(500).map(\.query)
        let client = try HTTPClient()
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token)")
        // Warm-up (model load, JWKS fetch).
        for q in queries.prefix(5) {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ai/search?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", headers: headers))
        }
        let state = LoadState()
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let phaseStart = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                let headers = headers
                group.addTask {
                    var n = worker
                    while ContinuousClock.now < deadline {
                        let q = queries[n % queries.count].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                        n += concurrency
                        let started = ContinuousClock.now
                        do {
                            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ai/search?q=\(q)&limit=20", headers: headers))
                            if response.status.code != 200 { state.failures.add(1, ordering: .relaxed) }
                        } catch {
                            state.failures.add(1, ordering: .relaxed)
                        }
                        let ms = (ContinuousClock.now - started).seconds * 1000
                        state.latencies.withLock { $0.append(ms) }
                    }
                }
            }
            group.addTask {
                while ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .seconds(2))
                    state.peak.withLock { $0 = rss() }
                }
            }
        }
        let elapsed = (ContinuousClock.now - phaseStart).seconds
        let sorted = state.latencies.withLock { $0 }.sorted()
        let f = AIEvaluation.f
        print("""
            ## pulse-ai bench (\(items) items, \(concurrency) concurrent, \(Int(seconds)) s)

            | measure | value |
            |---|---|
            | index build from the database (\(index.count) vectors, 2 threads) | \(f(buildSeconds)) s |
            | index reload from its file | \(f(reloadSeconds)) s |
            | /ai/search requests | \(sorted.count) in \(f(elapsed)) s = \(f(Double(sorted.count) / elapsed)) req/s, \(state.failures.load(ordering: .relaxed)) failed |
            | /ai/search p50 / p90 / p99 (HTTP, query embedding + HNSW + full-text + RRF) | \(f(RobustStatistics.percentile(sorted: sorted, 0.5))) / \(f(RobustStatistics.percentile(sorted: sorted, 0.9))) / \(f(RobustStatistics.percentile(sorted: sorted, 0.99))) ms |
            | RSS / peak RSS with the index loaded (before the load phase) | \(afterIndex) |
            | RSS / peak RSS during the load phase | \(state.peak.withLock { $0 }) |
            """)
        // Forecast latency: 10,000 trials, in process and over HTTP (with the DB throughput query and the prediction log).
        var pure: [Double] = []
        for n in 0..<200 {
            let started = ContinuousClock.now
            _ = MonteCarloForecast.simulate(history: [3, 0, 5, 2, 7, 1, 4, 3, 6, 2, 5, 4, 3, 8, 2, 4, 5, 3, 1, 6, 4, 3, 5, 2, 4, 6],
                                            remaining: 60 + n % 60, trials: 10_000, seed: UInt64(n))
            pure.append((ContinuousClock.now - started).seconds * 1000)
        }
        try await database.client(clientID).query(
            "UPDATE work_items SET resolved_at = now() - (id % 180) * interval '1 day' WHERE client_id = $1 AND id % 3 = 0", [clientID])
        var http: [Double] = []
        var postHeaders = headers
        postHeaders.add(name: "Content-Type", value: "application/json")
        for _ in 0..<50 {
            let started = ContinuousClock.now
            let response = try await client.execute(HTTPClientRequest(method: .post, url: "http://127.0.0.1:\(port)/ai/forecasts/delivery", headers: postHeaders,
                                                                       body: Array(#"{"items": 120, "project": "BIG", "trials": 10000}"#.utf8)))
            guard response.status.code == 200 else { throw AIError.unavailable("forecast failed: \(response.bodyText)") }
            http.append((ContinuousClock.now - started).seconds * 1000)
        }
        pure.sort()
        http.sort()
        print("| forecast, 10,000 trials, in process p50 / p99 | \(f(RobustStatistics.percentile(sorted: pure, 0.5))) / \(f(RobustStatistics.percentile(sorted: pure, 0.99))) ms |")
        print("| POST /ai/forecasts/delivery (10,000 trials, throughput query, logged) p50 / p99 | \(f(RobustStatistics.percentile(sorted: http, 0.5))) / \(f(RobustStatistics.percentile(sorted: http, 0.99))) ms |")
        await server.shutdown()
        await jwks.shutdown()
        engine.stop()
    }
}

/// What the load generator's tasks share.
final class LoadState: Sendable {
    let latencies = Mutex<[Double]>([])
    let failures = Atomic<Int>(0)
    let peak = Mutex("")
}

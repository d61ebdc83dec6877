import Foundation
import PulseCore

// Starts a throwaway embedded cluster, then measures side by side on it:
//   1. indexed single-row SELECT on pgbench_accounts, 16 clients: PulsePostgres vs pgbench -S -M prepared -c 16,
//      through the pool (16 connections, one statement each at a time, as pgbench) and through the
//      multiplexer (the 16 clients' statements pipelined over one connection per event loop)
//   3. an HTTP endpoint doing one indexed SELECT (pool, then multiplexer), with /health p99 meanwhile
//   2. bulk load of 1M work-item-like rows: PulsePostgres COPY vs psql \copy of the same data
// Usage: PostgresBench [seconds=10] [rows=1000000] [scale=10]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.count > 0 ? arguments[0] : 10
let rowCount = arguments.count > 1 ? arguments[1] : 1_000_000
let scale = arguments.count > 2 ? arguments[2] : 10
let clients = Int(ProcessInfo.processInfo.environment["PULSE_BENCH_CLIENTS"] ?? "") ?? 16
/// Database connections behind the HTTP endpoint (2 cores: a few per core, as PostgreSQL advises).
/// Set to 1 to run only the SELECT phase (shorter locked runs while working on that path).
let selectOnly = ProcessInfo.processInfo.environment["PULSE_BENCH_SELECT_ONLY"] == "1"
let httpPool = Int(ProcessInfo.processInfo.environment["PULSE_BENCH_HTTP_POOL"] ?? "") ?? 16
/// Pipelined connections per event loop for the multiplexed phases (the library's default when unset).
let multiplexedConnections = Int(ProcessInfo.processInfo.environment["PULSE_BENCH_MUX_CONNECTIONS"] ?? "")

/// Statements a connection takes before the next one of its loop is used (library default when unset).
let multiplexedSpill = Int(ProcessInfo.processInfo.environment["PULSE_BENCH_MUX_SPILL"] ?? "")

func makeMultiplexer(_ conninfo: String) throws -> PostgresMultiplexer {
    let defaults = try PostgresMultiplexer(conninfo: conninfo)
    return try PostgresMultiplexer(
        conninfo: conninfo, connectionsPerLoop: multiplexedConnections ?? defaults.connectionsPerLoop,
        spillThreshold: multiplexedSpill ?? defaults.spillThreshold)
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func makeConfiguration() -> EmbeddedClusterConfiguration {
    var configuration = EmbeddedClusterConfiguration(
        directory: URL(fileURLWithPath: "/tmp/pulse-bench-\(getpid())"))
    configuration.withReplica = false
    var port = 0
    repeat { port = Int.random(in: 20_000...59_000) } while !(ProcessRunnerProbe.isFree(port))
    configuration.primaryPort = port
    configuration.extraSettings = ["max_connections = 100", "shared_buffers = '256MB'"]
    return configuration
}

enum ProcessRunnerProbe {
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// A cheap PRNG for picking account ids (pgbench has its own; no getrandom syscall per query).
struct XorShift64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// User + system CPU seconds of this process (RUSAGE_SELF) or of its waited-for children.
func cpuSeconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(Int32(who.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func number(_ text: String, after label: String) -> Double? {
    guard let range = text.range(of: label) else { return nil }
    let rest = text[range.upperBound...].drop { $0 == " " || $0 == "=" }
    return Double(rest.prefix { $0.isNumber || $0 == "." })
}

func run(_ cluster: EmbeddedCluster, seconds: Int, rowCount: Int, scale: Int) async throws {
    let configuration = cluster.configuration
    log("starting cluster in \(configuration.directory.path) on port \(configuration.primaryPort)")
    let info = try await cluster.up()
    let superuser = info.superuserURL!

    // --- 1. indexed single-row SELECT ---
    log("pgbench -i -s \(scale)")
    _ = try await cluster.runTool("pgbench", ["-i", "-q", "-s", String(scale), "pulse"])
    let accounts = 100_000 * scale
    // Warm both sides' caches the same way.
    _ = try await cluster.runTool("pgbench", ["-S", "-M", "prepared", "-c", String(clients), "-j", "2", "-T", "3", "pulse"])
    log("pgbench -S -M prepared -c \(clients) -j 2 -T \(seconds)")
    let pgbenchCPUBefore = cpuSeconds(RUSAGE_CHILDREN)
    let pgbenchOutput = try await cluster.runTool(
        "pgbench", ["-S", "-M", "prepared", "-c", String(clients), "-j", "2", "-T", String(seconds), "pulse"])
    let pgbenchCPU = cpuSeconds(RUSAGE_CHILDREN) - pgbenchCPUBefore
    let pgbenchTPS = number(pgbenchOutput, after: "tps") ?? 0
    let pgbenchCount = number(pgbenchOutput, after: "number of transactions actually processed:") ?? 1

    // The real call path per query: pool checkout -> prepared query -> decode -> release,
    // from tasks on 2 event loops (as HTTP handlers run; pgbench -j 2 uses 2 threads).
    log("PulsePostgres SELECT, \(clients) clients on 2 event loops, \(seconds) s")
    var poolOptions = PostgresPoolOptions()
    poolOptions.maxConnections = clients
    let pool = try PostgresPool(conninfo: superuser, options: poolOptions)
    let loops = try EventLoopGroup(count: 2)
    let sql = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
    /// `clients` tasks (on the 2 loops, or in the global pool) each running `select` in a loop.
    func selectLoad(
        seconds: Int, onLoops: Bool, _ select: @escaping @Sendable (Int) async throws -> Int
    ) async throws -> (perSecond: Double, count: Int, cpu: Double) {
        let cpuBefore = cpuSeconds(RUSAGE_SELF)
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<clients {
                let body: @Sendable () async throws -> Int = {
                    var count = 0
                    var generator = XorShift64(seed: UInt64(client + 1) &* 0x9E37_79B9_7F4A_7C15)
                    while ContinuousClock.now < deadline {
                        let balance = try await select(Int.random(in: 1...accounts, using: &generator))
                        count += balance == Int.min ? 0 : 1
                    }
                    return count
                }
                if onLoops {
                    group.addTask(executorPreference: loops.loops[client % loops.loops.count], operation: body)
                } else {
                    group.addTask(operation: body)
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = secs(ContinuousClock.now - started)
        return (Double(total) / elapsed, total, cpuSeconds(RUSAGE_SELF) - cpuBefore)
    }
    // The real call path per query: pool checkout -> prepared query -> decode -> release.
    let pooled: @Sendable (Int) async throws -> Int = { aid in
        try await pool.withConnection { connection in
            try await connection.query(sql, [aid])[0].decode(Int.self, at: 0)
        }
    }
    _ = try await selectLoad(seconds: 1, onLoops: true, pooled)  // open the pool's connections, prepare
    let ours = try await selectLoad(seconds: seconds, onLoops: true, pooled)
    log("PulsePostgres SELECT from the global concurrency pool (no loop), \(max(seconds / 2, 1)) s")
    let unbound = try await selectLoad(seconds: max(seconds / 2, 1), onLoops: false, pooled)
    pool.shutdown()
    // The same statements through the multiplexer: one pipelined connection per event loop.
    let multiplexer = try makeMultiplexer(superuser)
    log("PulsePostgres SELECT multiplexed, \(clients) clients on 2 event loops (up to \(multiplexer.connectionsPerLoop) pipelined connections each, next one used beyond \(multiplexer.spillThreshold) statements), \(seconds) s")
    let multiplexed: @Sendable (Int) async throws -> Int = { aid in
        try await multiplexer.query(sql, [aid])[0].decode(Int.self, at: 0)
    }
    _ = try await selectLoad(seconds: 1, onLoops: true, multiplexed)
    let piped = try await selectLoad(seconds: seconds, onLoops: true, multiplexed)
    await multiplexer.shutdown()
    await loops.shutdown()
    func printSelect() {
    print(String(format: "indexed SELECT, %d clients, %d s:  PulsePostgres %.0f q/s   pgbench -S -M prepared %.0f tps   ratio %.2f",
                 clients, seconds, ours.perSecond, pgbenchTPS, ours.perSecond / max(pgbenchTPS, 1)))
    print(String(format: "  client CPU per query:  PulsePostgres %.1f us   pgbench %.1f us",
                 ours.cpu / Double(max(ours.count, 1)) * 1e6, pgbenchCPU / max(pgbenchCount, 1) * 1e6))
    print(String(format: "indexed SELECT, %d clients multiplexed over up to %d pipelined connections, %d s:  PulsePostgres %.0f q/s   pgbench -S -M prepared %.0f tps   ratio %.2f",
                 clients, 2 * multiplexer.connectionsPerLoop, seconds, piped.perSecond, pgbenchTPS, piped.perSecond / max(pgbenchTPS, 1)))
    print(String(format: "  client CPU per query:  PulsePostgres multiplexed %.1f us", piped.cpu / Double(max(piped.count, 1)) * 1e6))
    print(String(format: "  same path from the global concurrency pool (no event loop, %d s): %.0f q/s, %.1f us CPU per query",
                 max(seconds / 2, 1), unbound.perSecond, unbound.cpu / Double(max(unbound.count, 1)) * 1e6))
    }
    if selectOnly {
        print("PostgreSQL data layer benchmark, SELECT phase only (\(Date()))")
        printSelect()
        return
    }


    // --- 3. HTTP endpoint with one indexed query (before the bulk load fills the cache) ---
    log("HTTP: wrk -c64 on /accounts/:aid and wrk -c2 on /health, \(seconds) s")
    let http = try await runHTTPPhase(
        conninfo: superuser, accounts: accounts, seconds: seconds, poolSize: httpPool, multiplexed: false,
        scratch: configuration.directory)
    log("HTTP, multiplexed: wrk -c64 on /accounts/:aid and wrk -c2 on /health, \(seconds) s")
    let httpMultiplexed = try await runHTTPPhase(
        conninfo: superuser, accounts: accounts, seconds: seconds, poolSize: httpPool, multiplexed: true,
        scratch: configuration.directory)

    // --- 2. bulk load ---
    let admin = try await PostgresConnection.connect(superuser)
    let table = """
        CREATE TABLE IF NOT EXISTS bench_work_items (client_id int, key text, summary text, status text,
            story_points real, labels text[], created_at timestamptz)
        """
    try await admin.execute(table)
    let base = Date(timeIntervalSince1970: 1_700_000_000)
    let statuses = ["To Do", "In Progress", "In Review", "Done"]
    // Rows as the application holds them (e.g. fetched from Jira); built before timing, as the
    // file psql reads is written before timing.
    struct Row {
        let client: Int, key: String, summary: String, status: String, points: Float, labels: [String], created: Date
    }
    log("building \(rowCount) rows")
    var rows: [Row] = []
    rows.reserveCapacity(rowCount)
    for i in 0..<rowCount {
        let status: String = statuses[i % 4]
        let summary: String = "Work item \(i): fix the \(status.lowercased()) flow\tfor team \(i % 17)"
        let labels: [String] = ["backend", "q\(i % 4)"]
        let created: Date = base.addingTimeInterval(Double(i) * 37)
        rows.append(Row(client: 1 + i % 5, key: "PULSE-\(i)", summary: summary, status: status,
                        points: Float(i % 13), labels: labels, created: created))
    }
    func fields(_ i: Int) -> [any PostgresEncodable] {
        let row = rows[i]
        return [row.client, row.key, row.summary, row.status, row.points, row.labels, row.created]
    }
    // The same rows as a COPY text file for psql \copy (written by our encoder, read by psql).
    let dataFile = configuration.directory.appendingPathComponent("work_items.copy").path
    log("writing \(rowCount) rows to \(dataFile)")
    FileManager.default.createFile(atPath: dataFile, contents: nil, attributes: [.posixPermissions: 0o644])
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataFile))
    var chunk = ""
    for i in 0..<rowCount {
        let line = try fields(i).map { value -> String in
            guard let text = try value.postgresText() else { return "\\N" }
            return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
                .replacingOccurrences(of: "\n", with: "\\n")
        }.joined(separator: "\t")
        chunk += line + "\n"
        if chunk.utf8.count > 1 << 20 {
            handle.write(Data(chunk.utf8))
            chunk = ""
        }
    }
    handle.write(Data(chunk.utf8))
    try handle.close()

    try await admin.execute("TRUNCATE bench_work_items")
    try await admin.execute("CHECKPOINT")
    log("psql \\copy")
    let psqlStart = ContinuousClock.now
    _ = try await cluster.runTool("psql", ["-d", "pulse", "-c", "\\copy bench_work_items FROM '\(dataFile)'"])
    let psqlElapsed = ContinuousClock.now - psqlStart
    let psqlCount = try await admin.query("SELECT count(*) FROM bench_work_items")[0].decode(Int.self, at: 0)

    try await admin.execute("TRUNCATE bench_work_items")
    try await admin.execute("CHECKPOINT")
    log("PulsePostgres COPY")
    let copyStart = ContinuousClock.now
    let copied = try await admin.copyFrom("COPY bench_work_items FROM STDIN") { writer in
        for row in rows {
            try await writer.writeRow { out in
                out.append(row.client)
                try out.append(row.key)
                try out.append(row.summary)
                try out.append(row.status)
                out.append(row.points)
                try out.append(row.labels)
                out.append(row.created)
            }
        }
    }
    let copyElapsed = ContinuousClock.now - copyStart
    admin.close()

    let psqlRate = Double(psqlCount) / secs(psqlElapsed)
    let ourRate = Double(copied) / secs(copyElapsed)
    print("PostgreSQL data layer benchmark (\(Date()))")
    printSelect()
    print(String(format: "HTTP GET /accounts/:aid (one indexed SELECT, pool of %d), wrk -t2 -c64 %d s: %.0f req/s, p99 ",
                 httpPool, seconds, http.queryPerSecond) + http.queryP99)
    print(String(format: "  /health during that load, wrk -t1 -c2: %.0f req/s, p99 ", http.healthPerSecond)
          + http.healthP99 + " (target < 10 ms: " + (http.healthP99Milliseconds < 10 ? "met)" : "NOT met)"))
    print(String(format: "HTTP GET /accounts/:aid (one indexed SELECT, multiplexed), wrk -t2 -c64 %d s: %.0f req/s, p99 ",
                 seconds, httpMultiplexed.queryPerSecond) + httpMultiplexed.queryP99)
    print(String(format: "  /health during that load, wrk -t1 -c2: %.0f req/s, p99 ", httpMultiplexed.healthPerSecond)
          + httpMultiplexed.healthP99 + " (target < 10 ms: "
          + (httpMultiplexed.healthP99Milliseconds < 10 ? "met)" : "NOT met)"))
    print(String(format: "bulk load %d rows:  PulsePostgres COPY %.0f rows/s (%.2f s)   psql \\copy %.0f rows/s (%.2f s)   ratio %.2f",
                 rowCount, ourRate, secs(copyElapsed), psqlRate, secs(psqlElapsed), ourRate / max(psqlRate, 1)))
}

let cluster = EmbeddedCluster(configuration: makeConfiguration())
do {
    try await run(cluster, seconds: seconds, rowCount: rowCount, scale: scale)
} catch {
    log("benchmark failed: \(error)")
}
try? await cluster.down()
try? FileManager.default.removeItem(at: cluster.configuration.directory)

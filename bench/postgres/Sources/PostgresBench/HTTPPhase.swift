import Foundation
import PulseCore

// Phase 3: an HTTP endpoint doing one indexed query, under wrk with 64 connections, while a
// second wrk with 2 connections measures /health latency on the same server.
//   GET /accounts/:aid -> {"aid":..,"abalance":..} from one prepared SELECT (through a pool of 16,
//                         or multiplexed over one pipelined connection per event loop)
//   GET /health        -> "ok" (no database)

struct HTTPPhaseResult {
    let queryPerSecond: Double
    let queryP99: String
    let healthPerSecond: Double
    let healthP99: String
    let healthP99Milliseconds: Double
}

/// Runs `wrk` and returns its output (stdout).
func runWrk(_ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// "99%    3.21ms" -> milliseconds.
func percentile99(_ output: String) -> (text: String, milliseconds: Double) {
    guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") })
    else { return ("?", .infinity) }
    let value = line.split(separator: " ").last.map(String.init) ?? "?"
    let number = Double(value.prefix { $0.isNumber || $0 == "." }) ?? .infinity
    let unit = value.drop { $0.isNumber || $0 == "." }
    let milliseconds = unit == "us" ? number / 1000 : unit == "s" ? number * 1000 : number
    return (value, milliseconds)
}

func runHTTPPhase(
    conninfo: String, accounts: Int, seconds: Int, poolSize: Int, multiplexed: Bool, scratch: URL
) async throws -> HTTPPhaseResult {
    var poolOptions = PostgresPoolOptions()
    poolOptions.maxConnections = poolSize
    let pool = try PostgresPool(conninfo: conninfo, options: poolOptions)
    let multiplexer = try makeMultiplexer(conninfo)
    let sql = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
    var router = Router()
    router.get("/health") { _ in .text("ok") }
    router.get("/accounts/:aid") { request in
        guard let aid = request.pathParameters["aid"].flatMap({ Int($0) }), aid > 0 else {
            return .text("bad account id", status: .badRequest)
        }
        let balance =
            multiplexed
            ? try await multiplexer.query(sql, [aid]).first?.decode(Int.self, at: 0)
            : try await pool.withConnection { connection in
                try await connection.query(sql, [aid]).first?.decode(Int.self, at: 0)
            }
        guard let balance else { return .text("no such account", status: .notFound) }
        return .text("{\"aid\":\(aid),\"abalance\":\(balance)}", contentType: "application/json")
    }
    let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0, eventLoopCount: 2), responder: router)
    let port = try server.start()
    defer { pool.shutdown() }

    let script = scratch.appendingPathComponent("accounts.lua")
    try """
        math.randomseed(os.time())
        request = function() return wrk.format("GET", "/accounts/" .. math.random(1, \(accounts))) end
        """.write(to: script, atomically: true, encoding: .utf8)
    let base = "http://127.0.0.1:\(port)"
    _ = try await runWrk(["-t2", "-c64", "-d2s", "-s", script.path, base + "/accounts/1"])  // warm-up
    async let query = runWrk(["-t2", "-c64", "-d\(seconds)s", "--latency", "-s", script.path, base + "/accounts/1"])
    async let health = runWrk(["-t1", "-c2", "-d\(seconds)s", "--latency", base + "/health"])
    let (queryOutput, healthOutput) = try await (query, health)
    await server.shutdown()
    await multiplexer.shutdown()
    for output in [queryOutput, healthOutput] where output.contains("Non-2xx") {
        log("wrk saw errors:\n\(output)")
    }
    let healthP99 = percentile99(healthOutput)
    return HTTPPhaseResult(
        queryPerSecond: number(queryOutput, after: "Requests/sec:") ?? 0,
        queryP99: percentile99(queryOutput).text,
        healthPerSecond: number(healthOutput, after: "Requests/sec:") ?? 0,
        healthP99: healthP99.text,
        healthP99Milliseconds: healthP99.milliseconds)
}

// End-to-end auth-service benchmark: a release `pulse-auth` process against a throwaway
// embedded PostgreSQL (migrated like `pulse up` does), loaded with wrk.
//   1. POST /auth/token grant_type=client_credentials (HTTP Basic), 16 connections: req/s
//      next to GET /health on the same process (the HTTP floor, the peer).
//   2. POST /auth/login at the production password cost, 1 connection: latency p50/p99
//      next to Python hashlib.pbkdf2_hmac at the same cost (the raw KDF, the peer).
// Usage: AuthBench <path to pulse-auth> <migrations dir> [seconds=10]
import Foundation
import PulseCore

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: AuthBench <pulse-auth binary> <migrations dir> [seconds]\n".utf8))
    exit(64)
}
let binary = args[0], migrations = args[1]
let seconds = args.count > 2 ? Int(args[2]) ?? 10 : 10

func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

func freePort() -> Int {
    while true {
        let port = Int.random(in: 20_000...59_000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        close(fd)
        if ok { return port }
    }
}

/// Runs a tool to completion and returns its stdout.
func run(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

func field(_ text: String, _ label: String) -> String? {
    guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return nil }
    return line.trimmingCharacters(in: .whitespaces).dropFirst(label.count).trimmingCharacters(in: .whitespaces)
}

/// utime + stime of `pid` in seconds (/proc/<pid>/stat fields 14 and 15, clock ticks of 1/100 s).
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
    return (u + s) / 100
}

/// The postmaster of our cluster and its backends.
func postgresCPU(postmaster: Int32) -> Double {
    var total = cpuSeconds(postmaster)
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, Int32(fields[1]) == postmaster { total += cpuSeconds(pid) }  // field 4: ppid
    }
    return total
}

var configuration = EmbeddedClusterConfiguration(directory: URL(fileURLWithPath: "/tmp/pulse-auth-bench-\(getpid())"))
configuration.withReplica = false
configuration.primaryPort = freePort()
let cluster = EmbeddedCluster(configuration: configuration)
let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-auth-bench-lua-\(getpid())")
try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
var server: Process?

@MainActor func bench() async throws {
    log("starting PostgreSQL on port \(configuration.primaryPort), migrating")
    let info = try await cluster.up()
    _ = try await MigrationRunner(directory: URL(fileURLWithPath: migrations)).up(info.ownerURL)
    let owner = try PostgresDatabase(configuration: PostgresConfiguration(primary: info.ownerURL))
    let app = try PostgresDatabase(configuration: PostgresConfiguration(primary: info.primaryURL))
    let clientID = try await owner.write { tx in
        try await tx.query("INSERT INTO clients (name, slug) VALUES ('Bench', 'bench') RETURNING id")[0].decode(Int.self, at: 0)
    }
    let secret = SecureRandom.token()
    let password = "correct horse battery staple"
    try await app.client(clientID).write { tx in
        let role = try await tx.query("INSERT INTO roles (client_id, name) VALUES ($1, 'integration') RETURNING id", clientID)[0].decode(Int.self, at: 0)
        for permission in ["etl:run", "dora:read", "gha:read"] {
            try await tx.query("INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3)", clientID, role, permission)
        }
        try await tx.query(
            "INSERT INTO service_accounts (client_id, name, account_key, secret_hash, role_id) VALUES ($1, 'bench', 'sa_bench', $2, $3)",
            clientID, "sha256$" + Hex.encode(SHA256.hash(secret)), role)
        try await tx.query("INSERT INTO users (client_id, email, password_hash) VALUES ($1, 'bench@example.com', $2)",
                           clientID, PasswordHasher.production.hash(password))
    }
    await owner.shutdown()
    await app.shutdown()

    let port = freePort()
    var environment = ProcessInfo.processInfo.environment
    environment["DATABASE_URL"] = info.primaryURL
    environment["AUTH_KEY_ENCRYPTION_KEY"] = Hex.encode(SecureRandom.bytes(32))
    environment["PULSE_AUTH_PORT"] = String(port)
    environment["PULSE_LOG_ACCESS"] = "false"
    environment["PULSE_LOG_LEVEL"] = "warning"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    server = process
    let base = "http://127.0.0.1:\(port)"
    for _ in 0..<100 {
        if (try? run("/usr/bin/curl", ["-sf", base + "/ready"]))?.contains("ready") == true { break }
        try await Task.sleep(for: .milliseconds(200))
    }
    let basic = Data("sa_bench:\(secret)".utf8).base64EncodedString()
    let check = try run("/usr/bin/curl", ["-s", "-H", "Authorization: Basic \(basic)", "-d", "grant_type=client_credentials", base + "/auth/token"])
    guard check.contains("access_token") else { throw CocoaError(.featureUnsupported, userInfo: ["response": check]) }
    let alg = check.contains("eyJhbGciOiJSUzI1NiI") ? "RS256" : "EdDSA"

    let tokenScript = tmp.appendingPathComponent("token.lua")
    try """
        wrk.method = "POST"
        wrk.body = "grant_type=client_credentials"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.headers["Authorization"] = "Basic \(basic)"
        """.write(to: tokenScript, atomically: true, encoding: .utf8)
    let loginScript = tmp.appendingPathComponent("login.lua")
    try """
        wrk.method = "POST"
        wrk.body = '{"client":"bench","email":"bench@example.com","password":"\(password)"}'
        wrk.headers["Content-Type"] = "application/json"
        """.write(to: loginScript, atomically: true, encoding: .utf8)

    let duration = "\(seconds)s"
    log("warm-up, then wrk client_credentials and /health (16 connections, \(duration) each)")
    _ = try run("/usr/bin/wrk", ["-t1", "-c16", "-d2s", "-s", tokenScript.path, base + "/auth/token"])
    let postmaster = Int32((try? String(contentsOfFile: configuration.directory.path + "/primary/postmaster.pid", encoding: .utf8))?
        .split(separator: "\n").first ?? "") ?? 0
    let (authBefore, pgBefore) = (cpuSeconds(process.processIdentifier), postgresCPU(postmaster: postmaster))
    let token = try run("/usr/bin/wrk", ["-t1", "-c16", "-d" + duration, "--latency", "-s", tokenScript.path, base + "/auth/token"])
    let (authCPU, pgCPU) = (cpuSeconds(process.processIdentifier) - authBefore, postgresCPU(postmaster: postmaster) - pgBefore)
    let tokenRequests = Double(field(token, "Requests/sec:") ?? "0").map { $0 * Double(seconds) } ?? 0
    let health = try run("/usr/bin/wrk", ["-t1", "-c16", "-d" + duration, "--latency", base + "/health"])
    log("wrk /auth/login, 1 connection, \(duration)")
    let login = try run("/usr/bin/wrk", ["-t1", "-c1", "-d" + duration, "--latency", "-s", loginScript.path, base + "/auth/login"])
    let pbkdf2 = try run("/usr/bin/python3", ["-c", """
        import hashlib, os, time
        t = []
        for _ in range(5):
            s = time.perf_counter(); hashlib.pbkdf2_hmac('sha256', b'correct horse battery staple', os.urandom(16), 600000, 32); t.append(time.perf_counter() - s)
        print('%.0f' % (sorted(t)[2] * 1000))
        """])

    print("Auth service end to end (\(Date()), access tokens \(alg), password PBKDF2-HMAC-SHA256 600,000 iterations)")
    print("POST /auth/token client_credentials, 16 conns:  \(field(token, "Requests/sec:") ?? "?") req/s"
        + "  p50 \(field(token, "50%") ?? "?")  p99 \(field(token, "99%") ?? "?")"
        + "  non-2xx: \(field(token, "Non-2xx or 3xx responses:") ?? "0")")
    print(String(format: "   CPU per token request: pulse-auth %.2f ms, PostgreSQL %.2f ms (over %.0f requests)",
                 authCPU * 1000 / max(tokenRequests, 1), pgCPU * 1000 / max(tokenRequests, 1), tokenRequests))
    print("peer GET /health (same process), 16 conns:      \(field(health, "Requests/sec:") ?? "?") req/s")
    print("POST /auth/login, 1 conn:  \(field(login, "Requests/sec:") ?? "?") logins/s  p50 \(field(login, "50%") ?? "?")"
        + "  p99 \(field(login, "99%") ?? "?")  requests: \(login.split(separator: "\n").first { $0.contains("requests in") }?.trimmingCharacters(in: .whitespaces) ?? "?")"
        + "  non-2xx: \(field(login, "Non-2xx or 3xx responses:") ?? "0")")
    print("peer python hashlib.pbkdf2_hmac 600k, median of 5: \(pbkdf2.trimmingCharacters(in: .whitespacesAndNewlines)) ms")
}

do { try await bench() } catch { log("benchmark failed: \(error)") }
if let server {
    server.interrupt()
    server.terminate()
    server.waitUntilExit()
}
try? await cluster.down()
try? FileManager.default.removeItem(at: cluster.configuration.directory)
try? FileManager.default.removeItem(at: tmp)

import Foundation
import Glibc
import PulseService
import PulseTestSupport
import Testing

/// The real `pulse-auth` process: configuration from the environment, keys, routes,
/// readiness, SIGTERM. Needs the executable built (`swift build` / `swift build --build-tests`).
@Suite("pulse-auth executable")
struct ExecutableTests {
    static var binary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/pulse-auth")
    }

    /// Spawns pulse-auth with `environment` added to ours; output goes to a log file.
    /// `ChildProcess` (posix_spawn + waitpid on this pid) rather than Foundation's `Process`,
    /// whose SIGCHLD-driven reaping missed exits under a busy parallel test run.
    static func launch(port: Int, environment: [String: String]) throws -> pid_t {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-auth-exec-\(UUID().uuidString).log").path
        return try ChildProcess.spawn(ChildSpec(name: "pulse-auth", executable: binary.path,
                                                arguments: ["--port", String(port), "--host", "127.0.0.1"],
                                                environment: environment, logFile: log))
    }

    /// The exit code, nil when still running after `seconds` (or killed by a signal).
    static func waitForExit(_ pid: pid_t, seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let exit = ChildProcess.reap(pid) {
                if case .exited(let code) = exit { return code }
                return nil
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    static func stop(_ pid: pid_t) {
        guard ChildProcess.isAlive(pid) else { return }
        kill(pid, SIGKILL)
        _ = ChildProcess.reap(pid)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func servesLoginAndStopsOnSIGTERM() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "proc@example.com", password: "pw")
        let port = PostgresTestCluster.freePortPair()
        let base = ["PATH": "/usr/bin:/bin", "PULSE_DATABASE_PRIMARY_URL": h.cluster.connection.primaryURL,
                    "PULSE_DATABASE_REPLICA_URL": "", "PULSE_LOG_COLOR": "never"]

        // Without the key-encryption key the service refuses to start.
        let refused = try Self.launch(port: port, environment: base)
        defer { Self.stop(refused) }
        #expect(await Self.waitForExit(refused, seconds: 20) == 1)

        let process = try Self.launch(port: port, environment: base.merging(["AUTH_KEY_ENCRYPTION_KEY": AuthHarness.encryptionKey,
                                                                             "AUTH_ISSUER": "http://auth.test"]) { $1 })
        defer { Self.stop(process) }
        var ready = false
        for _ in 0..<200 where !ready {
            if let client = try? HTTPTestClient(port: port), let response = try? await client.request("GET", "/ready") {
                ready = response.status == 200
            }
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready)
        // Stored hashes are 1,000-iteration test hashes; the service verifies by the stored parameters.
        let http = try HTTPTestClient(port: port)
        let body = try JSONSerialization.data(withJSONObject: ["client": client.slug, "email": "proc@example.com", "password": "pw"])
        let login = try await http.request("POST", "/auth/login", headers: [("Content-Type", "application/json")], body: Array(body))
        #expect(login.status == 200 && login.string("access_token") != nil)
        kill(process, SIGTERM)
        #expect(await Self.waitForExit(process, seconds: 10) == 0)
        await h.shutdown()
    }
}

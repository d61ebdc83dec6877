import Foundation
import Glibc
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

    static func launch(port: Int, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--port", String(port), "--host", "127.0.0.1"]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForExit(_ process: Process, seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
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
        defer { if refused.isRunning { kill(refused.processIdentifier, SIGKILL) } }
        #expect(await Self.waitForExit(refused, seconds: 20) == 1)

        let process = try Self.launch(port: port, environment: base.merging(["AUTH_KEY_ENCRYPTION_KEY": AuthHarness.encryptionKey,
                                                                             "AUTH_ISSUER": "http://auth.test"]) { $1 })
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
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
        kill(process.processIdentifier, SIGTERM)
        #expect(await Self.waitForExit(process, seconds: 10) == 0)
        await h.shutdown()
    }
}

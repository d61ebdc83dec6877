import Foundation
import PulseService
import PulseTestSupport
import Testing

extension BackendTests {
/// Opt-in (`PULSE_SCHEMATHESIS=1`): runs `scripts/schemathesis.sh` against a live backend with
/// a client admin's token; Schemathesis fails on any 5xx or a response that breaks its schema.
@Suite("Backend Schemathesis run (opt-in)", .timeLimit(.minutes(10)))
struct SchemathesisRunTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PULSE_SCHEMATHESIS"] == "1"))
    func schemathesisFindsNoServerErrorOrSchemaBreak() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(UUID().uuidString).log").path
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = environment["PATH"] ?? "/usr/bin:/bin"
            // pulse-backend, then pulse-auth (same token: its admin API is the backend's user administration).
            for (service, port) in [("backend", h.port), ("auth", h.authPort)] {
                let pid = try ChildProcess.spawn(ChildSpec(name: "schemathesis", executable: "/bin/bash",
                                                           arguments: [root + "/scripts/schemathesis.sh", "http://127.0.0.1:\(port)", admin.token],
                                                           environment: environment, logFile: log))
                var exit: ChildExit?
                while exit == nil {
                    exit = ChildProcess.reap(pid)
                    if exit == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                print("== schemathesis against \(service)\n" + output)
                if case .exited(let code) = exit! { #expect(code == 0, "\(service): \(output.suffix(4000))") } else { Issue.record("schemathesis was killed") }
            }
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}

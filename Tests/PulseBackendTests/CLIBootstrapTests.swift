import Foundation
import PulseService
import PulseTestSupport
import Testing

extension BackendTests {
/// Issue 13 item 1 with the real `pulse` binary: `pulse clients create` + `pulse users create
/// --role admin` yield an admin who can work at once (the role is no longer empty), and
/// `pulse operators create` yields an operator of the client directory.
@Suite("Backend CLI bootstrap (processes)", .timeLimit(.minutes(3)))
struct CLIBootstrapTests {
    /// The `pulse` executable beside this test bundle.
    static var pulse: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (exe as NSString).deletingLastPathComponent + "/pulse"
    }

    /// Runs `pulse <arguments>` against the test cluster; its exit status and output.
    static func pulse(_ arguments: [String], cluster: PostgresTestCluster.Handle) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cli-\(UUID().uuidString).log").path
        defer { unlink(log) }
        let pid = try ChildProcess.spawn(ChildSpec(name: "pulse", executable: pulse, arguments: arguments, environment: [
            "DATABASE_URL": cluster.connection.primaryURL, "DATABASE_OWNER_URL": cluster.connection.ownerURL, "PULSE_LOG_COLOR": "never",
        ], logFile: log))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let exit = ChildProcess.reap(pid) {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if case .exited(let code) = exit { return (code, output) }
                return (128, output)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        throw HarnessError("pulse \(arguments.joined(separator: " ")) did not finish")
    }

    static func password(in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("password (shown once): ") }.map { String($0.dropFirst("password (shown once): ".count)) }
    }

    @Test func clientsCreatePlusUsersCreateYieldsAWorkingAdmin() async throws {
        let h = try await BackendHarness()
        do {
            let slug = "cli-" + UUID().uuidString.prefix(8).lowercased()
            let (status, output) = try await Self.pulse(["clients", "create", "--slug", slug], cluster: h.cluster)
            #expect(status == 0, "\(output)")
            let email = "first-admin@\(slug).test"
            let (userStatus, userOutput) = try await Self.pulse(["users", "create", "--client", slug, "--email", email, "--role", "admin"], cluster: h.cluster)
            #expect(userStatus == 0, "\(userOutput)")
            let password = try #require(Self.password(in: userOutput))
            let body = try JSONSerialization.data(withJSONObject: ["client": slug, "email": email, "password": password])
            let login = try await HTTPTestClient(port: h.authPort).request("POST", "/auth/login", headers: [("Content-Type", "application/json")], body: Array(body))
            let token = try #require(login.json["access_token"] as? String, "\(login.bodyText)")
            let session = BackendHarness.Session(token: token)
            let created = try await h.request("POST", "/api/v1/integrations", session: session, json: IntegrationAndMappingTests.jira)
            #expect(created.status == 201, "\(created.bodyText)")
            #expect(try await h.request("PUT", "/api/v1/mappings/statuses", session: session, json: [["source": "Done", "target": "done"]]).status == 200)
            #expect(try await h.request("GET", "/api/v1/users", session: session).status == 200)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func operatorsCreateYieldsAnOperator() async throws {
        let h = try await BackendHarness()
        do {
            let email = "op-\(UUID().uuidString.prefix(8).lowercased())@pulse.test"
            let (status, output) = try await Self.pulse(["operators", "create", "--email", email], cluster: h.cluster)
            #expect(status == 0, "\(output)")
            let password = try #require(Self.password(in: output))
            let platform = try await h.platformClient()
            let body = try JSONSerialization.data(withJSONObject: ["client": platform.slug, "email": email, "password": password])
            let login = try await HTTPTestClient(port: h.authPort).request("POST", "/auth/login", headers: [("Content-Type", "application/json")], body: Array(body))
            let token = try #require(login.json["access_token"] as? String, "\(login.bodyText)")
            #expect(try await h.request("GET", "/api/v1/clients", session: BackendHarness.Session(token: token)).status == 200)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}

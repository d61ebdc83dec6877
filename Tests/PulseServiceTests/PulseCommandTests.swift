import Foundation
import PulseConfiguration
import PulseTestSupport
import Testing
@testable import PulseService

private struct StatusRow: Decodable {
    var service: String
    var pid: Int32?
    var port: Int
    var state: String
    var health: String
    var restarts: Int
}

/// `pulse up` starts all five services, `pulse status` sees them healthy, a killed service is
/// restarted, `pulse down` stops everything. Real processes on free ports.
@Test func pulseUpStatusRestartDown() async throws {
    let dir = TemporaryDirectory("pulse-up")
    defer { dir.remove() }
    var toml = """
    [paths]
    state_dir = "\(dir.path)/state"
    [log]
    color = "never"
    [supervisor]
    restart_initial_delay = 0.1
    stop_timeout = 4.0

    """
    for service in ServiceName.allCases { toml += "[\(service.rawValue)]\nport = \(freePort())\n" }
    let config = dir.write("pulse.toml", toml)
    let pulse = buildDirectory + "/pulse"

    let up = try ChildProcess.spawn(ChildSpec(name: "up", executable: pulse, arguments: ["up", "--without-database", "--config", config],
                                              logFile: dir.path + "/up.log"))
    var upExited = false
    defer {
        if !upExited {
            _ = try? runCommand(pulse, ["down", "--keep-database", "--config", config])
            kill(up, SIGKILL)
            _ = ChildProcess.reap(up)
        }
    }

    @Sendable func status() throws -> (Int32, [StatusRow]) {
        let (code, output) = try runCommand(pulse, ["status", "--json", "--config", config])
        let rows = (try? JSONDecoder().decode([StatusRow].self, from: Data(output.utf8))) ?? []
        return (code, rows)
    }

    #expect(try await eventually(30) { try await blocking { try status().0 == 0 } }, "all five healthy")
    let (_, rows) = try await blocking { try status() }
    #expect(rows.map(\.service).sorted() == ServiceName.allCases.map(\.rawValue).sorted())
    #expect(rows.allSatisfy { $0.state == "running" && $0.health == "ok" && $0.restarts == 0 })
    let table = try await blocking { try runCommand(pulse, ["status", "--config", config]) }
    #expect(table.status == 0)
    #expect(table.output.contains("SERVICE  PID      PORT   STATE       HEALTH        RESTARTS"))

    // Kill the backend: the supervisor restarts it.
    let backend = try #require(rows.first { $0.service == "backend" }?.pid)
    kill(backend, SIGKILL)
    #expect(try await eventually(20) {
        let (code, rows) = try await blocking { try status() }
        let row = rows.first { $0.service == "backend" }
        return code == 0 && row?.restarts == 1 && row?.pid != backend && row?.health == "ok"
    }, "backend restarted and healthy")

    // A second `pulse up` refuses while one runs.
    let second = try await blocking { try runCommand(pulse, ["up", "--without-database", "--config", config]) }
    #expect(second.status != 0 && second.output.contains("already running"))

    let pids = try await blocking { try status() }.1.compactMap(\.pid)
    #expect(pids.count == 5)
    let down = try await blocking { try runCommand(pulse, ["down", "--keep-database", "--config", config]) }
    #expect(down.status == 0, "\(down.output)")
    let exit = await waitForExit(up, seconds: 10)
    upExited = exit != nil
    #expect(exit == .exited(0))
    #expect(!pids.contains(where: ChildProcess.isAlive))
    #expect(try await blocking { try status() }.0 == 3)
    for service in ServiceName.allCases {
        let log = try String(contentsOfFile: dir.path + "/state/logs/\(service.rawValue).log", encoding: .utf8)
        #expect(log.contains(" Service started [pulse.\(service.rawValue)]"))
    }
    let upLog = try String(contentsOfFile: dir.path + "/up.log", encoding: .utf8)
    #expect(upLog.contains("[warning] [ORCH] Service exited; restarting [pulse.supervisor]"))
}

/// `pulse up --detach` returns once every service is healthy and leaves the supervisor running
/// in the background; `pulse down` stops it.
@Test func pulseUpDetachReturnsWhenHealthy() async throws {
    let dir = TemporaryDirectory("pulse-detach")
    defer { dir.remove() }
    var toml = "[paths]\nstate_dir = \"\(dir.path)/state\"\n"
    for service in ServiceName.allCases { toml += "[\(service.rawValue)]\nport = \(freePort())\n" }
    let config = dir.write("pulse.toml", toml)
    let pulse = buildDirectory + "/pulse"
    let up = try await blocking { try runCommand(pulse, ["up", "--detach", "--without-database", "--config", config]) }
    defer { _ = try? runCommand(pulse, ["down", "--keep-database", "--config", config]) }
    #expect(up.status == 0, "\(up.output)")
    #expect(up.output.contains("running in the background"))
    let state = try #require(try SupervisorState.read(from: dir.path + "/state"))
    #expect(ChildProcess.isAlive(state.supervisorPID))
    #expect(try await blocking { try runCommand(pulse, ["status", "--config", config]) }.status == 0)
    #expect(try await blocking { try runCommand(pulse, ["down", "--keep-database", "--config", config]) }.status == 0)
    #expect(!ChildProcess.isAlive(state.supervisorPID))
    #expect(!state.services.compactMap(\.pid).contains(where: ChildProcess.isAlive))
}

/// `pulse up` with the data layer: an embedded primary + replica on free ports in a throwaway
/// folder, migrations applied, every service told where the database is (`/ready` lists the
/// `database` check, `/metrics` the replication gauges); `pulse down` stops services and database.
@Test func pulseUpStartsDatabaseAndMigrations() async throws {
    let dir = TemporaryDirectory("pulse-up-db")
    defer { dir.remove() }
    chmod(dir.path, 0o755)  // PostgreSQL runs as `postgres` and must reach its data folder
    var toml = """
    [paths]
    state_dir = "\(dir.path)/state"
    [log]
    color = "never"

    """
    var ports: [String: Int] = [:]
    for service in ServiceName.allCases {
        ports[service.rawValue] = freePort()
        toml += "[\(service.rawValue)]\nport = \(ports[service.rawValue]!)\n"
    }
    let config = dir.write("pulse.toml", toml)
    let pulse = buildDirectory + "/pulse"
    let dbPort = PostgresTestCluster.freePortPair()
    let environment = [
        "PULSE_DATA_DIR": dir.path + "/db", "PULSE_DB_PORT": String(dbPort), "PULSE_DB_REPLICA_PORT": String(dbPort + 1),
        "PULSE_MIGRATIONS_DIR": packageRoot + "/migrations",
    ]
    defer { _ = try? runCommand(pulse, ["down", "--config", config], environment: environment) }

    let up = try await blocking { try runCommand(pulse, ["up", "--detach", "--config", config], environment: environment) }
    #expect(up.status == 0, "\(up.output)")
    let backendPort = try #require(ports["backend"])
    // Ready once the database answers and pulse-auth's signing keys were fetched.
    var ready = try #require(HealthProbe.get(host: "127.0.0.1", port: backendPort, path: "/ready", timeout: 5))
    for _ in 0..<100 where ready.status != 200 {
        try await Task.sleep(for: .milliseconds(100))
        ready = try #require(HealthProbe.get(host: "127.0.0.1", port: backendPort, path: "/ready", timeout: 5))
    }
    #expect(ready.status == 200, "\(ready.body)")
    #expect(ready.body.contains("\"auth\""))
    #expect(ready.body.contains("\"database\""))
    let metrics = try #require(HealthProbe.get(host: "127.0.0.1", port: backendPort, path: "/metrics", timeout: 5))
    #expect(metrics.body.contains("pulse_db_primary_up 1"))
    let migrations = try await blocking {
        try runCommand(pulse, ["migrate", "status"], environment: environment)
    }
    #expect(migrations.status == 0, "\(migrations.output)")
    #expect(!migrations.output.contains("pending"), "\(migrations.output)")

    // The demo tenant: its admin signs in with the password kept (0600) in the state folder,
    // which `up` names instead of printing the password when stdout is not a terminal.
    let demoFile = dir.path + "/state/demo-admin.txt"
    #expect(up.output.contains("Demo sign-in: client demo, email admin@demo.pulse.test, password in \(demoFile)"), "\(up.output)")
    for secret in [demoFile, dir.path + "/state/auth.key", dir.path + "/state/csrf.key"] {
        #expect((try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int) == 0o600, "\(secret)")
    }
    let demoPassword = try #require(try String(contentsOfFile: demoFile, encoding: .utf8).firstMatch(of: /password: (\S+)/)?.1)
    let demoAuth = try HTTPTestClient(port: try #require(ports["auth"]))
    let demoLogin = try await demoAuth.request(
        "POST", "/auth/login", headers: [("Content-Type", "application/json")],
        body: Array(#"{"client":"demo","email":"admin@demo.pulse.test","password":"\#(demoPassword)"}"#.utf8))
    #expect(demoLogin.status == 200, "\(demoLogin.bodyText)")
    let demoToken = try #require(demoLogin.bodyText.firstMatch(of: /"access_token":"([^"]+)"/)?.1)
    let demoUsers = try await demoAuth.request("GET", "/auth/admin/users", headers: [("Authorization", "Bearer \(demoToken)")])
    #expect(demoUsers.status == 200, "\(demoUsers.bodyText)")
    #expect(demoUsers.bodyText.contains("admin@demo.pulse.test"))
    demoAuth.socket.close()

    // Operator bootstrap, then a real sign-in against the auth service `pulse up` started.
    let created = try await blocking { try runCommand(pulse, ["clients", "create", "--slug", "acme"], environment: environment) }
    #expect(created.status == 0, "\(created.output)")
    // `pulse db psql -- ARGS` hands ARGS to psql.
    let psql = try await blocking {
        try runCommand(pulse, ["db", "psql", "--", "-tAc", "select string_agg(slug, ',' order by slug) from clients"], environment: environment)
    }
    #expect(psql.status == 0, "\(psql.output)")
    #expect(psql.output.contains("acme,demo"), "\(psql.output)")
    let user = try await blocking {
        try runCommand(pulse, ["users", "create", "--client", "acme", "--email", "ops@acme.test", "--role", "admin"],
                       environment: environment)
    }
    #expect(user.status == 0, "\(user.output)")
    let password = try #require(user.output.firstMatch(of: /password \(shown once\): (\S+)/)?.1, "\(user.output)")
    let auth = try HTTPTestClient(port: try #require(ports["auth"]))
    let login = try await auth.request(
        "POST", "/auth/login", headers: [("Content-Type", "application/json")],
        body: Array(#"{"client":"acme","email":"ops@acme.test","password":"\#(password)"}"#.utf8))
    #expect(login.status == 200, "\(login.bodyText)")
    #expect(login.bodyText.contains("\"access_token\""))
    let wrong = try await auth.request(
        "POST", "/auth/login", headers: [("Content-Type", "application/json")],
        body: Array(#"{"client":"acme","email":"ops@acme.test","password":"nope"}"#.utf8))
    #expect(wrong.status == 401)
    // An integrator's service account, created by the CLI, gets a token by client_credentials.
    let account = try await blocking {
        try runCommand(pulse, ["service-accounts", "create", "--client", "acme", "--name", "ci"], environment: environment)
    }
    #expect(account.status == 0, "\(account.output)")
    let key = try #require(account.output.firstMatch(of: /client_id: (\S+)/)?.1, "\(account.output)")
    let secret = try #require(account.output.firstMatch(of: /client_secret \(shown once\): (\S+)/)?.1)
    let form = "grant_type=client_credentials&client_id=\(key)&client_secret=\(secret)"
    let token = try await auth.request(
        "POST", "/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
    #expect(token.status == 200, "\(token.bodyText)")
    #expect(token.bodyText.contains("\"access_token\""))
    auth.socket.close()

    let down = try await blocking { try runCommand(pulse, ["down", "--config", config], environment: environment) }
    #expect(down.status == 0)
    #expect(down.output.contains("database stopped"), "\(down.output)")
    #expect(HealthProbe.get(host: "127.0.0.1", port: backendPort) == nil)
}

/// `pulse config` shows where each value came from but never a secret: the auth keys show
/// only `<redacted>`, database URLs lose their passwords.
@Test func pulseConfigRedactsSecrets() async throws {
    let environment = [
        "PULSE_AUTH_KEY_ENCRYPTION_KEY": String(repeating: "ab", count: 32), "PULSE_AUTH_CSRF_KEY": String(repeating: "cd", count: 32),
        "PULSE_DATABASE_PRIMARY_URL": "postgresql://pulse:hunter2secret@127.0.0.1:5432/pulse",
    ]
    let shown = try await blocking { try runCommand(buildDirectory + "/pulse", ["config"], environment: environment) }
    #expect(shown.status == 0, "\(shown.output)")
    #expect(!shown.output.contains("hunter2secret"), "\(shown.output)")
    #expect(!shown.output.contains(String(repeating: "cd", count: 32)), "\(shown.output)")
    #expect(shown.output.contains("auth.csrf_key = <redacted>"), "\(shown.output)")
    #expect(shown.output.contains("database.primary_url = \""), "\(shown.output)")
}

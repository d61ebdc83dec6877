import ArgumentParser
import Dispatch
import Foundation
import Logging
import PulseCore

/// `pulse up`: start the platform and supervise it.
///
/// By default it stays in the foreground: it logs to the terminal, restarts crashed services
/// with exponential backoff, and on Ctrl-C or SIGTERM stops every service (SIGTERM, then
/// SIGKILL after `supervisor.stop_timeout`) before exiting. `--detach` runs the same
/// supervisor in the background (its own log in `<state_dir>/logs/supervisor.log`) and returns
/// once every service answers `/health`.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start the five Pulse services and keep them running.")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Supervise in the background and return once every service is healthy.")
    var detach = false

    @Option(help: "With --detach: seconds to wait for every service to become healthy.")
    var waitTimeout: Double = 120

    @Flag(help: "Start the services only: no database, no migrations (for supervisor tests and service-only runs).")
    var withoutDatabase = false

    @Flag(help: "Do not create the demo client and its admin user.")
    var withoutDemo = false

    func run() async throws {
        let platform = try Platform(options: options)
        let logger = platform.makeLogger()
        try FileManager.default.createDirectory(atPath: platform.logDirectory, withIntermediateDirectories: true)
        if let state = try platform.readState(), state.status != "stopped", Platform.supervisorAlive(state) {
            printError("pulse: already running (supervisor pid \(state.supervisorPID)); run `pulse down` first")
            throw ExitCode.failure
        }
        _ = try serviceSpecs(platform, environment: [:])  // refuse bad ports or missing binaries first
        if detach {
            try await runDetached(platform)
            return
        }

        // Data layer (F-RUN): the database comes first (embedded primary + replica, or the
        // external cluster named by DATABASE_URL), then migrations; the services get its
        // connection strings, and a demo client with an admin user exists to sign in with.
        // Demo work data (Jira/GitHub sandboxes pulled by the ETL) is not loaded yet.
        var environment = withoutDatabase ? [:] : try await startDatabase(platform, logger: logger)
        environment["AUTH_KEY_ENCRYPTION_KEY"] = try stateSecret(platform, variable: "AUTH_KEY_ENCRYPTION_KEY", file: "auth.key")
        // Every service checks the CSRF token of cookie-authenticated writes with the same key.
        environment["AUTH_CSRF_KEY"] = try stateSecret(platform, variable: "AUTH_CSRF_KEY", file: "csrf.key")
        // The gateway runs on this machine: pulse-auth believes its X-Forwarded-For (and only
        // its), so sign-ins through it are throttled and audited per user address.
        // (An operator's auth.trusted_proxies, from a file or PULSE_AUTH_TRUSTED_PROXIES, wins.)
        if (platform.environment["AUTH_TRUSTED_PROXIES"] ?? "").isEmpty, platform.snapshot.string("auth.trusted_proxies").isEmpty {
            environment["AUTH_TRUSTED_PROXIES"] = "127.0.0.1,::1"
        }
        // pulse-backend seals integration credentials with it, pulse-etl opens them (64 hex digits).
        environment["PULSE_INTEGRATIONS_CREDENTIALS_KEY"] = try stateSecret(platform, variable: "PULSE_INTEGRATIONS_CREDENTIALS_KEY",
                                                                            file: "integrations.key", hex: true)
        let specs = try serviceSpecs(platform, environment: environment)
        let supervisor = ProcessSupervisor(
            specs: specs,
            backoff: RestartBackoff(initial: platform.supervisor.restartInitialDelay,
                                    maximum: platform.supervisor.restartMaxDelay,
                                    stableAfter: platform.supervisor.stableAfter),
            stopTimeout: platform.supervisor.stopTimeout,
            stateDirectory: platform.supervisor.stateDirectory, logger: logger)
        let signals = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { supervisor.requestStop() }
            source.resume()
            return source
        }
        logger.info("Supervisor started", metadata: [
            "pid": "\(getpid())", "state": "\(platform.supervisor.stateDirectory)", "services": "\(specs.count)",
        ])
        await supervisor.run()
        signals.forEach { $0.cancel() }
        logger.info("Supervisor stopped")
    }

    /// One child per service, in dependency order: auth first (everyone verifies tokens with
    /// it), the gateway last (it proxies to the others).
    private func serviceSpecs(_ platform: Platform, environment: [String: String]) throws -> [ChildSpec] {
        let order: [ServiceName] = [.auth, .backend, .etl, .ai, .gateway]
        return try order.map { name in
            let service = platform.supervisor.services.first { $0.service == name }!
            guard service.port != 0 else {
                printError("pulse: \(name.rawValue).port is 0; `pulse up` needs fixed ports so `pulse status` can find them")
                throw ExitCode(78)
            }
            let executable = platform.binaryDirectory + "/" + name.executableName
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                printError("pulse: \(executable) not found; build it with `swift build` or set PULSE_BIN_DIR")
                throw ExitCode.failure
            }
            return ChildSpec(
                name: name.rawValue, executable: executable,
                arguments: platform.configFiles.flatMap { ["--config", $0] }
                    + ["--host", service.host, "--port", String(service.port)],
                // Only the token authority gets its key-encryption key.
                environment: name == .auth ? environment : environment.filter { $0.key != "AUTH_KEY_ENCRYPTION_KEY" },
                logFile: platform.logDirectory + "/\(name.rawValue).log", host: service.host, port: service.port)
        }
    }

    /// Starts the embedded cluster (or takes `DATABASE_URL`'s), applies the migrations as the
    /// owner role, and returns the variables that tell the services where the database is.
    private func startDatabase(_ platform: Platform, logger: Logger) async throws -> [String: String] {
        do {
            let info: ConnectionInfo
            if let external = try ConnectionInfo.fromEnvironment(platform.environment) {
                info = external
                logger.info("Using the external database", metadata: ["primary": "\(ConnectionString.redacted(info.primaryURL))"])
            } else {
                let configuration = try EmbeddedClusterConfiguration.fromEnvironment(platform.environment)
                logger.info("Starting embedded PostgreSQL", metadata: [
                    "directory": "\(configuration.directory.path)", "primary_port": "\(configuration.primaryPort)",
                    "replica_port": "\(configuration.effectiveReplicaPort)",
                ])
                info = try await EmbeddedCluster(configuration: configuration).up()
            }
            let migrations = migrationsDirectory(environment: platform.environment)
            let applied = try await MigrationRunner(directory: migrations).up(info.ownerURL)
            logger.info("Migrations applied", metadata: ["applied": "\(applied.count)", "folder": "\(migrations.path)"])
            if !withoutDemo {
                let signIn = try await DemoTenant(stateDirectory: platform.supervisor.stateDirectory).ensure(ownerURL: info.ownerURL)
                logger.info("Demo client ready", metadata: ["client": "\(signIn.client)", "email": "\(signIn.email)", "created": "\(signIn.created)"])
                print(DemoTenant.instructions(signIn, platform: platform))
            }
            return info.environment
        } catch {
            printError("pulse up: database: \(error)")
            throw ExitCode.failure
        }
    }

    /// A 32-byte secret from the environment variable `variable` when the operator set one,
    /// else made once from the CSPRNG into `<state_dir>/<file>` (mode 0600) and reused, so
    /// what an earlier run sealed or signed with it stays valid. Used for the auth service's
    /// key-encryption key (`auth.key`) and the CSRF key every service checks (`csrf.key`).
    private func stateSecret(_ platform: Platform, variable: String, file: String, hex: Bool = false) throws -> String {
        if let configured = platform.environment[variable], !configured.isEmpty { return configured }
        let path = platform.supervisor.stateDirectory + "/" + file
        if let stored = try? String(contentsOfFile: path, encoding: .utf8) {
            return stored.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let key = hex ? SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined() : SecureRandom.token(byteCount: 32)
        guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            printError("pulse up: cannot write \(path)")
            throw ExitCode.failure
        }
        return key
    }

    /// Starts `pulse up` again in a new session and waits until all services are healthy.
    private func runDetached(_ platform: Platform) async throws {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let spec = ChildSpec(name: "supervisor", executable: exe,
                             arguments: ["up"] + platform.configFiles.flatMap { ["--config", $0] }
                                 + (withoutDatabase ? ["--without-database"] : [])
                                 + (withoutDemo ? ["--without-demo"] : []),
                             environment: ["PULSE_LOG_COLOR": "never"],
                             logFile: platform.logDirectory + "/supervisor.log")
        let pid = try ChildProcess.spawn(spec, newSession: true)
        let deadline = ContinuousClock.now + .milliseconds(Int(waitTimeout * 1000))
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            if let exit = ChildProcess.reap(pid) {
                printError("pulse: the supervisor exited (\(exit)); see \(spec.logFile)")
                throw ExitCode.failure
            }
            guard let state = try? SupervisorState.read(from: platform.supervisor.stateDirectory),
                  state.supervisorPID == pid else { continue }
            let healthy = state.services.allSatisfy { service in
                service.pid != nil && HealthProbe.get(host: service.host, port: service.port)?.status == 200
            }
            if healthy {
                print("pulse: running in the background (supervisor pid \(pid)); `pulse status`, `pulse down`")
                if !withoutDatabase, !withoutDemo, let signIn = DemoTenant(stateDirectory: platform.supervisor.stateDirectory).storedSignIn() {
                    print(DemoTenant.instructions(signIn, platform: platform))
                }
                return
            }
        }
        printError("pulse: services not healthy after \(waitTimeout) s; see \(platform.logDirectory) (still supervising; `pulse down` stops)")
        throw ExitCode.failure
    }
}

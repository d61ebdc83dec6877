import Foundation
import Logging
import PulseConfiguration
import PulseObservability
import PulsePostgres

/// The whole `main` of a service executable: parse `--port/--host/--config`, load the
/// configuration, install logging, build the service, run until SIGTERM/SIGINT.
///
/// ```swift
/// import PulseCore
/// await ServiceMain.run(.backend) { service in service.routes.get("/api/v1/…", summary: "…") { … } }
/// ```
/// Exit status: 0 after a clean shutdown, 64 for bad command-line use, 78 (`EX_CONFIG`) for a
/// configuration error, 1 when the service cannot start (port taken, …).
public enum ServiceMain {
    /// Command-line options shared by the five executables.
    public struct Options: Equatable, Sendable {
        public var port: String?
        public var host: String?
        public var configFiles: [String] = []
        public var help = false

        /// Parses `--port N`, `--host ADDR`, `--config PATH` (repeatable), `--help` and the `--x=value` forms.
        public static func parse(_ arguments: [String]) throws(UsageError) -> Options {
            var options = Options()
            var rest = arguments[...]
            while let argument = rest.popFirst() {
                var name = argument
                var value: String?
                if let eq = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                    name = String(argument[..<eq])
                    value = String(argument[argument.index(after: eq)...])
                }
                func takeValue() throws(UsageError) -> String {
                    if let value { return value }
                    guard let next = rest.popFirst() else { throw UsageError(message: "\(name) needs a value") }
                    return next
                }
                switch name {
                case "--port": options.port = try takeValue()
                case "--host": options.host = try takeValue()
                case "--config": options.configFiles.append(try takeValue())
                case "--help", "-h": options.help = true
                default: throw UsageError(message: "unknown argument '\(argument)'")
                }
            }
            return options
        }
    }

    /// A command-line mistake.
    public struct UsageError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The `--help` text for `service`.
    public static func usage(_ service: ServiceName) -> String {
        """
        usage: \(service.executableName) [--port N] [--host ADDR] [--config FILE]...
        Runs the Pulse \(service.displayName) (default port \(service.defaultPort)).
        Configuration: defaults < config/pulse.toml, config/pulse.env (or PULSE_CONFIG, or --config)
        < PULSE_* environment variables < --port/--host. Keys: docs/configuration.md.
        """
    }

    /// Loads the configuration for `service` from files, environment and command line.
    public static func configuration(
        _ service: ServiceName, options: Options, environment: [String: String]
    ) throws(ConfigurationError) -> (ServiceConfiguration, ConfigurationSnapshot) {
        var snapshot = try ConfigurationLoader.load(explicit: options.configFiles, environment: environment)
        if let port = options.port {
            try snapshot.set("\(service.rawValue).port", text: port, origin: .commandLine(option: "--port"))
        }
        if let host = options.host {
            try snapshot.set("\(service.rawValue).host", text: host, origin: .commandLine(option: "--host"))
        }
        return (ServiceConfiguration(service: service, snapshot: snapshot), snapshot)
    }

    /// Runs `service` as this process and exits.
    /// - Parameter configure: Adds the service's own routes, readiness checks and metrics.
    public static func run(
        _ service: ServiceName,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configure: (inout ServiceDefinition, Logger) async throws -> Void = { _, _ in }
    ) async -> Never {
        let options: Options
        do {
            options = try Options.parse(arguments)
        } catch {
            FileHandle.standardError.write(Data("\(service.executableName): \(error)\n\(usage(service))\n".utf8))
            exit(64)
        }
        if options.help {
            print(usage(service))
            exit(0)
        }
        let configuration: ServiceConfiguration
        let snapshot: ConfigurationSnapshot
        do {
            (configuration, snapshot) = try Self.configuration(service, options: options, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("\(service.executableName): \(error)\n".utf8))
            exit(78)
        }
        PulseLogging.bootstrap(
            PulseLogging.Options(
                level: Logger.Level(rawValue: configuration.logLevel) ?? .info,
                color: LogOutput.ColorMode(rawValue: configuration.logColor) ?? .auto,
                defaultCategory: defaultCategory(service), clientLogDirectory: configuration.clientLogDirectory),
            environment: environment)
        let logger = Logger(label: "pulse.\(service.rawValue)")
        for name in snapshot.unknownEnvironmentVariables {
            logger.warning("Unknown PULSE_ environment variable ignored", metadata: ["variable": "\(name)"])
        }
        var database: PostgresDatabase?
        do {
            var definition = ServiceDefinition(configuration: configuration)
            definition.snapshot = snapshot
            definition.database = try ServiceDatabase.attach(to: &definition, environment: environment, logger: logger)
            database = definition.database
            try await configure(&definition, logger)
            try await ServiceApplication(definition: definition, logger: logger, environment: environment).run()
        } catch {
            logger.critical("Service failed", metadata: ["service": "\(service.rawValue)", "error": "\(error)"])
            // Its replication monitor may be connecting (libpq → OpenSSL): exiting under it runs
            // into OpenSSL's exit-time cleanup and crashes instead of exiting with 1.
            await database?.shutdown()
            exit(1)
        }
        exit(0)
    }

    /// The category of lines that name none: the seed's `[ETL]` (service lifecycle) for the ETL
    /// and AI services, `[AUTH]` for auth, `[HTTP]` for the gateway and backend.
    static func defaultCategory(_ service: ServiceName) -> LogCategory {
        switch service {
        case .gateway, .backend: return .http
        case .auth: return .auth
        case .etl, .ai: return .etl
        }
    }
}

import Foundation
import Logging
import PulsePostgres
import PulseService

/// Wires the auth service into a `ServiceDefinition`: database, keys, routes, readiness,
/// and the revocation listener. What `pulse-auth`'s `main.swift` calls.
public enum AuthServiceComposition {
    public static func install(into definition: inout ServiceDefinition, logger: Logger,
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let c = definition.configuration
        // Without a database the token authority cannot run: the process stays up, answers
        // /health, and /ready says what is missing (as every service does for a missing dependency).
        guard let database = definition.database else {
            definition.readinessChecks.append(ReadinessCheck(name: "database") {
                .notReady("no database: set DATABASE_URL (pulse up does) to run the token authority")
            })
            logger.warning("No DATABASE_URL: auth endpoints are not served")
            return
        }
        // The catalogue's auth.* keys: the snapshot ServiceMain loaded (defaults, --config files, env).
        let configuration = try AuthConfiguration.fromEnvironment(environment, snapshot: definition.snapshot,
                                                                  defaultIssuer: "http://\(c.host):\(c.port)")
        let service = try await AuthService.start(configuration: configuration, database: database, logger: logger)
        _ = try await RevocationSubscriber.start(conninfo: database.primary.conninfo, verifier: service.verifier, database: database,
                                                 accessTokenLifetime: configuration.accessTokenLifetime, logger: logger)
        _ = try await KeyRingSubscriber.start(conninfo: database.primary.conninfo, service: service, logger: logger)
        install(service, into: &definition, logger: logger)
    }

    /// Registers the routes of a started service (ServiceMain already checks the database on /ready).
    public static func install(_ service: AuthService, into definition: inout ServiceDefinition, logger: Logger) {
        AuthRoutes(service: service, logger: logger).register(on: &definition.routes)
    }
}

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
        let configuration = try AuthConfiguration.fromEnvironment(environment, defaultIssuer: "http://\(c.host):\(c.port)")
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: c.databasePrimaryURL))
        let service = try await AuthService.start(configuration: configuration, database: database, logger: logger)
        _ = try await RevocationSubscriber.start(conninfo: c.databasePrimaryURL, verifier: service.verifier, database: database,
                                                 accessTokenLifetime: configuration.accessTokenLifetime, logger: logger)
        install(service, into: &definition, logger: logger)
    }

    /// Registers the routes and the database readiness check of a started service.
    public static func install(_ service: AuthService, into definition: inout ServiceDefinition, logger: Logger) {
        AuthRoutes(service: service, logger: logger).register(on: &definition.routes)
        let database = service.database
        definition.readinessChecks.append(ReadinessCheck(name: "database") {
            do {
                try await database.read { tx in try await tx.query("SELECT 1") }
                return .ready
            } catch {
                return .notReady("\(error)")
            }
        })
    }
}

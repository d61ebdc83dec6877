import Foundation
import Logging
import PulseService

/// Wires the AI service into a `ServiceDefinition`: authentication, the engine (embedding
/// pipeline, indexes, search, predictions, anomalies, validation, feedback) and its routes.
/// What `pulse-ai`'s `main.swift` calls.
public enum AIServiceComposition {
    public static func install(into definition: inout ServiceDefinition, logger: Logger,
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let auth = try ServiceAuthentication.install(into: &definition, environment: environment, logger: logger)
        SessionRoutes.register(on: &definition.routes, path: "/ai/session", auth: auth, service: "ai", permission: AIRoutes.readPermission)
        guard let database = definition.database else {
            definition.readinessChecks.append(ReadinessCheck(name: "database") {
                .notReady("no database: set DATABASE_URL (pulse up does) to run the AI features")
            })
            logger.warning("No DATABASE_URL: /ai endpoints are not served")
            return
        }
        let key = environment["PULSE_INTEGRATIONS_CREDENTIALS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if key == nil { logger.warning("PULSE_INTEGRATIONS_CREDENTIALS_KEY is not set: OpenAI-compatible provider keys cannot be stored") }
        let engine = try AIEngine(database: database, dataDirectory: definition.configuration.dataDirectory, metrics: definition.metrics,
                                  logger: logger, credentialsKey: key)
        AIRoutes(engine: engine, auth: auth).register(on: &definition.routes)
        try engine.start()
    }
}

import Foundation
import Logging
import PulseConfiguration
import PulseObservability
import PulseHTTPClient
import PulsePostgres
import PulseService

/// Wires pulse-etl into a `ServiceDefinition`: authentication, the job worker and scheduler,
/// live progress, the push API, imports and logs. What `pulse-etl`'s `main.swift` calls.
///
/// Environment (read from the environment ServiceMain was given): `CLIENT_NAME` (dedicated
/// instance, F-MULTI), `PULSE_INTEGRATIONS_CREDENTIALS_KEY` (unless the configuration has
/// `integrations.credentials_key`), and the worker timings `ETL_LEASE_SECONDS`,
/// `ETL_HEARTBEAT_SECONDS`, `ETL_POLL_SECONDS`, `ETL_RETRY_BASE_SECONDS`, `ETL_MAX_CONCURRENT_JOBS`.
public enum ETLServiceComposition {
    public static func install(into definition: inout ServiceDefinition, logger: Logger,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               registry: ConnectorRegistry = .standard) async throws {
        let auth = try ServiceAuthentication.install(into: &definition, environment: environment, logger: logger)
        SessionRoutes.register(on: &definition.routes, path: "/etl/session", auth: auth, service: "etl", permission: "etl:read")
        guard let database = definition.database else {
            definition.readinessChecks.append(ReadinessCheck(name: "database") {
                .notReady("no database: set DATABASE_URL (pulse up does) to run ETL jobs")
            })
            logger.warning("No DATABASE_URL: ETL jobs, push API and logs are not served")
            return
        }
        let keyText = ConfigKeys.byName["integrations.credentials_key"] != nil
            ? definition.snapshot.string("integrations.credentials_key") : ""
        let sealer = try IntegrationLoader.sealer(keyText: keyText.isEmpty ? environment["PULSE_INTEGRATIONS_CREDENTIALS_KEY"] : keyText)
        if sealer == nil { logger.warning("No integrations credentials key: integrations with credentials cannot be synced") }
        let loader = IntegrationLoader(database: database, sealer: sealer)
        let scope = try await InstanceLease.scope(clientName: environment["CLIENT_NAME"], database: database)

        var configuration = JobWorkerConfiguration()
        func number(_ name: String) -> Double? { environment[name].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } }
        if let v = number("ETL_LEASE_SECONDS") { configuration.leaseSeconds = v }
        configuration.heartbeatInterval = number("ETL_HEARTBEAT_SECONDS") ?? configuration.leaseSeconds / 3
        if let v = number("ETL_POLL_SECONDS") { configuration.pollInterval = v }
        if let v = number("ETL_RETRY_BASE_SECONDS") { configuration.retryBaseSeconds = v }
        if let v = number("ETL_MAX_CONCURRENT_JOBS") { configuration.maxConcurrentJobs = max(1, Int(v)) }

        let worker = JobWorker(database: database, registry: registry, loader: loader, scope: scope, configuration: configuration,
                               client: try HTTPClient(), metrics: JobMetrics(registry: definition.metrics), logger: logger.with(category: .orch))
        _ = try await InstanceLease.start(scope: scope, owner: worker.owner, database: database, logger: logger)
        _ = worker.start()
        let progress = ProgressBroadcaster(database: database, logger: logger)
        _ = try progress.start(conninfo: database.primary.conninfo)

        let push = PushService(database: database, loader: loader, authenticator: auth.authenticator)
        let logs = definition.configuration.clientLogDirectory.map(LogReader.init(directory:))
        ETLRoutes(database: database, auth: auth, scope: scope, progress: progress, push: push, logs: logs, logger: logger)
            .register(on: &definition.routes)
        logger.info("ETL jobs running", metadata: [
            "instance": "\(worker.owner)", "scope": "\(scope.clientID.map { "client \($0) (\(environment["CLIENT_NAME"] ?? ""))" } ?? "shared")",
            "providers": "\(registry.factories.keys.sorted().joined(separator: ","))",
        ])
    }
}

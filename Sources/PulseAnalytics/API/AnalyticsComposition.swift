import Foundation
import Logging
import PulseHTTP
import PulsePostgres
import PulseService

/// Registers the analytics API on a service's routes (pulse-backend) and starts the DORA
/// fact recomputation (LISTEN pulse_sync_finished). GETs need `analytics:read`, the settings
/// PUT `settings:write`; every read goes to the replica (analytics routing).
public enum AnalyticsComposition {
    /// Production wiring: `try await AnalyticsComposition.install(into: &service, auth: auth, logger: logger)`.
    public static func install(into service: inout ServiceDefinition, auth: ServiceAuthentication, logger: Logger) async throws {
        guard let database = service.database else {
            logger.warning("No database: the analytics API is not available")
            return
        }
        let recomputer = DORARecomputer(database: database, logger: logger)
        register(on: &service.routes, database: database, recomputer: recomputer) { [auth.require($0)] }
        _ = recomputer.listen(conninfo: database.primary.conninfo)
    }

    /// The routes; `require(permission)` gives the middleware that admits a permission.
    public static func register(on routes: inout ServiceRoutes, database: PostgresDatabase, recomputer: DORARecomputer?,
                                require: (String) -> [any Middleware]) {
        let dora = DORARoutes(database: database)
        let settings = DORASettingsRoutes(database: database, recomputer: recomputer)
        let github = PullRequestAnalytics(database: database)
        let portfolio = PortfolioAnalytics(database: database)
        let read = require("analytics:read")
        routes.get("/api/v1/settings/dora", summary: "The client's DORA settings.", middleware: read) { try await settings.get($0) }
        routes.add(.put, "/api/v1/settings/dora", summary: "Stores the client's DORA settings and recomputes the facts (needs settings:write).",
                   responses: [.init(200, "The stored settings"), .init(400, "A parameter is invalid", contentType: "application/problem+json")],
                   requestContentType: "application/json", middleware: require("settings:write")) { try await settings.put($0) }
        let bad: [RouteDescription.Response] = [.init(200, "OK"), .init(400, "A parameter is invalid", contentType: "application/problem+json")]
        routes.get("/api/v1/dora", summary: "DORA metrics of the client, a repository, project or team for a period, with tiers, weekly trend and previous period.",
                   responses: bad, middleware: read) { try await dora.dora($0) }
        routes.get("/api/v1/dora/repositories", summary: "DORA metrics of every repository of the client for a period.",
                   responses: bad, middleware: read) { try await dora.repositories($0) }
        routes.get("/api/v1/dora/deployments", summary: "Drill-down: production deployments with what they shipped, lead times, failure and restore.",
                   responses: bad, middleware: read) { try await dora.deployments($0) }
        routes.get("/api/v1/dora/incidents", summary: "Drill-down: incidents with the deployment they were attributed to and the rule, or why none.",
                   responses: bad, middleware: read) { try await dora.incidents($0) }
        routes.get("/api/v1/analytics/pull-requests", summary: "GitHub PR analytics: cycle time split, review depth, size, throughput, merge rate.",
                   responses: bad, middleware: read) { try await github.answer($0) }
        routes.get("/api/v1/analytics/portfolio", summary: "Portfolio insights per project: throughput, WIP, lead and cycle time, predictability, flow, aging WIP.",
                   responses: bad, middleware: read) { try await portfolio.answer($0) }
    }
}

import PulseAnalytics
import PulseCore

// Composition root of the backend service: configuration, logging and lifecycle come from
// ServiceMain; authentication (JWKS, session cookies, pushed revocations) from
// ServiceAuthentication; the service's own routes are added in the closure.
await ServiceMain.run(.backend) { service, logger in
    let auth = try ServiceAuthentication.install(into: &service, logger: logger)
    SessionRoutes.register(on: &service.routes, path: "/api/v1/session", auth: auth, service: "backend", permission: "analytics:read")
    try await AnalyticsComposition.install(into: &service, auth: auth, logger: logger)
}

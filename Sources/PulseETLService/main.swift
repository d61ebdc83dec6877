import PulseCore

// Composition root of the etl service: configuration, logging and lifecycle come from
// ServiceMain; authentication (JWKS, session cookies, pushed revocations) from
// ServiceAuthentication; the service's own routes are added in the closure.
await ServiceMain.run(.etl) { service, logger in
    let auth = try ServiceAuthentication.install(into: &service, logger: logger)
    SessionRoutes.register(on: &service.routes, path: "/etl/session", auth: auth, service: "etl", permission: "etl:read")
}

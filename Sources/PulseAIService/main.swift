import PulseCore

// Composition root of the ai service: configuration, logging and lifecycle come from
// ServiceMain; authentication (JWKS, session cookies, pushed revocations) from
// ServiceAuthentication; the service's own routes are added in the closure.
await ServiceMain.run(.ai) { service, logger in
    let auth = try ServiceAuthentication.install(into: &service, logger: logger)
    SessionRoutes.register(on: &service.routes, path: "/ai/session", auth: auth, service: "ai", permission: "ai:read")
}

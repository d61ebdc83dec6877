import Foundation
import PulseCore

// Composition root of the frontend gateway: proxies /auth, /.well-known, /api, /etl and /ai
// to the services over the HTTP client's keep-alive pools, adds security headers, and
// answers its own /gateway/session (the same single sign-on check as every service).
await ServiceMain.run(.gateway) { service, logger in
    let environment = ProcessInfo.processInfo.environment
    let auth = try ServiceAuthentication.install(into: &service, environment: environment, logger: logger)
    SessionRoutes.register(on: &service.routes, path: "/gateway/session", auth: auth, service: "gateway", permission: "analytics:read")
    GatewayRoutes.register(on: &service.routes, upstreams: GatewayRoutes.Upstreams(environment: environment, snapshot: service.snapshot),
                           client: try ReverseProxy.makeClient(), logger: logger)
    service.routes.use(SecurityHeadersMiddleware())
}

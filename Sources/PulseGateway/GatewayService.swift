import Logging
import PulseHTTP
import PulseHTTPClient
import PulseService

/// Composes the frontend gateway on a service definition (SPEC F-GATEWAY): its own
/// `/gateway/session`, the proxy routes, the web app's files, per-address rate limits and the
/// security headers with a strict Content-Security-Policy.
public enum GatewayService {
    /// Middleware order (outermost first): security headers, rate limits, the web app.
    public static func install(into service: inout ServiceDefinition, environment: [String: String], logger: Logger) throws {
        let auth = try ServiceAuthentication.install(into: &service, environment: environment, logger: logger)
        SessionRoutes.register(on: &service.routes, path: "/gateway/session", auth: auth, service: "gateway", permission: "analytics:read")
        GatewayRoutes.register(on: &service.routes, upstreams: GatewayRoutes.Upstreams(environment: environment, snapshot: service.snapshot),
                               client: try ReverseProxy.makeClient(), logger: logger)
        let configuration = GatewayConfiguration(snapshot: service.snapshot)
        for middleware in middleware(configuration, logger: logger) { service.routes.use(middleware) }
    }

    /// The gateway's middleware for `configuration` (also used by tests).
    public static func middleware(_ configuration: GatewayConfiguration, limiter: RateLimiter = RateLimiter(), logger: Logger) -> [any Middleware] {
        var chain: [any Middleware] = [
            SecurityHeadersMiddleware(contentSecurityPolicy: SecurityHeadersMiddleware.strictContentSecurityPolicy,
                                      permissionsPolicy: "camera=(), microphone=(), geolocation=()"),
            RateLimitMiddleware(limiter: limiter, login: configuration.loginRule, api: configuration.apiRule),
        ]
        if let root = configuration.webRoot {
            logger.info("Serving the web app", metadata: ["web_root": "\(root)"])
            chain.append(WebAppMiddleware(root: root))
        } else {
            logger.warning("No web app folder found (set gateway.web_root): the gateway only proxies")
        }
        return chain
    }
}

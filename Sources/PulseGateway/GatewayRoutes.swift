import Logging
import PulseConfiguration
import PulseHTTP
import PulseHTTPClient
import PulseService

/// The gateway's routing table: which path prefixes go to which service (SPEC F-GATEWAY).
public enum GatewayRoutes {
    public struct Upstreams: Sendable {
        public var auth: String
        public var backend: String
        public var etl: String
        public var ai: String

        /// `AUTH_URL`, `BACKEND_URL`, `ETL_URL`, `AI_URL`, else `http://127.0.0.1:<service>.port`.
        public init(environment: [String: String], snapshot: ConfigurationSnapshot) {
            func url(_ variable: String, _ service: String) -> String {
                if let value = environment[variable], !value.isEmpty { return value }
                let host = snapshot.string("\(service).host")
                return "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(snapshot.int("\(service).port"))"
            }
            auth = url("AUTH_URL", "auth")
            backend = url("BACKEND_URL", "backend")
            etl = url("ETL_URL", "etl")
            ai = url("AI_URL", "ai")
        }
    }

    static let methods: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// Adds the proxy routes: `/auth/**` and `/.well-known/**` to auth, `/api/**` to the
    /// backend, `/etl/**` and `/ws/**` (job progress WebSocket) to the ETL service, `/ai/**` to
    /// the AI service.
    public static func register(on routes: inout ServiceRoutes, upstreams: Upstreams, client: HTTPClient, logger: Logger) {
        let table: [(prefix: String, name: String, url: String)] = [
            ("/auth", "auth", upstreams.auth), ("/.well-known", "auth", upstreams.auth), ("/api", "backend", upstreams.backend),
            ("/etl", "etl", upstreams.etl), ("/ai", "ai", upstreams.ai), ("/ws", "etl", upstreams.etl),
        ]
        for entry in table {
            let proxy = ReverseProxy(name: entry.name, upstream: entry.url, client: client, logger: logger)
            for method in methods {
                routes.add(method, entry.prefix + "/**", summary: "Proxied to the \(entry.name) service.",
                           responses: [.init(200, "The upstream's answer"), .init(502, "Upstream unavailable", contentType: "application/problem+json"),
                                       .init(504, "Upstream timed out", contentType: "application/problem+json")]) { request in
                    await proxy.forward(request)
                }
            }
        }
    }
}

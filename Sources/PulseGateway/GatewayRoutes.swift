import Foundation
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
        let auth = ReverseProxy(name: "auth", upstream: upstreams.auth, client: client, logger: logger)
        routes.get("/auth/oidc/callback", summary: "OIDC redirect target, proxied to the auth service; a browser navigation ends in the web app.",
                   responses: [.init(302, "Signed in: to / (or to the sign-in page with the reason)"), .init(200, "The auth service's JSON (API callers)")]) { request in
            SingleSignOnLanding.adapt(await auth.forward(request), for: request)
        }
    }
}

/// The auth service answers its OIDC callback with tokens as JSON (and the session cookie). A
/// browser that the provider redirected there would be left on that JSON: for navigations
/// (`Accept: text/html`) the gateway turns a success into `302 /` keeping the cookies, and a
/// failure into `302 /signin?reason=sso-failed&detail=...`. API callers get the JSON unchanged.
enum SingleSignOnLanding {
    static func adapt(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard request.headers["Accept"]?.contains("text/html") == true else { return response }
        var headers: HTTPHeaders = ["Cache-Control": "no-store"]
        if (200..<300).contains(response.status.code) {
            for cookie in response.headers.values(for: "Set-Cookie") { headers.add(name: "Set-Cookie", value: cookie) }
            headers["Location"] = "/"
        } else {
            var detail = "the sign-on did not complete (\(response.status.code))"
            if case .bytes(let bytes) = response.body,
               let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let text = object["detail"] as? String {
                detail = String(text.prefix(200))
            }
            for cookie in response.headers.values(for: "Set-Cookie") { headers.add(name: "Set-Cookie", value: cookie) }
            let query = detail.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            headers["Location"] = "/signin?reason=sso-failed&detail=\(query)"
        }
        return HTTPResponse(status: HTTPStatus(code: 302), headers: headers)
    }
}

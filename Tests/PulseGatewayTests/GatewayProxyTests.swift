import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseHTTPClient
import PulseTestSupport
import PulseWebSocket
import Testing
import PulseService
@testable import PulseGateway

/// The gateway's proxy routes in one process: an upstream PulseHTTP server (plain routes and
/// a WebSocket echo) behind `GatewayRoutes` on a second server.
@Suite("Gateway reverse proxy", .timeLimit(.minutes(2)))
struct GatewayProxyTests {
    static func upstreamRouter() -> Router {
        var router = Router()
        router.get("/api/v1/echo") { request in
            let seen = request.headers.map { "\($0.name.lowercased())=\($0.value)" }.sorted().joined(separator: "\n")
            var response = HTTPResponse.text("query=\(request.query("q") ?? "")\n" + seen)
            response.headers.add(name: "Keep-Alive", value: "timeout=5")
            response.headers.add(name: "X-Upstream", value: "yes")
            return response
        }
        router.post("/api/v1/echo") { request in .text("posted:\(request.bodyText)", status: .created) }
        router.get("/api/v1/slow") { _ in
            try await Task.sleep(for: .seconds(1))
            return .text("late")
        }
        router.get("/api/v1/large") { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .stream { writer in
                for i in 0..<64 { try await writer.write([UInt8](repeating: UInt8(i), count: 16 * 1024)) }
            })
        }
        router.get("/api/v1/empty") { _ in HTTPResponse(status: .noContent) }
        router.get("/api/v1/redirect") { _ in HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "/elsewhere"]) }
        router.webSocket("/ws/echo") { session in
            for await message in session.messages {
                do { try await session.send(message) } catch { break }
            }
        }
        return router
    }

    /// The gateway's proxy routes with every service at `upstream`.
    static func gatewayRoutes(upstream url: String, requestTimeout: Duration = .seconds(30)) throws -> ServiceRoutes {
        var routes = ServiceRoutes()
        GatewayRoutes.register(on: &routes, upstreams: GatewayRoutes.Upstreams(
            environment: ["AUTH_URL": url, "BACKEND_URL": url, "ETL_URL": url, "AI_URL": url], snapshot: ConfigurationSnapshot()),
            client: try ReverseProxy.makeClient(requestTimeout: requestTimeout), logger: Logger(label: "test.gateway"))
        return routes
    }

    func withGateway(requestTimeout: Duration = .seconds(30), _ body: (Int) async throws -> Void) async throws {
        try await withLiveHTTPServer(responder: Self.upstreamRouter()) { _, upstreamPort in
            var routes = try Self.gatewayRoutes(upstream: "http://127.0.0.1:\(upstreamPort)", requestTimeout: requestTimeout)
            routes.use(SecurityHeadersMiddleware())
            let responder = MiddlewareChain([RequestIDMiddleware()], responder: routes.router)
            try await withLiveHTTPServer(responder: responder) { _, port in try await body(port) }
        }
    }

    @Test func forwardsRequestsAndStripsHopByHopHeaders() async throws {
        try await withGateway { port in
            // A raw client: ours would not send a Connection field of the caller's.
            let raw = try HTTPTestClient(port: port)
            let response = try await raw.request("GET", "/api/v1/echo?q=1", headers: [
                ("X-Request-ID", "req-42"), ("Connection", "X-Secret"), ("X-Secret", "drop me"),
                ("Authorization", "Bearer t"), ("X-Forwarded-For", "10.0.0.1"), ("Forwarded", "for=10.0.0.2;proto=https"),
                ("X-Forwarded-Proto", "https"), ("X-Real-IP", "10.0.0.3"),
            ])
            raw.socket.close()
            #expect(response.status == 200)
            let seen = response.bodyText
            #expect(seen.contains("query=1"))
            #expect(seen.contains("x-request-id=req-42"))
            // The gateway is the edge: what the client claimed is replaced by what it saw.
            #expect(seen.contains("x-forwarded-for=127.0.0.1\n"), "\(seen)")
            #expect(!seen.contains("10.0.0."), "client-sent forwarding fields are dropped")
            #expect(seen.contains("x-forwarded-proto=http\n"))
            #expect(!seen.contains("x-forwarded-proto=https"))
            #expect(seen.contains("forwarded=for=127.0.0.1;proto=http;host=127.0.0.1"), "\(seen)")
            #expect(seen.contains("x-forwarded-host=127.0.0.1"))
            #expect(seen.contains("authorization=Bearer t"))
            #expect(!seen.contains("x-secret"), "a field named by Connection is hop-by-hop")
            #expect(response.header("X-Upstream") == "yes")
            #expect(response.header("Keep-Alive") == nil)
            #expect(response.header("X-Frame-Options") == "DENY")
            let client = try HTTPClient()
            let posted = try await client.post("http://127.0.0.1:\(port)/api/v1/echo", body: Array("body".utf8))
            #expect(posted.status.code == 201 && posted.bodyText == "posted:body")
            // Redirects are the browser's business: passed through, not followed.
            let redirect = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/redirect", maximumRedirects: 0))
            #expect(redirect.status.code == 302 && redirect.headers["Location"] == "/elsewhere")
            // A 1 MiB streamed body arrives intact; a 204 stays bodiless.
            let large = try await client.get("http://127.0.0.1:\(port)/api/v1/large")
            #expect(large.body == (0..<64).flatMap { [UInt8](repeating: UInt8($0), count: 16 * 1024) })
            let empty = try await client.get("http://127.0.0.1:\(port)/api/v1/empty")
            #expect(empty.status.code == 204 && empty.body.isEmpty)
            // Upstream 404 passes through.
            #expect(try await client.get("http://127.0.0.1:\(port)/api/v1/missing").status.code == 404)
        }
    }

    @Test func slowUpstreamIs504AndDownUpstreamIs502() async throws {
        try await withGateway(requestTimeout: .milliseconds(300)) { port in
            let client = try HTTPClient()
            let slow = try await client.get("http://127.0.0.1:\(port)/api/v1/slow")
            #expect(slow.status.code == 504)
            #expect(slow.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
        }
        let routes = try Self.gatewayRoutes(upstream: "http://127.0.0.1:\(FreePorts.one())")
        try await withLiveHTTPServer(responder: routes.router) { _, port in
            let down = try await HTTPClient().get("http://127.0.0.1:\(port)/api/v1/x")
            #expect(down.status.code == 502)
            #expect(down.bodyText.contains("backend"))
        }
    }

    @Test func webSocketsAreTunnelled() async throws {
        try await withGateway { port in
            let ws = try await WebSocketClient.connect(port: port, path: "/ws/echo")
            try await ws.send(.text("hello through the gateway"))
            try await ws.send(.binary(Array(repeating: 7, count: 100_000)))
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("hello through the gateway"))
            #expect(try await iterator.next() == .binary(Array(repeating: 7, count: 100_000)))
            #expect(await ws.close() == .normalClosure)
        }
    }
}

/// A browser that the OIDC provider sends to `/auth/oidc/callback` lands in the web app, not on JSON.
@Suite("Gateway single sign-on landing", .timeLimit(.minutes(1)))
struct SingleSignOnLandingTests {
    @Test func browserNavigationsAreRedirectedIntoTheApp() async throws {
        var upstream = Router()
        upstream.get("/auth/oidc/callback") { request in
            if request.query("state") == "good" {
                var response = HTTPResponse.text(#"{"access_token":"t"}"#)
                response.headers["Content-Type"] = "application/json"
                response.headers.add(name: "Set-Cookie", value: "pulse_session=abc; HttpOnly; Path=/")
                return response
            }
            return ProblemDetails(status: .badRequest, detail: "the sign-on state is unknown or expired").response()
        }
        try await withLiveHTTPServer(responder: upstream) { _, upstreamPort in
            let routes = try GatewayProxyTests.gatewayRoutes(upstream: "http://127.0.0.1:\(upstreamPort)")
            try await withLiveHTTPServer(responder: routes.router) { _, port in
                let client = try HTTPTestClient(port: port)
                defer { client.socket.close() }
                let html = ("Accept", "text/html,application/xhtml+xml")
                let ok = try await client.request("GET", "/auth/oidc/callback?state=good&code=c", headers: [html])
                #expect(ok.status == 302 && ok.header("Location") == "/")
                #expect(ok.header("Set-Cookie") == "pulse_session=abc; HttpOnly; Path=/")
                #expect(!ok.bodyText.contains("access_token"))
                let bad = try await client.request("GET", "/auth/oidc/callback?state=bad", headers: [html])
                #expect(bad.status == 302)
                #expect(bad.header("Location") == "/signin?reason=sso-failed&detail=the%20sign%2Don%20state%20is%20unknown%20or%20expired")
                // API callers (no text/html) get the auth service's answer as it is.
                let api = try await client.request("GET", "/auth/oidc/callback?state=good", headers: [("Accept", "application/json")])
                #expect(api.status == 200 && api.bodyText.contains("access_token"))
            }
        }
    }
}

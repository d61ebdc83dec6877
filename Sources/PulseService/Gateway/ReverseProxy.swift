import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseHTTPClient

/// Forwards requests to an upstream service over `HTTPClient` (keep-alive pool per upstream):
/// hop-by-hop fields stripped both ways, `X-Request-Id`, `X-Forwarded-For`,
/// `X-Forwarded-Proto` and `X-Forwarded-Host` set, redirects and encodings passed through
/// untouched; `Upgrade` requests (WebSocket) become a byte tunnel. Request bodies are bounded by
/// the server's body limit; response bodies over 256 KiB (or without a length) are streamed.
/// An unreachable upstream is a 502, a slow one a 504, both problem+json.
public struct ReverseProxy: Sendable {
    /// Base URL of the upstream, without a trailing slash (`http://127.0.0.1:3001`).
    public let upstream: String
    public let name: String
    private let client: HTTPClient
    private let logger: Logger

    public init(name: String, upstream: String, client: HTTPClient, logger: Logger) {
        self.name = name
        self.upstream = upstream.hasSuffix("/") ? String(upstream.dropLast()) : upstream
        self.client = client
        self.logger = logger
    }

    /// A client suited to proxying: no redirects followed, no decoding, generous limits.
    public static func makeClient(requestTimeout: Duration = .seconds(30)) throws -> HTTPClient {
        try HTTPClient(configuration: HTTPClientConfiguration(
            timeouts: .init(connect: .seconds(2), request: requestTimeout, overall: requestTimeout + .seconds(5)),
            pool: .init(maximumConnectionsPerOrigin: 256, maximumIdlePerOrigin: 64, idleTimeout: .seconds(20)),
            maximumRedirects: 0, maximumResponseBytes: 64 << 20, decompress: false))
    }

    public func forward(_ request: HTTPRequest) async -> HTTPResponse {
        let headers = forwardedHeaders(request)
        if request.method == .get, let upgrade = request.headers["Upgrade"],
           request.headers.tokens(for: "Connection").contains(where: { $0.lowercased() == "upgrade" }) {
            return await tunnel(request, headers: headers, protocolName: upgrade)
        }
        let outgoing = HTTPClientRequest(method: request.method, url: upstream + request.target, headers: headers, body: request.body,
                                         maximumRedirects: 0)
        // The exchange runs on the client's event loop: each readiness wait resumes right there
        // instead of hopping to the cooperative pool and back.
        return await withTaskExecutorPreference(client.eventLoop) { await relay(outgoing, request) }
    }

    private func relay(_ outgoing: HTTPClientRequest, _ request: HTTPRequest) async -> HTTPResponse {
        do {
            let response = try await client.stream(outgoing)
            var back = HopByHopHeaders.removing(from: response.headers)
            back.remove(name: "Content-Length")
            // Small or empty bodies are relayed whole (keeping Content-Length); the rest is
            // streamed piece by piece (chunked to the browser), never held in memory.
            if !response.hasBody { return HTTPResponse(status: response.status, headers: back) }
            if let length = response.contentLength, length <= Self.bufferedBodyLimit {
                return HTTPResponse(status: response.status, headers: back, body: .bytes(try await response.body.collect(upTo: length)))
            }
            let body = response.body
            return HTTPResponse(status: response.status, headers: back, body: .stream { writer in
                do {
                    for try await piece in body { try await writer.write(piece) }
                } catch {
                    body.cancel()
                    throw error
                }
            })
        } catch {
            return failure(error, request)
        }
    }

    /// Bodies up to this size (with a Content-Length) are relayed in one piece.
    static let bufferedBodyLimit = 256 * 1024

    /// The request's end-to-end headers plus the forwarding ones.
    func forwardedHeaders(_ request: HTTPRequest) -> HTTPHeaders {
        var headers = HopByHopHeaders.removing(from: request.headers)
        for name in ["Host", "Content-Length", "X-Forwarded-For", "X-Forwarded-Host", "X-Request-Id"] { headers.remove(name: name) }
        let forwardedFor = request.headers.values(for: "X-Forwarded-For") + (request.remoteAddress.map { [$0.host] } ?? [])
        if !forwardedFor.isEmpty { headers.add(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", ")) }
        if request.headers["X-Forwarded-Proto"] == nil { headers.add(name: "X-Forwarded-Proto", value: "http") }
        if let host = request.headers["Host"] { headers.add(name: "X-Forwarded-Host", value: host) }
        if let id = request.requestID { headers.add(name: "X-Request-Id", value: id) }
        return headers
    }

    /// Upgrade requests (WebSocket): the upstream's 101 is relayed and both connections are
    /// then joined byte for byte (`TunnelHandler`); any other answer is relayed as is.
    func tunnel(_ request: HTTPRequest, headers: HTTPHeaders, protocolName: String) async -> HTTPResponse {
        do {
            switch try await client.upgrade(HTTPClientRequest(url: upstream + request.target, headers: headers), to: protocolName) {
            case .refused(let response):
                var back = HopByHopHeaders.removing(from: response.headers)
                back.remove(name: "Content-Length")
                return HTTPResponse(status: response.status, headers: back, body: .bytes(response.body))
            case .upgraded(let head, let stream):
                var back = HopByHopHeaders.removing(from: head.headers)
                back.add(name: "Connection", value: "Upgrade")
                back.add(name: "Upgrade", value: head.headers["Upgrade"] ?? protocolName)
                return HTTPResponse(status: .switchingProtocols, headers: back, upgrade: TunnelHandler(upstream: stream))
            }
        } catch {
            return failure(error, request)
        }
    }

    /// 504 for timeouts, 502 for everything else, as problem+json; logged with the request id.
    private func failure(_ error: HTTPClientError, _ request: HTTPRequest) -> HTTPResponse {
        let timedOut = error.isTimeout
        logger.warning("Upstream request failed", metadata: [
            "upstream": "\(name)", "path": "\(request.path)", "error": "\(error)", "request_id": "\(request.requestID ?? "-")",
        ])
        let problem = ProblemDetails(status: timedOut ? .gatewayTimeout : .badGateway, type: "urn:pulse:gateway:upstream",
                                     detail: timedOut ? "the \(name) service did not answer in time" : "the \(name) service is unavailable")
        return problem.response()
    }
}

/// Headers every gateway response carries (what a browser should enforce for the web app).
public struct SecurityHeadersMiddleware: Middleware {
    public init() {}

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        var response = try await next.respond(to: request)
        for (name, value) in [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                              ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
        where !response.headers.contains(name) {
            response.headers.add(name: name, value: value)
        }
        return response
    }
}

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

import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseHTTPClient

/// Forwards requests to an upstream service over `HTTPClient` (keep-alive pool per upstream):
/// hop-by-hop fields stripped both ways, `X-Request-Id`, `X-Forwarded-For`, `Forwarded`,
/// `X-Forwarded-Proto` and `X-Forwarded-Host` set by the gateway (never passed on from the client), redirects and encodings passed through
/// untouched; `Upgrade` requests (WebSocket) become a byte tunnel. Request bodies are bounded by
/// the server's body limit; response bodies over 256 KiB (or without a length) are streamed.
/// An unreachable upstream is a 502, a slow one a 504, both problem+json.
public struct ReverseProxy: Sendable {
    /// Base URL of the upstream, without a trailing slash (`http://127.0.0.1:3001`).
    public let upstream: String
    public let name: String
    /// Scheme of the gateway's own listener, sent as `X-Forwarded-Proto` (`http`: PulseHTTP
    /// listens in plain text; TLS, where used, terminates in front of nothing Pulse trusts).
    public let listenerScheme: String
    private let client: HTTPClient
    private let logger: Logger

    public init(name: String, upstream: String, client: HTTPClient, listenerScheme: String = "http", logger: Logger) {
        self.name = name
        self.listenerScheme = listenerScheme
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

    /// The request's end-to-end headers plus the forwarding ones. The gateway is the edge: what
    /// a client sent as `X-Forwarded-For`, `Forwarded`, `X-Forwarded-Proto`, `X-Forwarded-Host`
    /// or `X-Real-IP` is dropped and replaced by what the gateway itself saw (the peer address of
    /// the connection, the scheme of its own listener), so a caller cannot pose as another
    /// address (auth throttles per address) or claim https (it decides the cookie's `Secure`).
    func forwardedHeaders(_ request: HTTPRequest) -> HTTPHeaders {
        var headers = HopByHopHeaders.removing(from: request.headers)
        for name in ["Host", "Content-Length", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "X-Real-IP",
                     "X-Request-Id"] {
            headers.remove(name: name)
        }
        let proto = listenerScheme
        var forwarded: [String] = []
        if let peer = request.remoteAddress?.host {
            headers.add(name: "X-Forwarded-For", value: peer)
            // RFC 7239: IPv6 addresses are quoted and bracketed.
            forwarded.append(peer.contains(":") ? "for=\"[\(peer)]\"" : "for=\(peer)")
        }
        headers.add(name: "X-Forwarded-Proto", value: proto)
        forwarded.append("proto=\(proto)")
        if let host = request.headers["Host"] {
            headers.add(name: "X-Forwarded-Host", value: host)
            if Self.isToken(host) { forwarded.append("host=\(host)") } else { forwarded.append("host=\"\(host.filter { $0 != "\"" && $0 != "\\" })\"") }
        }
        headers.add(name: "Forwarded", value: forwarded.joined(separator: ";"))
        if let id = request.requestID { headers.add(name: "X-Request-Id", value: id) }
        return headers
    }

    /// Whether `value` may stand unquoted as an RFC 7230 token in `Forwarded`.
    static func isToken(_ value: String) -> Bool {
        !value.isEmpty && value.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0)) }
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

import Foundation
import PulseHTTP
import PulseHTTPClient
import PulseSecurity

/// A response from an OIDC provider: status and a bounded body.
public struct OIDCHTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// The outbound HTTP the OIDC login needs (discovery, JWKS, token endpoint). A protocol so
/// tests and other transports can stand in without touching the login code. Implementations
/// must verify TLS certificates and must not follow redirects.
public protocol OIDCHTTPClient: Sendable {
    func get(_ url: String) async throws -> OIDCHTTPResponse
    /// POSTs `application/x-www-form-urlencoded` fields (RFC 6749 §4.1.3).
    func postForm(_ url: String, fields: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse
}

/// A failure talking to the provider (network, timeout, oversized answer).
public struct OIDCHTTPError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// `OIDCHTTPClient` on Pulse's own HTTP client: TLS certificate and host-name verification
/// always on, 10 s timeouts, no cookies, redirects never followed (a 3xx is returned as is
/// and treated as a failure by the login), bodies capped at 256 KiB.
public final class PulseOIDCHTTPClient: OIDCHTTPClient {
    public static let maximumBodyBytes = 256 * 1024
    private let client: HTTPClient

    /// - Parameter trustedCAFile: PEM file of the CAs to trust instead of the system store
    ///   (a provider behind a private CA).
    public init(timeout: Duration = .seconds(10), trustedCAFile: String? = nil) throws(HTTPClientError) {
        client = try HTTPClient(configuration: HTTPClientConfiguration(
            timeouts: .init(connect: timeout, request: timeout, overall: timeout),
            pool: .init(maximumConnectionsPerOrigin: 8, maximumIdlePerOrigin: 2),
            tls: .init(trustedCAFile: trustedCAFile), maximumRedirects: 0, maximumResponseBytes: Self.maximumBodyBytes))
    }

    deinit { client.shutdown() }

    public func get(_ url: String) async throws -> OIDCHTTPResponse {
        try await send(HTTPClientRequest(method: .get, url: url, headers: ["Accept": "application/json"]))
    }

    public func postForm(_ url: String, fields: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse {
        var request = HTTPClientRequest(method: .post, url: url, headers: HTTPHeaders(headers), body: Array(FormEncoding.encode(fields).utf8))
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json")
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> OIDCHTTPResponse {
        do {
            let response = try await client.execute(request)
            return OIDCHTTPResponse(status: response.status.code, body: response.body)
        } catch {
            // The reason (TLS, timeout, size) goes to the caller's log, never to the browser.
            throw OIDCHTTPError(description: "provider request failed: \(error)")
        }
    }
}

/// `application/x-www-form-urlencoded` as RFC 6749 Appendix B asks (unreserved characters
/// kept, everything else percent-encoded, so `+` and `&` in secrets survive).
enum FormEncoding {
    static let unreserved: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }
}

/// The provider's JWKS over `OIDCHTTPClient`, for `OIDCIDTokenValidator`'s `JWKSCache`.
struct OIDCJWKSSource: JWKSFetching {
    let url: String
    let http: any OIDCHTTPClient

    func fetchJWKS() async throws -> JWKSet {
        let response = try await http.get(url)
        guard response.status == 200 else { throw SecurityError(.keySetUnavailable, "provider JWKS request failed") }
        return try JWKSet(json: response.body)
    }
}

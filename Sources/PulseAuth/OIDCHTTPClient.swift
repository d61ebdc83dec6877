import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
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
/// the Pulse HTTP client can replace the Foundation implementation later without touching
/// the login code. Implementations must verify TLS certificates and must not follow redirects.
public protocol OIDCHTTPClient: Sendable {
    func get(_ url: String) async throws -> OIDCHTTPResponse
    /// POSTs `application/x-www-form-urlencoded` fields (RFC 6749 §4.1.3).
    func postForm(_ url: String, fields: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse
}

/// A failure talking to the provider (network, timeout, oversized answer).
public struct OIDCHTTPError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// `OIDCHTTPClient` on Foundation's URLSession (FoundationNetworking / libcurl on Linux):
/// default TLS certificate and host-name verification, 10 s timeouts, no cookies, no
/// caching, redirects refused, bodies capped at 256 KiB.
public final class URLSessionOIDCHTTPClient: OIDCHTTPClient {
    public static let maximumBodyBytes = 256 * 1024
    private let session: URLSession

    public init(timeout: TimeInterval = 10) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func get(_ url: String) async throws -> OIDCHTTPResponse {
        guard let target = URL(string: url) else { throw OIDCHTTPError(description: "malformed provider URL") }
        var request = URLRequest(url: target)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        return try await send(request)
    }

    public func postForm(_ url: String, fields: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse {
        guard let target = URL(string: url) else { throw OIDCHTTPError(description: "malformed provider URL") }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(FormEncoding.encode(fields).utf8)
        return try await send(request)
    }

    private func send(_ request: URLRequest) async throws -> OIDCHTTPResponse {
        let session = self.session
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                guard error == nil, let http = response as? HTTPURLResponse else {
                    continuation.resume(throwing: OIDCHTTPError(description: "provider request failed"))
                    return
                }
                let body = data ?? Data()
                guard body.count <= Self.maximumBodyBytes else {
                    continuation.resume(throwing: OIDCHTTPError(description: "provider response too large"))
                    return
                }
                continuation.resume(returning: OIDCHTTPResponse(status: http.statusCode, body: Array(body)))
            }.resume()
        }
    }

    /// A redirect from a token or JWKS endpoint is never followed (a POST must not turn into
    /// a GET elsewhere; endpoints come from the discovery document, exactly).
    private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
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

import Foundation
import PulseHTTP

/// An RFC 6749 §5.2 error (`{"error":…,"error_description":…}`), used by the OAuth endpoints
/// (`/auth/token`, `/auth/introspect`, `/auth/revoke`). The description is a constant
/// sentence: it never says whether an account, token or client exists.
public struct OAuthError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    public var code: String
    public var description: String
    public var retryAfter: Int?

    public init(_ status: HTTPStatus, _ code: String, _ description: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.description = description
        self.retryAfter = retryAfter
    }

    static func invalidRequest(_ text: String) -> OAuthError { OAuthError(.badRequest, "invalid_request", text) }
    static let invalidGrant = OAuthError(.badRequest, "invalid_grant", "the credentials or grant are invalid, expired or revoked")
    static let invalidClient = OAuthError(.unauthorized, "invalid_client", "client authentication failed")
    static let invalidCredentials = OAuthError(.unauthorized, "invalid_grant", "invalid client, email or password")

    static func throttled(retryAfter: Int) -> OAuthError {
        OAuthError(.tooManyRequests, "slow_down", "too many failed attempts; try again later", retryAfter: retryAfter)
    }

    /// The OAuth JSON body (`Cache-Control: no-store` as RFC 6749 §5.1 asks).
    public func response() -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "no-store")
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: #"Basic realm="pulse""#) }
        if let retryAfter { headers.add(name: "Retry-After", value: String(retryAfter)) }
        let body = JSONBody.object(["error": .string(code), "error_description": .string(description)])
        var response = HTTPResponse.bytes(body.bytes, status: status, contentType: "application/json")
        for (name, value) in headers { response.headers.add(name: name, value: value) }
        return response
    }

    /// The same failure as problem+json, for the non-OAuth endpoints (login, me, logout).
    public func problem() -> HTTPError {
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: String(retryAfter)) }
        return HTTPError(status, detail: description, type: "urn:pulse:auth:\(code)", headers: headers)
    }
}

/// A small JSON value for response bodies built by hand (stable member order, no Codable
/// boilerplate for one-off shapes).
enum JSONBody: Sendable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case array([JSONBody])
    case object([(String, JSONBody)])
    case null

    static func object(_ members: KeyValuePairs<String, JSONBody>) -> JSONBody { .object(members.map { ($0.key, $0.value) }) }

    var bytes: [UInt8] { Array(text.utf8) }

    var text: String {
        switch self {
        case .string(let s): return Self.quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String { JSONText.quote(text) }

    func response(status: HTTPStatus = .ok) -> HTTPResponse {
        var response = HTTPResponse.bytes(bytes, status: status, contentType: "application/json")
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }
}

import Foundation
import PulseHTTP
import PulseSecurity

/// How a request proved its identity.
public enum CredentialKind: String, Sendable {
    case bearer
    case sessionCookie = "session_cookie"
}

/// The credential kind of the authenticated request (set next to the identity).
public enum CredentialKindKey: RequestContextKey { public typealias Value = CredentialKind }

/// The `Authenticator` every Pulse service uses: a bearer access token verified locally by
/// `TokenVerifier` (signature against the cached JWKS, iss/aud/exp/nbf, pushed revocations),
/// else pulse-auth's session cookie resolved by `SessionCookieResolver`. Cookie requests with
/// unsafe methods must carry the session's CSRF token in `X-CSRF-Token` (signed
/// double-submit, checked with the key pulse-auth signs with): a browser attaches cookies to
/// cross-site requests, never that header.
public struct ServiceAuthenticator: Authenticator {
    public let verifier: TokenVerifier
    public let sessions: SessionCookieResolver
    public let csrf: CSRFTokens?

    public init(verifier: TokenVerifier, sessions: SessionCookieResolver, csrf: CSRFTokens?) {
        self.verifier = verifier
        self.sessions = sessions
        self.csrf = csrf
    }

    static let safeMethods: Set<HTTPMethod> = [.get, .head, .options]

    public func authenticate(_ request: HTTPRequest) async throws -> Identity? {
        if let header = request.headers["Authorization"] {
            guard let token = BearerToken.extract(fromAuthorization: header) else {
                throw Self.unauthorized("the Authorization header must be 'Bearer <token>'", error: "invalid_request")
            }
            do {
                let identity = try await verifier.verify(token)
                request.context[CredentialKindKey.self] = .bearer
                return identity
            } catch where error.code == .keySetUnavailable {
                throw HTTPError(.serviceUnavailable, detail: "the auth service's keys cannot be fetched", type: "urn:pulse:auth:unavailable",
                                headers: ["Retry-After": "1"])
            } catch {
                // One answer for every bad token: nothing tells a prober which check failed.
                throw Self.unauthorized("the access token is invalid, expired or revoked", error: "invalid_token")
            }
        }
        guard let cookie = Self.sessionCookie(request) else { return nil }
        let identity: Identity
        do { identity = try await sessions.identity(cookie: cookie, requestID: request.requestID) } catch {
            switch error {
            case .notSignedIn: throw Self.unauthorized("the session is not signed in", error: nil)
            case .unavailable:
                throw HTTPError(.serviceUnavailable, detail: "the auth service cannot be reached", type: "urn:pulse:auth:unavailable",
                                headers: ["Retry-After": "1"])
            }
        }
        if !Self.safeMethods.contains(request.method) {
            guard let csrf, let sid = identity.sessionID, csrf.isValid(request.headers["X-CSRF-Token"], sessionID: sid) else {
                throw HTTPError(.forbidden, detail: "cookie-authenticated writes need a valid X-CSRF-Token header", type: "urn:pulse:auth:csrf")
            }
        }
        request.context[CredentialKindKey.self] = .sessionCookie
        return identity
    }

    static func unauthorized(_ detail: String, error: String?) -> HTTPError {
        let challenge = error.map { #"Bearer realm="pulse", error="\#($0)""# } ?? #"Bearer realm="pulse""#
        return HTTPError(.unauthorized, detail: detail, type: "urn:pulse:auth:unauthorized", headers: ["WWW-Authenticate": challenge])
    }

    /// The value of the `pulse_session` cookie, if sent.
    static func sessionCookie(_ request: HTTPRequest) -> String? {
        request.cookie(named: ServiceAuthentication.sessionCookieName)
    }
}

/// Lets a request through only with an identity holding `permission` (exact, or an
/// `area:*` grant): 401 problem+json without valid credentials, 403 without the permission.
/// Authenticates first unless an outer `AuthenticationMiddleware` already did.
public struct RequirePermission: Middleware {
    public let permission: String
    public let authenticator: ServiceAuthenticator

    public init(_ permission: String, authenticator: ServiceAuthenticator) {
        self.permission = permission
        self.authenticator = authenticator
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        var identity = request.identity(as: Identity.self)
        if identity == nil {
            identity = try await authenticator.authenticate(request)
            request.context[AuthenticatedIdentityKey<Identity>.self] = identity
        }
        guard let identity else {
            throw ServiceAuthenticator.unauthorized("authentication required", error: nil)
        }
        guard identity.has(permission) else {
            throw HTTPError(.forbidden, detail: "permission \(permission) is required", type: "urn:pulse:auth:forbidden")
        }
        return try await next.respond(to: request)
    }
}

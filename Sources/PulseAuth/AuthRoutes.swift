import Foundation
import Logging
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// The auth service's HTTP API, registered on a `ServiceRoutes` (so `/openapi.json` lists it).
public struct AuthRoutes: Sendable {
    let service: AuthService
    let logger: Logger

    public init(service: AuthService, logger: Logger = Logger(label: "pulse.auth")) {
        self.service = service
        self.logger = logger
    }

    public func register(on routes: inout ServiceRoutes) {
        let s = self
        routes.post("/auth/login", summary: "Sign in with client slug, email and password: tokens and a session cookie.",
                    responses: [.init(200, "Signed in"), .init(400, "Bad request"), .init(401, "Invalid credentials"), .init(429, "Throttled")]) {
            try await s.problems { try await s.login($0) }($0)
        }
        routes.post("/auth/token", summary: "OAuth 2 token endpoint: password, refresh_token, client_credentials.",
                    responses: [.init(200, "Tokens"), .init(400, "OAuth error"), .init(401, "invalid_client")]) {
            await s.oauth { try await s.token($0) }($0)
        }
        routes.get("/auth/me", summary: "The signed-in identity (bearer token or session cookie).",
                   responses: [.init(200, "Identity"), .init(401, "Not signed in")]) {
            try await s.problems { try await s.me($0) }($0)
        }
        routes.post("/auth/logout", summary: "Ends the session of the bearer token or cookie; revocation is pushed to every service.",
                    responses: [.init(204, "Signed out")]) {
            try await s.problems { try await s.logout($0) }($0)
        }
        routes.post("/auth/introspect", summary: "RFC 7662 token introspection (service-account client authentication).",
                    responses: [.init(200, "Introspection result"), .init(401, "invalid_client")]) {
            await s.oauth { try await s.introspect($0) }($0)
        }
        routes.post("/auth/revoke", summary: "RFC 7009 token revocation.", responses: [.init(200, "Revoked (or unknown)")]) {
            await s.oauth { try await s.revoke($0) }($0)
        }
        routes.get("/auth/users/:id", summary: "One user of the caller's client (needs users:read).",
                   responses: [.init(200, "User"), .init(401, "Not signed in"), .init(403, "Missing permission"), .init(404, "No such user")]) {
            try await s.problems { try await s.user($0) }($0)
        }
        registerAdmin(on: &routes)
        registerOIDC(on: &routes)
        routes.get("/.well-known/jwks.json", summary: "Public keys that verify access tokens.") { _ in
            var response = HTTPResponse.bytes(s.service.jwks().jsonBytes(), contentType: "application/json")
            response.headers.add(name: "Cache-Control", value: "public, max-age=60")
            return response
        }
        routes.get("/.well-known/openid-configuration", summary: "Discovery document of the token authority.") { _ in
            s.discovery().response()
        }
    }

    // MARK: Error translation

    /// OAuth endpoints: RFC 6749 error bodies; database trouble is a 503, never details.
    func oauth(_ body: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> @Sendable (HTTPRequest) async -> HTTPResponse {
        { request in
            do { return try await body(request) } catch let error as OAuthError {
                return error.response()
            } catch {
                return unexpected(error, request).response()
            }
        }
    }

    /// Non-OAuth endpoints: problem+json.
    func problems(_ body: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> @Sendable (HTTPRequest) async throws -> HTTPResponse {
        { request in
            do { return try await body(request) } catch let error as OAuthError {
                throw error.problem()
            } catch let error as HTTPError {
                throw error
            } catch {
                throw unexpected(error, request).problem()
            }
        }
    }

    private func unexpected(_ error: any Error, _ request: HTTPRequest) -> OAuthError {
        if let error = error as? PostgresError, error.httpStatus == 503 {
            logger.warning("Database unavailable", metadata: ["error": "\(error)", "path": "\(request.path)"])
            return OAuthError(.serviceUnavailable, "temporarily_unavailable", "the service is temporarily unavailable", retryAfter: 1)
        }
        if let error = error as? PostgresError, (400..<500).contains(error.httpStatus) {
            // Constraint violations (duplicate email, …): the public code only, never SQL text.
            return OAuthError(HTTPStatus(code: error.httpStatus), error.publicCode, "the request conflicts with stored data (\(error.publicCode))")
        }
        logger.error("Auth request failed", metadata: ["error": "\(error)", "path": "\(request.path)"])
        return OAuthError(.internalServerError, "server_error", "the request could not be completed")
    }

    // MARK: Helpers

    /// The caller's address for throttling and audit: the peer's, unless the peer is one of the
    /// configured proxies (`auth.trusted_proxies`), whose `X-Forwarded-For` / `Forwarded` then
    /// names it. A header from anyone else is ignored, so it cannot spoof or spread a counter.
    func origin(_ request: HTTPRequest) -> RequestOrigin {
        let peer = request.remoteAddress?.host ?? "unknown"
        let address = ForwardedAddress.client(peer: peer, headers: request.headers, trustedProxies: service.configuration.trustedProxies)
        return RequestOrigin(address: address, userAgent: request.headers["User-Agent"])
    }

    func body(_ request: HTTPRequest) throws(OAuthError) -> AuthRequestBody {
        try AuthRequestBody(request: request, maximumBytes: service.configuration.maximumBodyBytes)
    }

    func tokenResponse(_ tokens: IssuedTokens) -> JSONBody {
        var members: [(String, JSONBody)] = [
            ("access_token", .string(tokens.accessToken)), ("token_type", .string("Bearer")), ("expires_in", .int(Int64(tokens.expiresIn))),
        ]
        if let refresh = tokens.refreshToken { members.append(("refresh_token", .string(refresh))) }
        if let sid = tokens.sessionID {
            members.append(("session_id", .string(sid)))
            if tokens.sessionCookie != nil { members.append(("csrf_token", .string(service.csrf.issue(sessionID: sid)))) }
        }
        return .object(members)
    }

    func discovery() -> JSONBody {
        let base = service.configuration.issuer.hasSuffix("/") ? String(service.configuration.issuer.dropLast()) : service.configuration.issuer
        return .object([
            "issuer": .string(service.configuration.issuer),
            "jwks_uri": .string(base + "/.well-known/jwks.json"),
            "token_endpoint": .string(base + "/auth/token"),
            "introspection_endpoint": .string(base + "/auth/introspect"),
            "revocation_endpoint": .string(base + "/auth/revoke"),
            "userinfo_endpoint": .string(base + "/auth/me"),
            "grant_types_supported": .array(["password", "refresh_token", "client_credentials"].map(JSONBody.string)),
            "token_endpoint_auth_methods_supported": .array(["client_secret_basic", "client_secret_post"].map(JSONBody.string)),
            "response_types_supported": .array([]),
            "subject_types_supported": .array([.string("public")]),
            "id_token_signing_alg_values_supported": .array([.string("RS256"), .string("EdDSA")]),
            "token_endpoint_auth_signing_alg_values_supported": .array([.string("RS256"), .string("EdDSA")]),
        ])
    }

    /// `client_id`/`client_secret` from HTTP Basic (RFC 6749 §2.3.1, form-encoded inside
    /// base64) or from the body; nil when neither is present.
    func clientCredentials(_ request: HTTPRequest, _ body: AuthRequestBody) throws(OAuthError) -> (String, String)? {
        if let header = request.headers["Authorization"], header.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                  let id = String(text[..<colon]).removingPercentEncoding,
                  let secret = String(text[text.index(after: colon)...]).removingPercentEncoding
            else { throw OAuthError.invalidClient }
            return (id, secret)
        }
        if let id = body["client_id"], let secret = body["client_secret"] { return (id, secret) }
        return nil
    }

    func sessionCookie(_ request: HTTPRequest) -> String? { cookie(AuthConfiguration.sessionCookieName, request) }

    /// The value of cookie `name`, if the request carries it.
    func cookie(_ name: String, _ request: HTTPRequest) -> String? { request.cookie(named: name) }

    func cookieHeader(_ request: HTTPRequest, value: String, maxAge: Int) -> String {
        let secure = service.configuration.secureCookies || request.headers["X-Forwarded-Proto"]?.lowercased() == "https"
        return "\(AuthConfiguration.sessionCookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }
}

import Foundation
import PulseHTTP
import PulseSecurity

/// Who is calling: a verified bearer token or a live session cookie.
enum Caller: Sendable {
    case token(Identity)
    case cookie(clientID: Int, session: StoredSession)

    var clientID: Int? {
        switch self {
        case .token(let identity): return Int(identity.clientID)
        case .cookie(let clientID, _): return clientID
        }
    }
}

extension AuthRoutes {
    static let notSignedIn: HTTPError = {
        var headers = HTTPHeaders()
        headers.add(name: "WWW-Authenticate", value: #"Bearer realm="pulse""#)
        return HTTPError(.unauthorized, detail: "a valid bearer token or session cookie is required", type: "urn:pulse:auth:unauthorized",
                         headers: headers)
    }()

    /// Bearer token first (any failure, malformed or expired, is the same 401), then cookie.
    func caller(_ request: HTTPRequest) async throws -> Caller {
        if let header = request.headers["Authorization"] {
            guard let token = BearerToken.extract(fromAuthorization: header),
                  let identity = try? await service.verifier.verify(token) else { throw Self.notSignedIn }
            return .token(identity)
        }
        if let cookie = sessionCookie(request), let found = try await service.session(cookie: cookie) {
            // A browser sends the cookie on cross-site requests too (SameSite is a second
            // wall): writes must also carry the session's CSRF token.
            if request.method != .get, request.method != .head,
               !service.csrf.isValid(request.headers["X-CSRF-Token"], sessionID: found.session.key.uuidString.lowercased()) {
                throw HTTPError(.forbidden, detail: "cookie-authenticated writes need a valid X-CSRF-Token header",
                                type: "urn:pulse:auth:csrf")
            }
            return .cookie(clientID: found.clientID, session: found.session)
        }
        throw Self.notSignedIn
    }

    func login(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try body(request)
        let client = try body["client"].map { $0 } ?? body.required("client_slug")
        let tokens = try await service.signIn(clientSlug: client, email: try body.required("email"), password: try body.required("password"),
                                              origin: origin(request), withCookie: true)
        var response = tokenResponse(tokens).response()
        if let cookie = tokens.sessionCookie {
            response.headers.add(name: "Set-Cookie",
                                 value: cookieHeader(request, value: cookie, maxAge: Int(service.configuration.sessionLifetime)))
        }
        return response
    }

    func token(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try body(request)
        let grant = try body.required("grant_type")
        let tokens: IssuedTokens
        switch grant {
        case "password":
            tokens = try await service.signIn(clientSlug: try body.required("client"), email: try body.required("username"),
                                              password: try body.required("password"), origin: origin(request), withCookie: false)
        case "refresh_token":
            tokens = try await service.refresh(token: try body.required("refresh_token"), origin: origin(request))
        case "client_credentials":
            guard let (id, secret) = try clientCredentials(request, body) else {
                throw OAuthError.invalidRequest("client_credentials needs client_id and client_secret (HTTP Basic or form)")
            }
            tokens = try await service.clientCredentials(key: id, secret: secret, origin: origin(request))
        default:
            throw OAuthError(.badRequest, "unsupported_grant_type", "grant_type must be password, refresh_token or client_credentials")
        }
        return tokenResponse(tokens).response()
    }

    func me(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch try await caller(request) {
        case .token(let identity):
            guard let clientID = Int(identity.clientID) else { throw Self.notSignedIn }
            if identity.kind == .serviceAccount {
                return JSONBody.object([
                    "kind": .string("service_account"), "subject": .string(identity.subject), "client_id": .int(Int64(clientID)),
                    "roles": .array(identity.roles.sorted().map(JSONBody.string)),
                    "permissions": .array(identity.permissions.sorted().map(JSONBody.string)),
                ]).response()
            }
            guard let userID = Int(identity.subject) else { throw Self.notSignedIn }
            return try await userDocument(clientID: clientID, userID: userID, sessionID: identity.sessionID)
        case .cookie(let clientID, let session):
            return try await userDocument(clientID: clientID, userID: session.userID, sessionID: session.key.uuidString.lowercased())
        }
    }

    private func userDocument(clientID: Int, userID: Int, sessionID: String?) async throws -> HTTPResponse {
        guard let user = try await service.store.user(clientID: clientID, id: userID), user.active else { throw Self.notSignedIn }
        let grants = try await service.store.grants(clientID: clientID, userID: userID)
        return JSONBody.object([
            "kind": .string("user"), "id": .int(Int64(user.id)), "email": .string(user.email), "client_id": .int(Int64(clientID)),
            "first_name": user.firstName.map(JSONBody.string) ?? .null, "last_name": user.lastName.map(JSONBody.string) ?? .null,
            "roles": .array(grants.roles.map(JSONBody.string)), "permissions": .array(grants.permissions.map(JSONBody.string)),
            "session_id": sessionID.map(JSONBody.string) ?? .null,
            "csrf_token": sessionID.map { JSONBody.string(service.csrf.issue(sessionID: $0)) } ?? .null,
        ]).response()
    }

    func logout(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        switch caller {
        case .token(let identity):
            guard let sid = identity.sessionID, let clientID = Int(identity.clientID) else {
                throw HTTPError(.badRequest, detail: "service-account tokens have no session; use /auth/revoke")
            }
            try await service.endSession(clientID: clientID, sessionID: sid, userID: Int(identity.subject), origin: origin(request))
        case .cookie(let clientID, let session):
            try await service.endSession(clientID: clientID, sessionID: session.key.uuidString.lowercased(), userID: session.userID,
                                         origin: origin(request))
        }
        var response = HTTPResponse(status: .noContent)
        response.headers.add(name: "Set-Cookie", value: cookieHeader(request, value: "", maxAge: 0))
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    func introspect(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try body(request)
        guard let (id, secret) = try clientCredentials(request, body),
              let account = try await service.authenticateServiceAccount(key: id, secret: secret) else { throw OAuthError.invalidClient }
        let token = try body.required("token")
        return try await service.introspect(token: token, hint: body["token_type_hint"], callerClientID: account.clientID).response()
    }

    func revoke(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try body(request)
        let token = try body.required("token")
        try await service.revoke(token: token, hint: body["token_type_hint"], origin: origin(request))
        var response = HTTPResponse(status: .ok)
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    /// A user of the caller's own client. Another client's user is 404, exactly like a
    /// missing one: the query runs in the caller's tenant scope, so RLS hides the row.
    func user(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        guard let clientID = caller.clientID else { throw Self.notSignedIn }
        switch caller {
        case .token(let identity):
            guard identity.has("users:read") else { throw HTTPError(.forbidden, detail: "permission users:read is required") }
        case .cookie(_, let session):
            let grants = try await service.store.grants(clientID: clientID, userID: session.userID)
            guard grants.permissions.contains("users:read") || grants.permissions.contains("users:*") else {
                throw HTTPError(.forbidden, detail: "permission users:read is required")
            }
        }
        guard let text = request.pathParameters["id"], let id = Int(text), id > 0, id <= Int(Int32.max),
              let user = try await service.store.user(clientID: clientID, id: id) else {
            throw HTTPError(.notFound, detail: "no such user")
        }
        return JSONBody.object([
            "id": .int(Int64(user.id)), "email": .string(user.email), "active": .bool(user.active), "client_id": .int(Int64(clientID)),
        ]).response()
    }
}

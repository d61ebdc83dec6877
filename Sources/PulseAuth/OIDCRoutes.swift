import Foundation
import PulseHTTP
import PulseSecurity
import PulseService

/// OIDC sign-in over HTTP: the redirect to the provider, the callback, and the per-client
/// provider administration (the client secret is write-only).
extension AuthRoutes {
    func registerOIDC(on routes: inout ServiceRoutes) {
        let s = self
        routes.get("/auth/oidc/:slug/login", summary: "Starts single sign-on for a client: 302 to its OIDC provider (code + PKCE S256).",
                   responses: [.init(302, "To the provider"), .init(404, "No SSO for this client"), .init(502, "Provider unreachable")]) {
            try await s.problems { request in
                let redirect = try await s.service.beginOIDCLogin(clientSlug: request.pathParameters["slug"] ?? "", origin: s.origin(request))
                var response = HTTPResponse(status: HTTPStatus(code: 302))
                response.headers.add(name: "Location", value: redirect.location)
                response.headers.add(name: "Cache-Control", value: "no-store")
                response.headers.add(name: "Set-Cookie", value: s.oidcCookie(request, value: redirect.browserCookie,
                                                                            maxAge: Int(OIDCLogin.loginLifetime)))
                return response
            }($0)
        }
        routes.get("/auth/oidc/callback", summary: "OIDC redirect target: checks state, exchanges the code, validates the id_token, signs in.",
                   responses: [.init(200, "Signed in (tokens and session cookie, as /auth/login)"), .init(400, "Sign-on failed")]) {
            try await s.problems { request in
                var query: [String: String] = [:]
                for item in request.queryItems {
                    // A repeated parameter is ambiguous (which state?): refuse it as a failure.
                    if query[item.name] != nil { query[item.name] = "" } else { query[item.name] = item.value ?? "" }
                }
                let tokens = try await s.service.completeOIDCLogin(browserCookie: s.cookie(OIDCLogin.browserCookieName, request),
                                                                   query: query, origin: s.origin(request))
                var response = s.tokenResponse(tokens).response()
                response.headers.add(name: "Cache-Control", value: "no-store")
                if let cookie = tokens.sessionCookie {
                    response.headers.add(name: "Set-Cookie", value: s.cookieHeader(request, value: cookie,
                                                                                  maxAge: Int(s.service.configuration.sessionLifetime)))
                }
                response.headers.add(name: "Set-Cookie", value: s.oidcCookie(request, value: "", maxAge: 0))
                return response
            }($0)
        }
    }

    /// The browser-binding cookie: HttpOnly, scoped to /auth/oidc, SameSite=Lax because the
    /// provider's redirect back is a cross-site top-level navigation (Strict would drop it).
    func oidcCookie(_ request: HTTPRequest, value: String, maxAge: Int) -> String {
        let secure = service.configuration.secureCookies || request.headers["X-Forwarded-Proto"]?.lowercased() == "https"
        return "\(OIDCLogin.browserCookieName)=\(value); Path=/auth/oidc; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// Administration of the caller's client's provider (`sso:admin`).
    func registerOIDCAdmin(_ admin: (HTTPMethod, String, String, String,
                                     @escaping @Sendable (AuthRoutes, HTTPRequest, Int, Caller) async throws -> HTTPResponse) -> Void) {
        admin(.get, "/auth/admin/oidc", "The client's OIDC provider (never its secret).", "sso:admin") { s, _, clientID, _ in
            guard let provider = try await s.service.oidcProvider(clientID: clientID) else {
                throw HTTPError(.notFound, detail: "no OIDC provider is configured")
            }
            return Self.providerDocument(provider).response()
        }
        admin(.put, "/auth/admin/oidc", "Sets the client's OIDC provider (issuer, client_id, client_secret, redirect_uri, default_role, allowed_email_domains, token_endpoint_auth_method, link_verified_email, enabled).",
              "sso:admin") { s, request, clientID, _ in
            let body = try s.body(request)
            let existing = try await s.service.oidcProvider(clientID: clientID)
            let issuer = try body.required("issuer")
            // The secret may be left out to keep the stored one (same issuer only).
            guard let secret = body["client_secret"].flatMap({ $0.isEmpty ? nil : $0 })
                ?? existing.flatMap({ $0.issuer == issuer ? $0.clientSecret : nil }) else {
                throw OAuthError.invalidRequest("missing parameter: client_secret")
            }
            var provider = OIDCProviderSettings(issuer: issuer, clientID: try body.required("client_id"), clientSecret: secret,
                                                redirectURI: try body.required("redirect_uri"))
            if let method = body["token_endpoint_auth_method"] {
                guard let parsed = OIDCProviderSettings.ClientAuthentication(rawValue: method) else {
                    throw OAuthError.invalidRequest("token_endpoint_auth_method must be client_secret_basic or client_secret_post")
                }
                provider.clientAuthentication = parsed
            }
            if let scopes = body["scopes"], !scopes.isEmpty {
                guard scopes.split(separator: " ").contains("openid"), scopes.utf8.count <= 255 else {
                    throw OAuthError.invalidRequest("scopes must include openid")
                }
                provider.scopes = scopes
            }
            provider.defaultRole = body["default_role"].flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
            provider.allowedEmailDomains = (body["allowed_email_domains"] ?? "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            provider.linkVerifiedEmail = try Self.flag(body["link_verified_email"], default: false, name: "link_verified_email")
            provider.enabled = try Self.flag(body["enabled"], default: true, name: "enabled")
            for (field, value) in [("issuer", issuer), ("client_id", provider.clientID), ("redirect_uri", provider.redirectURI)]
            where value.utf8.count > 1024 {
                throw OAuthError.invalidRequest("\(field) is longer than 1024 bytes")
            }
            try await s.service.configureOIDC(clientID: clientID, provider, origin: s.origin(request))
            return Self.providerDocument(provider).response()
        }
    }

    static func flag(_ text: String?, default value: Bool, name: String) throws(OAuthError) -> Bool {
        guard let text, !text.isEmpty else { return value }
        guard let parsed = ["true": true, "false": false][text.lowercased()] else {
            throw OAuthError.invalidRequest("\(name) must be true or false")
        }
        return parsed
    }

    static func providerDocument(_ p: OIDCProviderSettings) -> JSONBody {
        .object([
            "issuer": .string(p.issuer), "client_id": .string(p.clientID), "has_client_secret": .bool(!p.clientSecret.isEmpty),
            "token_endpoint_auth_method": .string(p.clientAuthentication.rawValue), "redirect_uri": .string(p.redirectURI),
            "scopes": .string(p.scopes), "default_role": p.defaultRole.map(JSONBody.string) ?? .null,
            "allowed_email_domains": .array(p.allowedEmailDomains.map(JSONBody.string)),
            "link_verified_email": .bool(p.linkVerifiedEmail), "enabled": .bool(p.enabled),
        ])
    }
}

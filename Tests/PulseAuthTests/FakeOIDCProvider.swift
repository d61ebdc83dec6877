import Foundation
import PulseHTTP
import PulseSecurity
import Synchronization

/// A small OIDC provider on 127.0.0.1:0 (the only fake in these tests: it stands in for Okta).
/// Real discovery document, real JWKS with an RSA-2048 key, an authorization endpoint that
/// redirects back with a one-time code, and a token endpoint that authenticates the client
/// (Basic or post), checks the PKCE S256 verifier against the challenge it was given and
/// returns an RS256 id_token. `misbehaviour` makes it return the broken tokens attackers or
/// misconfigured providers produce.
final class FakeOIDCProvider: Sendable {
    enum Misbehaviour: Sendable { case none, wrongIssuer, wrongAudience, expired, badSignature, badNonce, corruptChallenge }

    struct Pending: Sendable {
        var challenge: String
        var nonce: String
        var redirectURI: String
    }

    struct State: Sendable {
        var port = 0
        var codes: [String: Pending] = [:]
        var misbehaviour = Misbehaviour.none
        var subject = "00u-okta-1"
        var email = "new.person@corp.example"
        var emailVerified = true
        var tokenRequests = 0
        var pkceRejections = 0
        var clientAuthentications: [String] = []
    }

    static let key = try! RSASigningKey.generate(keyID: "fake-okta-key")
    /// Another key that claims the same `kid`: its signatures must not verify.
    static let impostor = try! RSASigningKey.generate(keyID: "fake-okta-key")
    static let clientID = "pulse-sso-client"
    /// Characters that must be form-encoded in HTTP Basic (RFC 6749 §2.3.1).
    static let clientSecret = "s3cret+/=&:é"

    let state = Mutex(State())
    private let server = Mutex<HTTPServer?>(nil)

    var port: Int { state.withLock { $0.port } }
    var issuer: String { "http://127.0.0.1:\(port)" }

    func set(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    static func start() throws -> FakeOIDCProvider {
        let provider = FakeOIDCProvider()
        var router = Router()
        router.get("/.well-known/openid-configuration") { _ in provider.discovery() }
        router.get("/jwks") { _ in .bytes(JWKSet(keys: [Self.key.verificationKey.jwk]).jsonBytes(), contentType: "application/json") }
        router.get("/authorize") { provider.authorize($0) }
        router.post("/token") { provider.token($0) }
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 1), responder: router)
        let port = try server.start()
        provider.set { $0.port = port }
        provider.server.withLock { $0 = server }
        return provider
    }

    func shutdown() async {
        if let server = server.withLock({ $0 }) { await server.shutdown() }
    }

    private func json(_ object: [String: Any], status: Int = 200) -> HTTPResponse {
        .bytes(Array(try! JSONSerialization.data(withJSONObject: object)), status: HTTPStatus(code: status), contentType: "application/json")
    }

    private func discovery() -> HTTPResponse {
        json(["issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
              "jwks_uri": issuer + "/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"],
              "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
              "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]])
    }

    private func authorize(_ request: HTTPRequest) -> HTTPResponse {
        let q = Dictionary(request.queryItems.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        guard q["response_type"] == "code", q["client_id"] == Self.clientID, q["code_challenge_method"] == "S256",
              let redirect = q["redirect_uri"], let challenge = q["code_challenge"], let state = q["state"], let nonce = q["nonce"],
              q["scope"]?.split(separator: " ").contains("openid") == true
        else { return .text("bad authorization request", status: .badRequest) }
        let code = SecureRandom.token(byteCount: 16)
        set { s in
            s.codes[code] = Pending(challenge: s.misbehaviour == .corruptChallenge ? String(challenge.reversed()) : challenge,
                                    nonce: nonce, redirectURI: redirect)
        }
        var response = HTTPResponse(status: HTTPStatus(code: 302))
        response.headers.add(name: "Location", value: "\(redirect)?code=\(code)&state=\(state)")
        return response
    }

    /// RFC 6749 §4.1.3 + RFC 7636 §4.6, checked independently of Pulse's PKCE helper
    /// (base64url by hand over Foundation's base64).
    private func token(_ request: HTTPRequest) -> HTTPResponse {
        let form = Self.parseForm(request.body)
        var id = form["client_id"], secret = form["client_secret"], method = "client_secret_post"
        if let auth = request.headers["Authorization"], auth.hasPrefix("Basic "),
           let decoded = Data(base64Encoded: String(auth.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) }),
           let colon = decoded.firstIndex(of: ":") {
            id = String(decoded[..<colon]).removingPercentEncoding
            secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding
            method = "client_secret_basic"
        }
        set { $0.tokenRequests += 1 }
        guard id == Self.clientID, secret == Self.clientSecret else { return json(["error": "invalid_client"], status: 401) }
        set { $0.clientAuthentications.append(method) }
        guard form["grant_type"] == "authorization_code", let code = form["code"],
              let pending = state.withLock({ $0.codes.removeValue(forKey: code) }), form["redirect_uri"] == pending.redirectURI
        else { return json(["error": "invalid_grant"], status: 400) }
        let digest = Data(SHA256.hash(form["code_verifier"] ?? "")).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        guard digest == pending.challenge else {
            set { $0.pkceRejections += 1 }
            return json(["error": "invalid_grant", "error_description": "PKCE verification failed"], status: 400)
        }
        let s = state.withLock { $0 }
        let now = Int64(Date().timeIntervalSince1970)
        var claims = JWTClaims(issuer: s.misbehaviour == .wrongIssuer ? "https://evil.example" : issuer, subject: s.subject,
                               audience: [s.misbehaviour == .wrongAudience ? "another-client" : Self.clientID],
                               expiresAt: s.misbehaviour == .expired ? now - 600 : now + 300, issuedAt: s.misbehaviour == .expired ? now - 900 : now)
        claims.nonce = s.misbehaviour == .badNonce ? "not-the-nonce" : pending.nonce
        claims.email = s.email
        claims.emailVerified = s.emailVerified
        claims.name = "New Person"
        let signer = s.misbehaviour == .badSignature ? Self.impostor : Self.key
        let idToken = try! JWT.sign(claims, with: SigningKey(signer), type: "JWT")
        return json(["access_token": SecureRandom.token(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken])
    }

    static func parseForm(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

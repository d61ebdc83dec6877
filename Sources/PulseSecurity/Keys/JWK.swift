import Foundation

/// The JWS algorithms PulseSecurity accepts. A key is pinned to exactly one of them; the
/// token header's `alg` must equal the key's algorithm (never the other way round).
public enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// Ed25519 (RFC 8037). Selectable signing algorithm of Pulse's auth service.
    case edDSA = "EdDSA"
    /// RSASSA-PKCS1-v1_5 with SHA-256: Pulse's default access-token algorithm (fastest to
    /// verify) and what Okta and most OIDC providers sign id_tokens with.
    case rs256 = "RS256"
    /// ECDSA P-256 with SHA-256; verify only (some OIDC providers).
    case es256 = "ES256"
}

/// A JSON Web Key (RFC 7517) restricted to the members we use. Public JWKs never carry `d`.
public struct JWK: Sendable, Hashable, Codable {
    public var kty: String
    public var kid: String?
    public var use: String?
    public var alg: String?
    public var crv: String?
    public var x: String?
    public var y: String?
    public var n: String?
    public var e: String?
    /// Private part (OKP seed). Only set on JWKs produced by `Ed25519SigningKey.privateJWK`.
    public var d: String?

    public init(kty: String, kid: String? = nil, use: String? = nil, alg: String? = nil, crv: String? = nil,
        x: String? = nil, y: String? = nil, n: String? = nil, e: String? = nil, d: String? = nil) {
        self.kty = kty
        self.kid = kid
        self.use = use
        self.alg = alg
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        self.d = d
    }

    /// RFC 7638 thumbprint (SHA-256 of the canonical required members), base64url. Used as
    /// the default `kid` so a key id is derived from, and bound to, the key itself.
    public func thumbprint() throws(SecurityError) -> String {
        let canonical: String
        switch kty {
        case "OKP":
            guard let crv, let x else { throw SecurityError(.invalidKey, "OKP JWK lacks crv or x") }
            canonical = #"{"crv":"\#(crv)","kty":"OKP","x":"\#(x)"}"#
        case "RSA":
            guard let n, let e else { throw SecurityError(.invalidKey, "RSA JWK lacks n or e") }
            canonical = #"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#
        case "EC":
            guard let crv, let x, let y else { throw SecurityError(.invalidKey, "EC JWK lacks crv, x or y") }
            canonical = #"{"crv":"\#(crv)","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        default:
            throw SecurityError(.invalidKey, "unsupported JWK key type")
        }
        return Base64URL.encode(SHA256.hash(canonical))
    }
}

/// A JWK Set document (`{"keys":[...]}`), as served at `/.well-known/jwks.json`.
public struct JWKSet: Sendable, Hashable, Codable {
    public var keys: [JWK]

    public init(keys: [JWK]) { self.keys = keys }

    /// Largest JWKS document accepted from a fetch.
    public static let maximumBytes = 256 * 1024
    /// Most keys taken from one document.
    public static let maximumKeys = 64

    public init(json: [UInt8]) throws(SecurityError) {
        guard json.count <= Self.maximumBytes else { throw SecurityError(.keySetUnavailable, "JWKS document too large") }
        do {
            self = try JSONDecoder().decode(JWKSet.self, from: Data(json))
        } catch {
            throw SecurityError(.keySetUnavailable, "JWKS document is not valid JSON")
        }
        guard keys.count <= Self.maximumKeys else { throw SecurityError(.keySetUnavailable, "JWKS has too many keys") }
    }

    /// Canonical JSON (sorted members) for serving.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data(#"{"keys":[]}"#.utf8))
    }

    /// The usable verification keys in this set. Keys we cannot use (other algorithms,
    /// encryption keys, no `kid`, duplicate `kid`, weak RSA) are skipped, not fatal: a
    /// provider may publish keys for other purposes next to its signing keys.
    public func verificationKeys() -> [String: VerificationKey] {
        var result: [String: VerificationKey] = [:]
        for jwk in keys {
            guard let kid = jwk.kid, result[kid] == nil, let key = try? VerificationKey(jwk: jwk) else { continue }
            result[kid] = key
        }
        return result
    }
}

/// PKCE (RFC 7636) with S256 only; `plain` is refused because it protects nothing once the
/// authorization request leaks.
public enum PKCE {
    /// A fresh code verifier: 32 random bytes, base64url (43 characters).
    public static func generateVerifier() -> String { SecureRandom.token(byteCount: 32) }

    /// `BASE64URL(SHA256(ASCII(verifier)))`.
    public static func challenge(for verifier: String) throws(SecurityError) -> String {
        guard isValidVerifier(verifier) else { throw SecurityError(.invalidInput, "PKCE code verifier is malformed") }
        return Base64URL.encode(SHA256.hash(verifier))
    }

    /// RFC 7636 §4.1: 43–128 characters from [A-Za-z0-9-._~].
    public static func isValidVerifier(_ verifier: String) -> Bool {
        let bytes = Array(verifier.utf8)
        guard (43...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
        }
    }

    /// Checks a verifier against the stored challenge (constant time). `method` must be S256.
    public static func verify(verifier: String, challenge: String, method: String = "S256") -> Bool {
        guard method == "S256", let computed = try? Self.challenge(for: verifier) else { return false }
        return ConstantTime.equals(computed, challenge)
    }
}

/// Values that bind an OAuth/OIDC round trip to the browser that started it.
public enum OAuthRandom {
    /// The `state` parameter (CSRF defence for the redirect): 256 bits.
    public static func state() -> String { SecureRandom.token(byteCount: 32) }
    /// The OIDC `nonce` (replay defence for the id_token): 256 bits.
    public static func nonce() -> String { SecureRandom.token(byteCount: 32) }
    /// Checks a returned `state` against the stored one in constant time.
    public static func matches(_ returned: String?, expected: String) -> Bool {
        guard let returned, !expected.isEmpty else { return false }
        return ConstantTime.equals(returned, expected)
    }
}

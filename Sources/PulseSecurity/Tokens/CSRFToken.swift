/// CSRF defence for cookie-authenticated writes: the signed double-submit pattern (OWASP).
/// The token is `random "." HMAC-SHA256(key, sessionID "." random)`; the page sends it in a
/// header, the server recomputes the MAC for the cookie's session. An attacker on another
/// origin can neither read it nor mint one for the victim's session.
public struct CSRFTokens: Sendable {
    private let key: [UInt8]

    /// `key` must be at least 32 bytes from configuration (shared by every service behind
    /// the gateway, so any of them can check a token).
    public init(key: [UInt8]) throws(SecurityError) {
        guard key.count >= 32 else { throw SecurityError(.invalidKey, "CSRF key must be at least 32 bytes") }
        self.key = key
    }

    /// A fresh token bound to `sessionID`.
    public func issue(sessionID: String) -> String {
        let nonce = SecureRandom.token(byteCount: 16)
        return nonce + "." + Base64URL.encode(mac(sessionID: sessionID, nonce: nonce))
    }

    /// True when `token` was issued for `sessionID` with this key (constant-time MAC check).
    public func isValid(_ token: String?, sessionID: String) -> Bool {
        guard let token, token.utf8.count <= 128, !sessionID.isEmpty else { return false }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let tag = try? Base64URL.decode(String(parts[1])) else { return false }
        return ConstantTime.equals(mac(sessionID: sessionID, nonce: String(parts[0])), tag)
    }

    private func mac(sessionID: String, nonce: String) -> [UInt8] {
        HMACSHA256.authenticationCode(for: Array("pulse.csrf:\(sessionID.utf8.count):\(sessionID).\(nonce)".utf8), key: key)
    }
}

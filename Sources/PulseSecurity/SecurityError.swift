// The one error type of PulseSecurity. Modelled on jwt-kit's JWTError and PSQLError: a
// stable code for callers to branch on and a fixed reason text. Nothing that came from the
// token, the key or the password is ever put into the description, so it is safe to log
// and safe to map to an HTTP problem body.

/// Every failure PulseSecurity reports. `code` is what callers switch on; `reason` is a
/// constant, human-readable sentence that never contains secrets or attacker input.
public struct SecurityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, coarse enough to branch on.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not a well-formed compact JWS / JSON / encoding.
        case malformedToken
        /// The token is larger than the configured limit.
        case tokenTooLarge
        /// `alg` is `none` or an algorithm PulseSecurity never accepts.
        case unsupportedAlgorithm
        /// The header's `alg` differs from the algorithm the key is pinned to.
        case algorithmMismatch
        /// No key with the token's `kid`; the caller should refetch the JWKS.
        case unknownKeyID
        /// The signature does not verify.
        case badSignature
        /// `exp` is in the past (beyond leeway).
        case expired
        /// `nbf` (or `iat`) is in the future (beyond leeway).
        case notYetValid
        /// `iss` is not the expected issuer.
        case wrongIssuer
        /// `aud` does not contain the expected audience.
        case wrongAudience
        /// A required claim is missing or has the wrong type.
        case missingClaim
        /// The OIDC nonce does not match the one sent with the authorization request.
        case nonceMismatch
        /// The session (`sid`) or token was revoked.
        case revoked
        /// The identity lacks the permission an operation requires.
        case permissionDenied
        /// A key is missing, of the wrong size/type, or cannot be parsed.
        case invalidKey
        /// Input to a primitive is invalid (bad encoding, bad parameters).
        case invalidInput
        /// Authenticated decryption failed (wrong key, tampered data or associated data).
        case decryptionFailed
        /// The JWKS could not be fetched or parsed.
        case keySetUnavailable
        /// An OpenSSL call failed unexpectedly.
        case cryptoFailure
    }

    public let code: Code
    /// A constant sentence. Never built from secrets or from untrusted input.
    public let reason: String

    package init(_ code: Code, _ reason: StaticString) {
        self.code = code
        self.reason = "\(reason)"
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    /// Errors that mean "this credential is not acceptable" (as opposed to configuration or
    /// infrastructure failures). HTTP layers map these to 401, the others to 500/503.
    public var isAuthenticationFailure: Bool {
        switch code {
        case .malformedToken, .tokenTooLarge, .unsupportedAlgorithm, .algorithmMismatch, .unknownKeyID,
            .badSignature, .expired, .notYetValid, .wrongIssuer, .wrongAudience, .missingClaim,
            .nonceMismatch, .revoked:
            return true
        case .permissionDenied, .invalidKey, .invalidInput, .decryptionFailed, .keySetUnavailable, .cryptoFailure:
            return false
        }
    }
}

extension SecurityError {
    /// Two errors are "the same failure" when their codes match; tests compare codes.
    public static func ~= (pattern: Code, error: SecurityError) -> Bool { pattern == error.code }
}

public import Logging

/// Replaces the values of secret-looking metadata keys before a line is written.
///
/// A key is secret when its lower-cased name contains one of `fragments` (for example `password`,
/// `db.password`, `Authorization`, `refresh_token`). Nested dictionaries and arrays are walked,
/// so `["headers": ["authorization": "Bearer …"]]` is redacted too.
public struct SecretRedactor: Sendable {
    /// What a redacted value is replaced with.
    public static let placeholder = "[REDACTED]"

    /// The default fragments: credentials, tokens, keys and cookies.
    public static let defaultFragments = [
        "password", "passwd", "pwd", "secret", "token", "authorization", "api_key", "apikey",
        "private_key", "cookie", "credential", "session_id",
    ]

    /// Lower-cased name fragments that mark a key as secret.
    public var fragments: [String]

    /// Creates a redactor.
    /// - Parameter fragments: Lower-cased fragments; a key containing any of them is redacted.
    public init(fragments: [String] = SecretRedactor.defaultFragments) {
        self.fragments = fragments.map { $0.lowercased() }
    }

    /// Whether `key` names a secret.
    public func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return fragments.contains { lower.contains($0) }
    }

    /// Returns `value` with every secret entry replaced, recursively.
    public func redact(_ value: Logger.MetadataValue, key: String) -> Logger.MetadataValue {
        if isSecret(key) { return .string(Self.placeholder) }
        switch value {
        case .dictionary(let dictionary):
            var out = Logger.Metadata()
            for (k, v) in dictionary { out[k] = redact(v, key: k) }
            return .dictionary(out)
        case .array(let array):
            return .array(array.map { redact($0, key: key) })
        case .string, .stringConvertible:
            return value
        }
    }
}

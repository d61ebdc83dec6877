import COpenSSL

/// PBKDF2-HMAC-SHA256 password hashing with a per-password random salt, stored as a
/// self-describing string so the parameters travel with the hash:
///
///     $pbkdf2-sha256$i=600000$<salt, base64url>$<hash, base64url>
///
/// Policy: 600,000 iterations (OWASP 2023 for PBKDF2-HMAC-SHA256), 16-byte salt, 32-byte
/// hash. Verification always uses the parameters stored in the string and compares in
/// constant time; `needsRehash` tells the caller to upgrade a hash after a successful login.
public struct PasswordHasher: Sendable {
    public static let algorithmName = "pbkdf2-sha256"
    /// The production cost. See docs/security.md for why.
    public static let productionIterations = 600_000
    /// Stored hashes with more iterations than this are refused (a tampered row must not be
    /// able to pin a CPU for minutes).
    public static let maximumIterations = 10_000_000

    public let iterations: Int
    public let saltLength: Int
    public let hashLength: Int

    /// The production policy: 600k iterations, 16-byte salt, 32-byte hash.
    public static let production = PasswordHasher(uncheckedIterations: productionIterations)

    /// A hasher with a custom cost. Below-policy costs are only for tests and migrations;
    /// `needsRehash` on the production hasher flags every hash made this way.
    public init(iterations: Int, saltLength: Int = 16, hashLength: Int = 32) throws(SecurityError) {
        guard (1...Self.maximumIterations).contains(iterations), (16...64).contains(saltLength),
            (16...64).contains(hashLength)
        else { throw SecurityError(.invalidInput, "password hash parameters out of range") }
        self.init(uncheckedIterations: iterations, saltLength: saltLength, hashLength: hashLength)
    }

    private init(uncheckedIterations: Int, saltLength: Int = 16, hashLength: Int = 32) {
        self.iterations = uncheckedIterations
        self.saltLength = saltLength
        self.hashLength = hashLength
    }

    /// Hashes `password` with a fresh random salt.
    public func hash(_ password: String) -> String {
        let salt = SecureRandom.bytes(saltLength)
        let derived = Self.pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations, length: hashLength)
        return Self.format(iterations: iterations, salt: salt, hash: derived)
    }

    /// True when `password` matches `stored`. Malformed stored strings are an error, not a
    /// silent `false`, so data corruption is visible.
    public func verify(_ password: String, against stored: String) throws(SecurityError) -> Bool {
        let parsed = try StoredPasswordHash(parsing: stored)
        let derived = Self.pbkdf2(
            password: Array(password.utf8), salt: parsed.salt, iterations: parsed.iterations, length: parsed.hash.count)
        return ConstantTime.equals(derived, parsed.hash)
    }

    /// Spends the same time as a real verification, for logins with an unknown account, so
    /// response time does not reveal whether the account exists.
    public func verifyAgainstDummy(_ password: String) {
        _ = Self.pbkdf2(password: Array(password.utf8), salt: [UInt8](repeating: 0, count: saltLength),
            iterations: iterations, length: hashLength)
    }

    /// True when `stored` was made with weaker parameters (or another algorithm) than this policy.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = try? StoredPasswordHash(parsing: stored) else { return true }
        return parsed.iterations < iterations || parsed.salt.count < saltLength || parsed.hash.count < hashLength
    }

    /// Raw PBKDF2-HMAC-SHA256 (RFC 8018), exposed for test vectors.
    public static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    p.withMemoryRebound(to: CChar.self) { pc in
                        PKCS5_PBKDF2_HMAC(pc.baseAddress, Int32(pc.count), s.baseAddress, Int32(s.count),
                            Int32(iterations), EVP_sha256(), Int32(length), o.baseAddress)
                    }
                }
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return out
    }

    static func format(iterations: Int, salt: [UInt8], hash: [UInt8]) -> String {
        "$\(algorithmName)$i=\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }
}

/// The parsed parts of a stored password hash string.
public struct StoredPasswordHash: Sendable, Equatable {
    public let algorithm: String
    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    public init(parsing stored: String) throws(SecurityError) {
        let malformed = SecurityError(.invalidInput, "stored password hash is malformed")
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty else { throw malformed }
        guard parts[1] == PasswordHasher.algorithmName else {
            throw SecurityError(.invalidInput, "stored password hash uses an unsupported algorithm")
        }
        guard parts[2].hasPrefix("i="), let i = Int(parts[2].dropFirst(2)), String(i) == parts[2].dropFirst(2),
            (1...PasswordHasher.maximumIterations).contains(i)
        else { throw malformed }
        guard let salt = try? Base64URL.decode(String(parts[3])), let hash = try? Base64URL.decode(String(parts[4])),
            salt.count >= 8, (16...64).contains(hash.count)
        else { throw malformed }
        self.algorithm = String(parts[1])
        self.iterations = i
        self.salt = salt
        self.hash = hash
    }
}

import Foundation
import PulsePostgres
import PulseSecurity

/// Signing keys (RS256 or EdDSA) in `signing_keys` (global: one issuer), private halves sealed
/// with AES-256-GCM under the configured key (`EncryptedKeyStorage`, `kid` and algorithm as
/// associated data).
struct SigningKeyStore: Sendable {
    let database: PostgresDatabase
    let storage: EncryptedKeyStorage
    let maximumTokenLifetime: TimeInterval
    /// The algorithm new keys use (`auth.signing_algorithm`).
    let algorithm: JWSAlgorithm

    /// Loads every key that may still verify; creates a key when none is active or when the
    /// active key's algorithm is not the configured one (switching `auth.signing_algorithm`
    /// is an ordinary rotation: the old key verifies until its last token has expired).
    func loadRing(now: Date) async throws -> SigningKeyRing {
        var ring = try await load(now: now)
        if ring.activeKey?.algorithm != algorithm {
            _ = try await rotate(ring: &ring, now: now)
        }
        return ring
    }

    func load(now: Date) async throws -> SigningKeyRing {
        let rows = try await database.read { tx in
            try await tx.query(
                """
                SELECT kid, alg, private_key_encrypted, created_at, retired_at FROM signing_keys
                WHERE alg IN ('EdDSA', 'RS256') AND (expires_at IS NULL OR expires_at > $1) ORDER BY created_at, id
                """, now)
        }
        var entries: [SigningKeyRing.Entry] = []
        for row in rows {
            let kid = try row.decode(String.self, "kid")
            let sealed = String(decoding: try row.decode(Data.self, "private_key_encrypted"), as: UTF8.self)
            // A key that does not open under our key (wrong AUTH_KEY_ENCRYPTION_KEY, or a row
            // moved under another kid) is an operator error worth stopping for.
            guard let alg = JWSAlgorithm(rawValue: try row.decode(String.self, "alg")) else { continue }
            let key = try storage.importKey(sealed, keyID: kid, algorithm: alg)
            entries.append(SigningKeyRing.entry(key, createdAt: try row.decode(Date.self, "created_at"),
                                                retiredAt: try row.decode(Date?.self, "retired_at")))
        }
        return SigningKeyRing(entries: entries, maximumTokenLifetime: maximumTokenLifetime)
    }

    /// Generates a key, retires the active one (it keeps verifying until its last token
    /// expires) and stores both in one transaction.
    func rotate(ring: inout SigningKeyRing, now: Date) async throws -> SigningKey {
        let previous = ring.activeKey
        let key = try ring.rotate(now: now, algorithm: algorithm)
        let sealed = try storage.export(key)
        let expiry = now.addingTimeInterval(ring.maximumTokenLifetime + ring.leeway)
        try await database.write { tx in
            if let previous {
                try await tx.query("UPDATE signing_keys SET retired_at = $2, expires_at = $3 WHERE kid = $1 AND retired_at IS NULL",
                                   previous.keyID, now, expiry)
            }
            try await tx.query(
                "INSERT INTO signing_keys (kid, alg, public_key, private_key_encrypted, created_at) VALUES ($1, $2, $3, $4, $5)",
                key.keyID, key.algorithm.rawValue, try Self.publicJWK(key), Data(sealed.utf8), now)
            // Delivered at commit: every other auth process reloads its ring (KeyRingSubscriber).
            try await tx.query("SELECT pg_notify($1, $2)", KeyRingChannel.name, key.keyID)
        }
        return key
    }

    /// The public half as stored in `public_key`: its JWK (sorted JSON), for operators.
    static func publicJWK(_ key: SigningKey) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(key.verificationKey.jwk)
    }
}

import Foundation
import PulsePostgres
import PulseSecurity
import Synchronization

/// Login throttling for the auth service: `LoginThrottle`'s arithmetic over counters kept in
/// this process (`shared == false`, tests and single-process setups) or in
/// `auth_throttle_counters`, shared by every auth process behind a load balancer, so an
/// attacker gains nothing by spreading guesses across processes.
final class ThrottleGate: Sendable {
    private let local: Mutex<LoginThrottle>
    private let template: LoginThrottle
    private let database: PostgresDatabase?

    init(_ throttle: LoginThrottle, database: PostgresDatabase?) {
        template = throttle
        local = Mutex(throttle)
        self.database = database
    }

    private static func hash(_ key: String) -> Data { Data(SHA256.hash(key)) }

    func check(account: String, address: String, now: Date) async throws -> LoginThrottle.Decision {
        guard let database else { return local.withLock { $0.check(account: account, address: address, now: now) } }
        // One standalone statement: pipelined, one round trip instead of BEGIN/SELECT/COMMIT.
        let rows = try await database.query(Self.countersSQL, [Self.hash(account), Self.hash(address)])
        let (a, s) = try Self.counters(from: rows)
        var throttle = template
        throttle.load(account: account, a, address: address, s)
        return throttle.check(account: account, address: address, now: now)
    }

    /// Counts a failure for both keys; in the database under row locks, so concurrent
    /// failures in several processes all count.
    func recordFailure(account: String, address: String, now: Date) async throws -> LoginThrottle.Decision {
        guard let database else { return local.withLock { $0.recordFailure(account: account, address: address, now: now) } }
        var throttle = template
        return try await database.write { tx in
            // Forget counters that recovered long ago (bounded table, as the in-memory prune).
            try await tx.query("DELETE FROM auth_throttle_counters WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
                               now.addingTimeInterval(-2 * max(throttle.accountLimits.window, throttle.addressLimits.window)), now)
            for (dimension, key) in [("account", account), ("address", address)] {
                try await tx.query(
                    """
                    INSERT INTO auth_throttle_counters (dimension, key_hash, failures, last_failure_at) VALUES ($1, $2, 0, $3)
                    ON CONFLICT DO NOTHING
                    """, dimension, Self.hash(key), Date(timeIntervalSince1970: 0))
            }
            let (a, s) = try await Self.counters(tx, account: account, address: address, lock: true)
            throttle.load(account: account, a, address: address, s)
            let decision = throttle.recordFailure(account: account, address: address, now: now)
            let updated = throttle.counters(account: account, address: address)
            for (dimension, key, counter) in [("account", account, updated.account), ("address", address, updated.address)] {
                guard let counter else { continue }
                try await tx.query(
                    "UPDATE auth_throttle_counters SET failures = $3, last_failure_at = $4, locked_until = $5 WHERE dimension = $1 AND key_hash = $2",
                    dimension, Self.hash(key), counter.failures, counter.lastFailure, counter.lockedUntil)
            }
            return decision
        }
    }

    func recordSuccess(account: String) async throws {
        guard let database else { return local.withLock { $0.recordSuccess(account: account) } }
        try await database.write { tx in
            try await tx.query("DELETE FROM auth_throttle_counters WHERE dimension = 'account' AND key_hash = $1", Self.hash(account))
        }
    }

    private static let countersSQL = """
        SELECT dimension, failures, last_failure_at, locked_until FROM auth_throttle_counters
        WHERE (dimension = 'account' AND key_hash = $1) OR (dimension = 'address' AND key_hash = $2)
        ORDER BY dimension
        """

    private static func counters(_ tx: PostgresTransaction, account: String, address: String, lock: Bool) async throws
        -> (LoginThrottle.Counter?, LoginThrottle.Counter?)
    {
        try counters(from: try await tx.query(countersSQL + (lock ? " FOR UPDATE" : ""), hash(account), hash(address)))
    }

    private static func counters(from rows: PostgresRows) throws -> (LoginThrottle.Counter?, LoginThrottle.Counter?) {
        var result: [String: LoginThrottle.Counter] = [:]
        for row in rows {
            result[try row.decode(String.self, "dimension")] = LoginThrottle.Counter(
                failures: try row.decode(Int.self, "failures"), lastFailure: try row.decode(Date.self, "last_failure_at"),
                lockedUntil: try row.decode(Date?.self, "locked_until"))
        }
        return (result["account"], result["address"])
    }
}

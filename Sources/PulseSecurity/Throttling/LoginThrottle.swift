import Foundation

/// Limits for one dimension (per account or per source address).
public struct ThrottleLimits: Sendable, Hashable {
    /// Failures allowed before any delay.
    public var freeFailures: Int
    /// Delay after the first failure beyond the free ones; doubles with each further failure.
    public var baseDelay: TimeInterval
    public var maximumDelay: TimeInterval
    /// Failures (within `window`) that lock the key out.
    public var lockoutThreshold: Int
    public var lockoutDuration: TimeInterval
    /// A counter with no failure for this long starts over.
    public var window: TimeInterval

    public init(freeFailures: Int, baseDelay: TimeInterval, maximumDelay: TimeInterval, lockoutThreshold: Int,
        lockoutDuration: TimeInterval, window: TimeInterval) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.lockoutThreshold = lockoutThreshold
        self.lockoutDuration = lockoutDuration
        self.window = window
    }

    /// Per account: 3 free failures, then 1 s, 2 s, 4 s … (≤ 30 s), locked 15 min at 10.
    public static let account = ThrottleLimits(freeFailures: 3, baseDelay: 1, maximumDelay: 30, lockoutThreshold: 10,
        lockoutDuration: 900, window: 900)
    /// Per source address: looser (NAT, offices), catches spraying across many accounts.
    public static let address = ThrottleLimits(freeFailures: 10, baseDelay: 1, maximumDelay: 60, lockoutThreshold: 100,
        lockoutDuration: 900, window: 900)

    func delay(afterFailures n: Int) -> TimeInterval {
        guard n > freeFailures else { return 0 }
        let exponent = min(n - freeFailures - 1, 30)
        return min(baseDelay * Double(1 << exponent), maximumDelay)
    }
}

/// Login throttling as a pure value: callers keep one per process (or per shard), pass the
/// time in, and write every returned decision to the audit log. It never sees passwords.
///
/// Flow per attempt: `check` → if allowed, verify the password → `recordFailure` or
/// `recordSuccess`. Attempts refused by `check` are not counted (they never reached the
/// password check) but are audited by the caller.
public struct LoginThrottle: Sendable {
    public enum Reason: String, Sendable, Hashable {
        case allowed
        case accountDelayed = "account_delayed"
        case addressDelayed = "address_delayed"
        case accountLocked = "account_locked"
        case addressLocked = "address_locked"
    }

    public struct Decision: Sendable, Hashable {
        public let allowed: Bool
        /// The most restrictive reason (locked beats delayed beats allowed).
        public let reason: Reason
        /// When the next attempt will be considered; nil when allowed now.
        public let retryAfter: Date?
        /// Failure counts after this decision, for the audit record.
        public let accountFailures: Int
        public let addressFailures: Int
    }

    /// One key's failures. Public so several processes can keep counters in shared storage
    /// (the auth service's database) and run the same arithmetic on them.
    public struct Counter: Sendable, Hashable {
        public var failures = 0
        public var lastFailure = Date.distantPast
        public var lockedUntil: Date?

        public init(failures: Int = 0, lastFailure: Date = .distantPast, lockedUntil: Date? = nil) {
            self.failures = failures
            self.lastFailure = lastFailure
            self.lockedUntil = lockedUntil
        }
    }

    public let accountLimits: ThrottleLimits
    public let addressLimits: ThrottleLimits
    /// Keys tracked per dimension before the oldest unlocked ones are forgotten.
    public let capacity: Int
    private var accounts: [String: Counter] = [:]
    private var addresses: [String: Counter] = [:]

    public init(accountLimits: ThrottleLimits = .account, addressLimits: ThrottleLimits = .address, capacity: Int = 100_000) {
        self.accountLimits = accountLimits
        self.addressLimits = addressLimits
        self.capacity = capacity
    }

    /// The throttling key of an account: tenant plus case-folded, trimmed email.
    public static func accountKey(clientID: String, email: String) -> String {
        "\(clientID)\u{0}\(email.trimmingWhitespace().lowercased())"
    }

    /// Whether an attempt may proceed to the password check now.
    public func check(account: String, address: String, now: Date) -> Decision {
        let a = Self.current(accounts[account], limits: accountLimits, now: now)
        let s = Self.current(addresses[address], limits: addressLimits, now: now)
        let candidates: [(Reason, Date)] = [
            a.lockedUntil.map { (.accountLocked, $0) }, s.lockedUntil.map { (.addressLocked, $0) },
            Self.delayedUntil(a, accountLimits, now).map { (.accountDelayed, $0) },
            Self.delayedUntil(s, addressLimits, now).map { (.addressDelayed, $0) },
        ].compactMap { $0 }
        // Candidates are in severity order; report the first, retry after the latest.
        guard let first = candidates.first else {
            return Decision(allowed: true, reason: .allowed, retryAfter: nil, accountFailures: a.failures, addressFailures: s.failures)
        }
        return Decision(allowed: false, reason: first.0, retryAfter: candidates.map(\.1).max(),
            accountFailures: a.failures, addressFailures: s.failures)
    }

    /// Records a failed password check; returns what the next attempt will face.
    @discardableResult
    public mutating func recordFailure(account: String, address: String, now: Date) -> Decision {
        accounts[account] = Self.fail(accounts[account], limits: accountLimits, now: now)
        addresses[address] = Self.fail(addresses[address], limits: addressLimits, now: now)
        if accounts.count > capacity || addresses.count > capacity { prune(now: now) }
        return check(account: account, address: address, now: now)
    }

    /// A successful sign-in clears the account's counter. The address counter stays: one
    /// valid account must not wash away an address's failures against other accounts.
    public mutating func recordSuccess(account: String) {
        accounts[account] = nil
    }

    /// Forgets counters that have recovered; if still over capacity, drops the oldest
    /// unlocked ones.
    public mutating func prune(now: Date) {
        accounts = Self.pruned(accounts, limits: accountLimits, capacity: capacity, now: now)
        addresses = Self.pruned(addresses, limits: addressLimits, capacity: capacity, now: now)
    }

    public var trackedKeys: Int { accounts.count + addresses.count }

    /// The stored counters of one account and one address (shared storage reads them).
    public func counters(account: String, address: String) -> (account: Counter?, address: Counter?) {
        (accounts[account], addresses[address])
    }

    /// Loads counters read from shared storage before `check` or `recordFailure`.
    public mutating func load(account: String, _ accountCounter: Counter?, address: String, _ addressCounter: Counter?) {
        accounts[account] = accountCounter
        addresses[address] = addressCounter
    }

    // MARK: - Counter arithmetic

    /// The counter as it stands at `now`: recovered after lockout or after a quiet window.
    static func current(_ counter: Counter?, limits: ThrottleLimits, now: Date) -> Counter {
        guard var c = counter else { return Counter() }
        if let until = c.lockedUntil {
            if now < until { return c }
            c = Counter()
        } else if now.timeIntervalSince(c.lastFailure) >= limits.window {
            c = Counter()
        }
        return c
    }

    static func delayedUntil(_ c: Counter, _ limits: ThrottleLimits, _ now: Date) -> Date? {
        // No delay means none, also when a stored timestamp (microseconds in PostgreSQL) came
        // back a fraction later than the clock that wrote it.
        let delay = limits.delay(afterFailures: c.failures)
        guard c.lockedUntil == nil, delay > 0 else { return nil }
        let until = c.lastFailure.addingTimeInterval(delay)
        return now < until ? until : nil
    }

    static func fail(_ counter: Counter?, limits: ThrottleLimits, now: Date) -> Counter {
        var c = current(counter, limits: limits, now: now)
        if c.lockedUntil != nil { return c }
        c.failures += 1
        c.lastFailure = now
        if c.failures >= limits.lockoutThreshold { c.lockedUntil = now.addingTimeInterval(limits.lockoutDuration) }
        return c
    }

    static func pruned(_ map: [String: Counter], limits: ThrottleLimits, capacity: Int, now: Date) -> [String: Counter] {
        var kept = map.filter { current($0.value, limits: limits, now: now).failures > 0 }
        if kept.count > capacity {
            let victims = kept.filter { $0.value.lockedUntil == nil }.sorted { $0.value.lastFailure < $1.value.lastFailure }
            for (key, _) in victims.prefix(kept.count - capacity) { kept[key] = nil }
        }
        return kept
    }
}

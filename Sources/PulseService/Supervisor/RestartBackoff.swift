/// Exponential restart delays: `initial`, then doubling up to `maximum`; a child that stayed up
/// for `stableAfter` seconds starts again from `initial`.
public struct RestartBackoff: Sendable, Equatable {
    public var initial: Double
    public var maximum: Double
    public var stableAfter: Double
    /// Crashes since the child last ran stably.
    public private(set) var consecutiveFailures = 0

    public init(initial: Double, maximum: Double, stableAfter: Double) {
        self.initial = initial
        self.maximum = maximum
        self.stableAfter = stableAfter
    }

    /// Records a crash after `uptime` seconds and returns the delay before the next start.
    public mutating func delayAfterCrash(uptime: Double) -> Double {
        if uptime >= stableAfter { consecutiveFailures = 0 }
        consecutiveFailures += 1
        var delay = initial
        for _ in 1..<consecutiveFailures {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}

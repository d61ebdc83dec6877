import Foundation

/// SplitMix64: a small seeded generator, so forecasts are reproducible and testable.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// "When will N items be done": Monte Carlo over weekly throughput history. Each trial
/// draws weeks from the history (with replacement) until the remaining items are done; the
/// number of weeks of each trial makes the distribution of completion dates.
public struct MonteCarloForecast: Sendable {
    public struct Result: Sendable, Equatable {
        /// Weeks needed in each trial, sorted ascending.
        public let weeks: [Int]
        public let p50: Int, p85: Int, p95: Int
        /// Trials that reached the cap (no throughput drawn for too long).
        public let capped: Int

        /// Fraction of trials done within `weeks` weeks.
        public func probability(withinWeeks limit: Int) -> Double {
            guard !weeks.isEmpty else { return 0 }
            var low = 0, high = weeks.count
            while low < high {
                let mid = (low + high) / 2
                if weeks[mid] <= limit { low = mid + 1 } else { high = mid }
            }
            return Double(low) / Double(weeks.count)
        }
    }

    public static let maximumWeeks = 520

    /// - Parameters: history: items finished per week (≥ 1 week with throughput > 0 needed);
    ///   remaining: items left; trials: at least 1.
    public static func simulate(history: [Int], remaining: Int, trials: Int, seed: UInt64) -> Result? {
        guard !history.isEmpty, history.contains(where: { $0 > 0 }), trials > 0, remaining >= 0 else { return nil }
        var generator = SplitMix64(seed: seed)
        var weeks = [Int](repeating: 0, count: trials)
        var capped = 0
        let count = UInt64(history.count)
        history.withUnsafeBufferPointer { h in
            for trial in 0..<trials {
                var left = remaining, week = 0
                while left > 0 && week < maximumWeeks {
                    left -= h[Int(generator.next() % count)]
                    week += 1
                }
                if left > 0 { capped += 1 }
                weeks[trial] = week
            }
        }
        weeks.sort()
        // Nearest-rank percentiles: the smallest week count that at least q of the trials reach.
        func rank(_ q: Double) -> Int { weeks[max(0, Int((q * Double(trials)).rounded(.up)) - 1)] }
        return Result(weeks: weeks, p50: rank(0.5), p85: rank(0.85), p95: rank(0.95), capped: capped)
    }

    /// The date `weeks` weeks after `start` (whole days of 7, UTC).
    public static func date(afterWeeks weeks: Int, from start: Date) -> Date {
        start.addingTimeInterval(Double(weeks) * 7 * 86_400)
    }
}

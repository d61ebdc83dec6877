import Synchronization

/// A monotonically increasing integer count.
public final class Counter: PrometheusMetric {
    public static let typeName = "counter"
    private let storage = Atomic<Int>(0)

    public init(configuration: Void) {}

    /// Adds `amount` (must not be negative).
    public func increment(by amount: Int = 1) {
        precondition(amount >= 0, "counters only go up")
        storage.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current count.
    public var value: Int { storage.load(ordering: .relaxed) }

    public func appendSamples(name: String, labels: String, into out: inout String) {
        out.append(PrometheusText.sample(name, labels: labels, value: String(value)))
    }
}

/// A value that goes up and down (open connections, sessions).
public final class Gauge: PrometheusMetric {
    public static let typeName = "gauge"
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    public init(configuration: Void) {}

    /// Replaces the value.
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `amount` (negative to subtract).
    public func increment(by amount: Double = 1) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + amount).bitPattern
            let (exchanged, original) = bits.compareExchange(
                expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Subtracts `amount`.
    public func decrement(by amount: Double = 1) {
        increment(by: -amount)
    }

    /// The current value.
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    public func appendSamples(name: String, labels: String, into out: inout String) {
        out.append(PrometheusText.sample(name, labels: labels, value: PrometheusText.format(value)))
    }
}

/// Observations counted into cumulative buckets, with their sum and count.
public final class Histogram: PrometheusMetric {
    public static let typeName = "histogram"
    /// Prometheus' default latency buckets, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Validated, ascending bucket bounds.
    public struct Buckets: Sendable {
        let bounds: [Double]
        init(_ bounds: [Double]) {
            precondition(!bounds.isEmpty && bounds.allSatisfy(\.isFinite), "buckets must be finite")
            precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "buckets must ascend")
            self.bounds = bounds
        }
    }

    private struct State {
        var counts: [Int]
        var sum = 0.0
        var count = 0
    }

    private let bounds: [Double]
    private let state: Mutex<State>

    public init(configuration: Buckets) {
        bounds = configuration.bounds
        state = Mutex(State(counts: Array(repeating: 0, count: configuration.bounds.count)))
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        // Index of the first bucket whose bound is >= value; found before taking the lock.
        var index = bounds.count
        for (i, bound) in bounds.enumerated() where value <= bound {
            index = i
            break
        }
        state.withLock { s in
            if index < s.counts.count { s.counts[index] += 1 }
            s.sum += value
            s.count += 1
        }
    }

    /// The number of observations so far.
    public var count: Int { state.withLock { $0.count } }

    public func appendSamples(name: String, labels: String, into out: inout String) {
        let (counts, sum, count) = state.withLock { ($0.counts, $0.sum, $0.count) }
        let prefix = labels.isEmpty ? "" : labels + ","
        var cumulative = 0
        for (bound, n) in zip(bounds, counts) {
            cumulative += n
            out.append(PrometheusText.sample(
                name + "_bucket", labels: prefix + "le=\"\(PrometheusText.format(bound))\"", value: String(cumulative)))
        }
        out.append(PrometheusText.sample(name + "_bucket", labels: prefix + "le=\"+Inf\"", value: String(count)))
        out.append(PrometheusText.sample(name + "_sum", labels: labels, value: PrometheusText.format(sum)))
        out.append(PrometheusText.sample(name + "_count", labels: labels, value: String(count)))
    }
}

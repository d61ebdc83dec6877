import Foundation

/// Order statistics used by the forecasts and the anomaly detector.
public enum RobustStatistics {
    /// The median (mean of the two middle values for an even count); nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Median absolute deviation from the median (unscaled).
    public static func mad(_ values: [Double]) -> Double? {
        guard let m = median(values) else { return nil }
        return median(values.map { abs($0 - m) })
    }

    /// Linear-interpolation percentile (the "R-7" / NumPy default) of sorted values, q in 0...1.
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    /// Iglewicz and Hoaglin's modified z-score of `x` against `history`:
    /// 0.6745·(x − median)/MAD. A MAD of 0 (more than half the history equal) falls back to
    /// 1.253314·mean absolute deviation, and both are floored at 5% of |median| (or 1e-9) so a
    /// flat history does not turn every wiggle into an infinite score.
    public static func modifiedZScore(_ x: Double, history: [Double]) -> Double? {
        guard let m = median(history), let mad = mad(history) else { return nil }
        var scale = mad / 0.6745
        if scale == 0 {
            let meanAD = history.reduce(0) { $0 + abs($1 - m) } / Double(history.count)
            scale = meanAD * 1.253314
        }
        scale = max(scale, abs(m) * 0.05, 1e-9)
        return (x - m) / scale
    }
}

/// Reciprocal rank fusion (Cormack, Clarke and Büttcher 2009): each ranked list adds
/// 1/(k + rank) to an item's score, rank counted from 1; ties break by first appearance.
public enum RankFusion {
    public static let defaultK = 60.0

    /// - Parameter weights: one per list (default 1 each): weighted RRF, w/(k + rank).
    public static func fuse<ID: Hashable>(_ lists: [[ID]], weights: [Double]? = nil, k: Double = defaultK) -> [(id: ID, score: Double)] {
        var scores: [ID: Double] = [:]
        var order: [ID: Int] = [:]
        var next = 0
        for (n, list) in lists.enumerated() {
            let weight = weights.map { n < $0.count ? $0[n] : 1 } ?? 1
            for (index, id) in list.enumerated() {
                scores[id, default: 0] += weight / (k + Double(index + 1))
                if order[id] == nil {
                    order[id] = next
                    next += 1
                }
            }
        }
        return scores.map { (id: $0.key, score: $0.value) }.sorted {
            $0.score != $1.score ? $0.score > $1.score : order[$0.id]! < order[$1.id]!
        }
    }
}

import Foundation

/// A report period: whole UTC days, both ends inclusive.
public struct DORAPeriod: Sendable, Equatable {
    /// 00:00 UTC of the first day.
    public var start: Date
    /// Number of days (>= 1).
    public var days: Int
    public var end: Date { start.addingTimeInterval(Double(days) * 86400) }

    public init(start: Date, days: Int) {
        self.start = start
        self.days = days
    }

    /// From `YYYY-MM-DD` to `YYYY-MM-DD`, inclusive; nil when malformed or reversed.
    public init?(from: String, to: String) {
        guard let a = Self.day(from), let b = Self.day(to), b >= a else { return nil }
        self.init(start: a, days: Int((b.timeIntervalSince(a) / 86400).rounded()) + 1)
    }

    /// 00:00 UTC of a `YYYY-MM-DD` day, nil when malformed.
    public static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        var components = DateComponents()
        components.year = y
        components.month = m
        components.day = d
        guard let date = utcCalendar.date(from: components),
            utcCalendar.component(.day, from: date) == d, utcCalendar.component(.month, from: date) == m
        else { return nil }
        return date
    }

    /// The period of the same length just before this one.
    public var previous: DORAPeriod { DORAPeriod(start: start.addingTimeInterval(-Double(days) * 86400), days: days) }

    public func contains(_ date: Date) -> Bool { date >= start && date < end }

    /// Day index (0-based) of a date inside the period.
    func dayIndex(_ date: Date) -> Int { Int((date.timeIntervalSince(start) / 86400).rounded(.down)) }
}

let utcCalendar: Calendar = {
    var calendar = Calendar(identifier: .iso8601)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
}()

/// Percentile with linear interpolation between closest ranks: PostgreSQL `percentile_cont`.
public func percentileCont(_ fraction: Double, _ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let position = fraction * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = Int(position.rounded(.up))
    if lower == upper { return sorted[lower] }
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
}

/// Median, p75 and p90 of a set of durations (seconds); nil fields when empty.
public struct DurationSummary: Sendable, Equatable, Codable {
    public var median: Double?
    public var p75: Double?
    public var p90: Double?
    public init(_ values: [Double]) {
        median = percentileCont(0.5, values)
        p75 = percentileCont(0.75, values)
        p90 = percentileCont(0.9, values)
    }
}

/// The DORA figures of one scope and period.
public struct DORAFigures: Sendable, Equatable {
    public var deployments: Int
    public var deploymentsPerDay: Double
    public var deploymentDays: Int
    public var medianDeploymentDaysPerWeek: Double?
    public var leadTimeChanges: Int
    public var leadTime: DurationSummary
    public var failedDeployments: Int
    public var changeFailureRate: Double?
    public var recoveryCount: Int
    public var recoveryMedian: Double?
    public var recoveryP90: Double?
    public var reworkDeployments: Int
    public var deploymentReworkRate: Double?
    public var periodDays: Int
}

public enum DORAMetrics {
    /// Days with at least one deployment per ISO week (Mon-Sun, UTC) of the period: full
    /// weeks only, or the partial edge weeks when no full week exists.
    public static func deploymentDaysPerWeek(_ finishes: [Date], period: DORAPeriod) -> [Int] {
        let days = Set(finishes.filter(period.contains).map(period.dayIndex))
        // weekday of the first day: ISO Monday = 0
        let weekday = (utcCalendar.component(.weekday, from: period.start) + 5) % 7
        let firstMonday = (7 - weekday) % 7
        var full: [Int] = []
        var offset = firstMonday
        while offset + 7 <= period.days {
            full.append((offset..<offset + 7).filter(days.contains).count)
            offset += 7
        }
        if !full.isEmpty { return full }
        var partial: [Int] = []
        var begin = 0
        var next = firstMonday == 0 ? 7 : firstMonday
        while begin < period.days {
            let stop = min(next, period.days)
            partial.append((begin..<stop).filter(days.contains).count)
            begin = stop
            next = stop + 7
        }
        return partial
    }

    /// Figures over a pooled set of derived deployments (any number of repositories): the
    /// deployments finished in the period, the changes they shipped, failures, recoveries.
    public static func figures(_ all: [DerivedDeployment], period: DORAPeriod) -> DORAFigures {
        let inPeriod = all.filter { period.contains($0.finishedAt) }
        let leadTimes = inPeriod.flatMap { $0.changes.compactMap(\.leadTimeSeconds) }
        let failed = inPeriod.filter(\.failed)
        let recoveries = failed.compactMap(\.recoverySeconds)
        let rework = inPeriod.filter(\.isRework).count
        let count = inPeriod.count
        let days = Set(inPeriod.map { period.dayIndex($0.finishedAt) }).count
        let weeks = deploymentDaysPerWeek(inPeriod.map(\.finishedAt), period: period).map(Double.init)
        return DORAFigures(
            deployments: count, deploymentsPerDay: Double(count) / Double(period.days), deploymentDays: days,
            medianDeploymentDaysPerWeek: percentileCont(0.5, weeks), leadTimeChanges: leadTimes.count,
            leadTime: DurationSummary(leadTimes), failedDeployments: failed.count,
            changeFailureRate: count == 0 ? nil : Double(failed.count) / Double(count), recoveryCount: recoveries.count,
            recoveryMedian: percentileCont(0.5, recoveries), recoveryP90: percentileCont(0.9, recoveries),
            reworkDeployments: rework, deploymentReworkRate: count == 0 ? nil : Double(rework) / Double(count),
            periodDays: period.days)
    }
}

import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in
/// UTC: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month names
/// `JAN`-`DEC` and weekday names `SUN`-`SAT` (0 and 7 are Sunday), and the macros
/// `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. As in Vixie cron, when both
/// day fields are restricted a day matching either runs.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    public let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let description: String

    /// An invalid expression: which field and why, in words.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// `minute`, `hour`, `day_of_month`, `month`, `day_of_week`, or `expression`.
        public var field: String
        public var message: String
        public var description: String { "cron \(field): \(message)" }
    }

    static let fieldNames = ["minute", "hour", "day_of_month", "month", "day_of_week"]
    static let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    static let macros = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
                         "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]

    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        if expanded.hasPrefix("@") { throw Invalid(field: "expression", message: "unknown macro \(trimmed)") }
        let parts = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            throw Invalid(field: "expression", message: "expected 5 fields (minute hour day-of-month month day-of-week), got \(parts.count)")
        }
        var sets: [Set<Int>] = []
        for (index, part) in parts.enumerated() {
            sets.append(try Self.parseField(part, index: index))
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 == 7 ? 0 : $0 })
        dayOfMonthRestricted = parts[2] != "*" && parts[2] != "?"
        dayOfWeekRestricted = parts[4] != "*" && parts[4] != "?"
        description = trimmed
    }

    static func parseField(_ text: String, index: Int) throws(Invalid) -> Set<Int> {
        let name = fieldNames[index], range = ranges[index]
        func fail(_ message: String) -> Invalid { Invalid(field: name, message: message) }
        func value(_ token: String) throws(Invalid) -> Int {
            let upper = token.uppercased()
            if index == 3, let i = monthNames.firstIndex(of: upper) { return i + 1 }
            if index == 4, let i = dayNames.firstIndex(of: upper) { return i }
            guard let number = Int(token) else { throw fail("'\(token)' is not a number\(index >= 3 ? " or a name" : "")") }
            guard range.contains(number) else { throw fail("\(number) is out of range \(range.lowerBound)-\(range.upperBound)") }
            return number
        }
        if text.isEmpty { throw fail("is empty") }
        var result = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if item.isEmpty { throw fail("has an empty list item in '\(text)'") }
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard stepParts.count <= 2 else { throw fail("'\(item)' has more than one '/'") }
            var step = 1
            if stepParts.count == 2 {
                guard let s = Int(stepParts[1]), s > 0 else { throw fail("step '\(stepParts[1])' must be a positive number") }
                guard s <= range.upperBound else { throw fail("step \(s) is larger than the field's range") }
                step = s
            }
            let base = stepParts[0]
            var low: Int, high: Int
            if base == "*" || base == "?" {
                low = range.lowerBound
                high = index == 4 ? 6 : range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(String(base[..<dash]))
                high = try value(String(base[base.index(after: dash)...]))
                guard low <= high else { throw fail("range \(base) runs backwards") }
            } else {
                low = try value(base)
                high = stepParts.count == 2 ? range.upperBound : low
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    /// The first matching minute strictly after `date` (UTC), or nil when none in 5 years
    /// (e.g. `0 0 31 2 *`).
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.dateInterval(of: .minute, for: date)!.start.addingTimeInterval(60)
        var c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        let lastYear = c.year! + 5
        while c.year! <= lastYear {
            guard months.contains(c.month!) else {
                c.month! += 1
                if c.month! > 12 { c.month = 1; c.year! += 1 }
                c.day = 1; c.hour = 0; c.minute = 0
                continue
            }
            let firstOfMonth = calendar.date(from: DateComponents(year: c.year, month: c.month, day: 1))!
            let daysInMonth = calendar.range(of: .day, in: .month, for: firstOfMonth)!.count
            if c.day! > daysInMonth {
                c.month! += 1
                if c.month! > 12 { c.month = 1; c.year! += 1 }
                c.day = 1; c.hour = 0; c.minute = 0
                continue
            }
            let day = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day))!
            let weekday = calendar.component(.weekday, from: day) - 1
            guard dayMatches(dayOfMonth: c.day!, weekday: weekday) else {
                c.day! += 1; c.hour = 0; c.minute = 0
                continue
            }
            guard hours.contains(c.hour!) else {
                c.hour! += 1; c.minute = 0
                if c.hour! > 23 { c.day! += 1; c.hour = 0 }
                continue
            }
            guard minutes.contains(c.minute!) else {
                c.minute! += 1
                if c.minute! > 59 {
                    c.minute = 0; c.hour! += 1
                    if c.hour! > 23 { c.day! += 1; c.hour = 0 }
                }
                continue
            }
            return calendar.date(from: c)
        }
        return nil
    }

    func dayMatches(dayOfMonth: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(weekday)
        case (true, false): daysOfMonth.contains(dayOfMonth)
        case (false, true): daysOfWeek.contains(weekday)
        case (false, false): true
        }
    }
}

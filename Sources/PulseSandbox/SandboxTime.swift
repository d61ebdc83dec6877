import Foundation
import PulseHTTP

/// Timestamps as the vendors write them, computed from epoch seconds without the wall clock or
/// a time-zone database, so output is the same everywhere.
public enum SandboxTime {
    /// `2011-01-26T19:01:12Z` (GitHub).
    public static func github(_ t: Int64) -> String {
        var out: [UInt8] = []
        JSONOutput.appendISO8601(Date(timeIntervalSince1970: TimeInterval(t)), to: &out)
        return String(decoding: out.dropFirst().dropLast(), as: UTF8.self)
    }

    /// `2021-01-17T12:34:00.000+0100` (Jira), in the sandbox user's zone (Europe/Berlin).
    public static func jira(_ t: Int64, millis: Int = 0) -> String {
        let offset = berlinOffset(t)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600, minutes = abs(offset) % 3600 / 60
        return github(t + Int64(offset)).dropLast() + ".\(pad(millis, 3))\(sign)\(pad(hours))\(pad(minutes))"
    }

    /// `2015-04-11T15:22:00.000+01:00` (Jira Agile, offset with a colon).
    public static func agile(_ t: Int64) -> String {
        var text = jira(t)
        text.insert(":", at: text.index(text.endIndex, offsetBy: -2))
        return text
    }

    /// Seconds east of UTC in Europe/Berlin at `t` (CET +1, CEST +2 from the last Sunday of
    /// March 01:00 UTC to the last Sunday of October 01:00 UTC).
    public static func berlinOffset(_ t: Int64) -> Int {
        let year = Int(github(t).prefix(4))!
        let start = lastSunday(year: year, month: 3) + 3600
        let end = lastSunday(year: year, month: 10) + 3600
        return t >= start && t < end ? 7200 : 3600
    }

    /// The UTC instant of a Berlin wall-clock time (JQL literals are read in the user's zone).
    public static func fromBerlin(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> Int64 {
        let local = epoch(year: year, month: month, day: day) + Int64(hour * 3600 + minute * 60)
        let guess = local - 3600
        return local - Int64(berlinOffset(guess))
    }

    /// Parses `2011-01-26T19:01:12Z` (or with an offset `+01:00`/`+0100`, optional millis).
    public static func parseISO(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var v = 0
            for b in u[from..<(from + count)] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2) else { return nil }
        var t = epoch(year: y, month: mo, day: d)
        guard u.count >= 19, let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2) else { return u.count == 10 ? t : nil }
        t += Int64(h * 3600 + mi * 60 + s)
        var i = 19
        if i < u.count, u[i] == 0x2E { i += 1; while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 } }
        if i >= u.count || u[i] == 0x5A { return t }
        let sign: Int64 = u[i] == 0x2D ? -1 : 1
        guard let oh = num(i + 1, 2) else { return nil }
        let om = num(i + 3, 2) ?? num(i + 4, 2) ?? 0
        return t - sign * Int64(oh * 3600 + om * 60)
    }

    /// Midnight UTC of a civil date (Howard Hinnant's days_from_civil).
    public static func epoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468) * 86_400
    }

    static func lastSunday(year: Int, month: Int) -> Int64 {
        let nextMonth = month == 12 ? epoch(year: year + 1, month: 1, day: 1) : epoch(year: year, month: month + 1, day: 1)
        let lastDay = nextMonth - 86_400
        let weekday = Int((lastDay / 86_400 + 4) % 7)  // 0 = Sunday (1970-01-01 was a Thursday)
        return lastDay - Int64(weekday) * 86_400
    }

    static func pad(_ v: Int, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

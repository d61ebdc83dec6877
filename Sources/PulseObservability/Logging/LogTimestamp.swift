#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant with microsecond precision, printed as `2025-09-04T01:19:52.225555Z`.
public struct LogTimestamp: Sendable, Equatable {
    /// Seconds since the Unix epoch.
    public var seconds: Int
    /// Microseconds within the second, `0..<1_000_000`.
    public var microseconds: Int

    /// Creates a timestamp from its parts.
    public init(seconds: Int, microseconds: Int) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> LogTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return LogTimestamp(seconds: Int(ts.tv_sec), microseconds: Int(ts.tv_nsec) / 1000)
    }

    /// The ISO-8601 UTC form with six fractional digits and a `Z` suffix.
    public var iso8601: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var out = ""
        out.reserveCapacity(27)
        Self.append(Int(parts.tm_year) + 1900, width: 4, to: &out)
        out.append("-")
        Self.append(Int(parts.tm_mon) + 1, width: 2, to: &out)
        out.append("-")
        Self.append(Int(parts.tm_mday), width: 2, to: &out)
        out.append("T")
        Self.append(Int(parts.tm_hour), width: 2, to: &out)
        out.append(":")
        Self.append(Int(parts.tm_min), width: 2, to: &out)
        out.append(":")
        Self.append(Int(parts.tm_sec), width: 2, to: &out)
        out.append(".")
        Self.append(microseconds, width: 6, to: &out)
        out.append("Z")
        return out
    }

    private static func append(_ value: Int, width: Int, to out: inout String) {
        let digits = String(value)
        if digits.count < width { out.append(String(repeating: "0", count: width - digits.count)) }
        out.append(digits)
    }
}

import Glibc

/// Serialises response heads. Kept apart from the connection so it can be tested alone.
enum ResponseHead {
    /// Appends the status line and header fields (plus the final CRLF) to `out`.
    static func write(
        status: HTTPStatus,
        headers: HTTPHeaders,
        extra: [(String, String)],
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, into: &out)
        out.append(0x20)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: [0x0D, 0x0A])
        for (name, value) in headers where isSafe(name) && isSafe(value) {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [0x3A, 0x20])
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        for (name, value) in extra {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [0x3A, 0x20])
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// Header names and values a handler set must not contain CR or LF (response splitting).
    @inline(__always)
    static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }

    static func appendDecimal(_ value: Int, into out: inout [UInt8]) {
        if value == 0 {
            out.append(0x30)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 && n < 20 {
                buffer[n] = UInt8(0x30 + v % 10)
                v /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    static func appendHex(_ value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(value, radix: 16).utf8)
    }
}

/// HTTP dates (IMF-fixdate, RFC 9110 §5.6.7).
package enum HTTPDate {
    package static func format(_ seconds: Int) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// The `Date` header value, recomputed at most once a second per loop.
final class DateCache {
    private var second = 0
    private(set) var value = ""

    func current() -> String {
        let now = time(nil)
        if now != second {
            second = now
            value = HTTPDate.format(now)
        }
        return value
    }
}

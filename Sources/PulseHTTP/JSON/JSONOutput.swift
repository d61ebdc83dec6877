import Foundation

/// Byte-level JSON writers shared by `JSONBodyEncoder` and the problem+json path. Every writer
/// produces the bytes Foundation's `JSONEncoder` produces for the same value, so switching
/// encoders changes no response body.
package enum JSONOutput {
    /// Appends `text` as a quoted JSON string (RFC 8259 §7): `"` and `\` escaped, control
    /// characters as `\b \f \n \r \t` or `\u00xx` (lowercase hex, as `JSONEncoder` writes them),
    /// `/` as `\/` only when `escapingSlashes`, everything else (non-ASCII included) as raw UTF-8.
    package static func appendString(_ text: String, escapingSlashes: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { appendEscaped($0, escapingSlashes: escapingSlashes, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the escaped contents of a JSON string (no quotes).
    package static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, escapingSlashes: Bool, to out: inout [UInt8]) {
        var mark = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            // Fast test: nothing at or above 0x5D needs escaping, nor most printable ASCII.
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C && (byte != 0x2F || !escapingSlashes) {
                index += 1
                continue
            }
            if index > mark { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[mark..<index])) }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            }
            index += 1
            mark = index
        }
        if count > mark { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[mark..<count])) }
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? value &+ UInt8(ascii: "0") : value &- 10 &+ UInt8(ascii: "a")
    }

    /// Appends a decimal integer without going through `String`.
    package static func appendInteger<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        guard T.bitWidth <= 64 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if T.isSigned && value < 0 { out.append(UInt8(ascii: "-")) }
        if magnitude < 10 {
            out.append(UInt8(truncatingIfNeeded: magnitude) &+ UInt8(ascii: "0"))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = 20
            while magnitude > 0 {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                position -= 1
                digits[position] = UInt8(truncatingIfNeeded: remainder) &+ UInt8(ascii: "0")
                magnitude = quotient
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position..<20]))
        }
    }

    /// Appends a finite float the way `JSONEncoder` does: Swift's shortest round-tripping
    /// `description`, minus a trailing `.0` (`3.0` → `3`, `1e-05` stays). Returns false for
    /// NaN and infinities, which JSON cannot represent.
    package static func appendFloat<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T, to out: inout [UInt8]) -> Bool {
        guard value.isFinite else { return false }
        let text = value.description
        var utf8 = text.utf8[...]
        if utf8.count >= 2, utf8.last == UInt8(ascii: "0"), utf8.dropLast().last == UInt8(ascii: ".") {
            utf8 = utf8.dropLast(2)
        }
        out.append(contentsOf: utf8)
        return true
    }

    /// Appends `date` as `JSONEncoder`'s `.iso8601` strategy writes it: `"yyyy-MM-ddTHH:mm:ssZ"`
    /// in UTC, fractional seconds dropped (rounded down). Dates before 1583 (Foundation's calendar
    /// turns Julian before 1582-10-15) and after 9999 go through Foundation's formatter.
    package static func appendISO8601(_ date: Date, to out: inout [UInt8]) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // 1583-01-01 and 9999-12-31T23:59:59 in seconds since 1970.
        guard seconds >= -12_212_553_600, seconds <= 253_402_300_799 else {
            appendString(date.formatted(.iso8601), escapingSlashes: false, to: &out)
            return
        }
        let total = Int64(seconds)
        let (days, secondOfDay) = floorDivide(total, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        out.append(UInt8(ascii: "\""))
        appendPadded(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2, to: &out)
        out.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    private static func civilDate(daysSince1970: Int64) -> (Int64, Int64, Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func appendPadded(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ UInt8(ascii: "0"))
            rest %= divisor
            divisor /= 10
        }
    }
}

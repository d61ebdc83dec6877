import Foundation

/// One-dimensional arrays (`real[]` embeddings, `text[]`, `int[]`...), text or binary.
extension Array: PostgresDecodable where Element: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        let bytes = try cell.required("array")
        if cell.column.format == .text {
            guard let items = PostgresArrayText.parse(String(decoding: bytes, as: UTF8.self)) else {
                throw cell.failure("array")
            }
            let elementColumn = PostgresColumn(name: cell.column.name, type: 0, format: .text)
            return try items.map { item -> Element in
                let bytes: [UInt8]? = item.map { [UInt8]($0.utf8) }
                return try Element.decode(from: PostgresCell(bytes: bytes, column: elementColumn))
            }
        }
        return try PostgresArrayBinary.decode(bytes, column: cell.column)
    }
}

enum PostgresArrayBinary {
    static func decode<Element: PostgresDecodable>(_ bytes: [UInt8], column: PostgresColumn) throws -> [Element] {
        var offset = 0
        func int32() throws -> Int32 {
            guard offset + 4 <= bytes.count else {
                throw PostgresError(.decoding, message: "truncated array in column \(column.name)")
            }
            defer { offset += 4 }
            return bytes[offset..<offset + 4].reduce(Int32(0)) { ($0 << 8) | Int32($1) }
        }
        let dimensions = try int32()
        _ = try int32()  // has-nulls flag
        let elementType = UInt32(bitPattern: try int32())
        if dimensions == 0 { return [] }
        guard dimensions == 1 else {
            throw PostgresError(.decoding, message: "column \(column.name): only one-dimensional arrays are supported")
        }
        let length = Int(try int32())
        _ = try int32()  // lower bound
        let elementColumn = PostgresColumn(name: column.name, type: elementType, format: .binary)
        var result: [Element] = []
        result.reserveCapacity(length)
        for _ in 0..<length {
            let size = Int(try int32())
            if size < 0 {
                result.append(try Element.decode(from: PostgresCell(bytes: nil, column: elementColumn)))
                continue
            }
            guard offset + size <= bytes.count else {
                throw PostgresError(.decoding, message: "truncated array in column \(column.name)")
            }
            let element = Array(bytes[offset..<offset + size])
            offset += size
            result.append(try Element.decode(from: PostgresCell(bytes: element, column: elementColumn)))
        }
        return result
    }
}

/// The text form of one-dimensional arrays: `{1,2}`, `{"a b",NULL,"q\"t"}`.
enum PostgresArrayText {
    static func parse(_ text: String) -> [String?]? {
        var chars = Substring(text)
        if chars.first == "[" {  // explicit bounds prefix: "[0:2]={...}"
            guard let equals = chars.firstIndex(of: "=") else { return nil }
            chars = chars[chars.index(after: equals)...]
        }
        guard chars.first == "{", chars.last == "}" else { return nil }
        let body = chars.dropFirst().dropLast()
        if body.isEmpty { return [] }
        var items: [String?] = []
        var current = ""
        var quoted = false, wasQuoted = false, escaped = false
        for char in body {
            if escaped {
                current.append(char)
                escaped = false
            } else if char == "\\" {
                escaped = true
            } else if char == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if char == "," && !quoted {
                items.append(!wasQuoted && current == "NULL" ? nil : current)
                current = ""
                wasQuoted = false
            } else if char == "{" && !quoted {
                return nil  // multi-dimensional: not supported
            } else {
                current.append(char)
            }
        }
        if quoted || escaped { return nil }
        items.append(!wasQuoted && current == "NULL" ? nil : current)
        return items
    }

    /// Array literal for a parameter; every element quoted and escaped.
    static func literal(_ elements: [String?]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(",") }
            guard let element else {
                out.append("NULL")
                continue
            }
            out.append("\"")
            for char in element {
                if char == "\"" || char == "\\" { out.append("\\") }
                out.append(char)
            }
            out.append("\"")
        }
        out.append("}")
        return out
    }
}

/// A JSON/JSONB value carried as a Codable Swift value.
public struct PostgresJSON<Value: Codable & Sendable>: Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> PostgresJSON<Value> {
        var bytes = try cell.required("JSON")
        if cell.column.format == .binary && cell.column.type == PostgresType.jsonb && bytes.first == 1 {
            bytes.removeFirst()
        }
        do {
            return PostgresJSON(try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw PostgresError(.decoding, message: "column \(cell.column.name): JSON does not match \(Value.self): \(error)")
        }
    }
}

/// timestamptz / timestamp text parsing ("2026-01-02 03:04:05.123456+00"); naive
/// timestamps are taken as UTC.
enum PostgresTimestamp {
    /// Seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
    static let epochOffset: Double = 946_684_800

    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        let u = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= u.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                value = value * 10 + Int(u[i] - 48)
                i += 1
            }
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < u.count, u[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        if i < u.count && (u[i] == 32 || u[i] == 84) {  // ' ' or 'T'
            i += 1
            guard let h = number(2), expect(":"), let m = number(2), expect(":"), let s = number(2) else { return nil }
            seconds += Double(h * 3600 + m * 60 + s)
            if i < u.count && u[i] == 46 {  // fraction
                i += 1
                var scale = 0.1
                while i < u.count, u[i] >= 48, u[i] <= 57 {
                    seconds += Double(u[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
            }
        }
        if i < u.count {
            let sign: Double
            switch u[i] {
            case 43: sign = 1
            case 45: sign = -1
            case 90: return i + 1 == u.count ? Date(timeIntervalSince1970: seconds) : nil
            default: return nil
            }
            i += 1
            guard let oh = number(2) else { return nil }
            var offset = oh * 3600
            if expect(":") { guard let om = number(2) else { return nil }; offset += om * 60 }
            if expect(":") { guard let os = number(2) else { return nil }; offset += os }
            seconds -= sign * Double(offset)
        }
        guard i == u.count else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO 8601 UTC with microseconds, which PostgreSQL accepts for timestamptz.
    static func format(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        write(date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the same 27 bytes (fixed-width digits: COPY formats millions of these).
    static func write(_ date: Date, into out: inout [UInt8]) {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var time = tm()
        var t = Int(seconds)
        gmtime_r(&t, &time)
        func put(_ value: Int, width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(Int(time.tm_year) + 1900, width: 4)
        out.append(45)
        put(Int(time.tm_mon) + 1, width: 2)
        out.append(45)
        put(Int(time.tm_mday), width: 2)
        out.append(84)
        put(Int(time.tm_hour), width: 2)
        out.append(58)
        put(Int(time.tm_min), width: 2)
        out.append(58)
        put(Int(time.tm_sec), width: 2)
        out.append(46)
        put(Int(micros), width: 6)
        out.append(90)
    }
}

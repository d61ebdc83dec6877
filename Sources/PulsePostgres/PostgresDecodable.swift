import Foundation

/// A Swift type that can be read from a result cell (text or binary format).
public protocol PostgresDecodable: Sendable {
    static func decode(from cell: PostgresCell) throws -> Self
}

extension PostgresCell {
    package func failure(_ expected: String) -> PostgresError {
        PostgresError(.decoding, message: "column \(column.name) (type oid \(column.type)) is not a valid \(expected)")
    }

    /// Non-NULL bytes, or a decoding error naming the column.
    package func required(_ expected: String) throws -> [UInt8] {
        guard let bytes else {
            throw PostgresError(.decoding, message: "column \(column.name) is NULL; decode as Optional<\(expected)>")
        }
        return bytes
    }

    package func bigEndian<I: FixedWidthInteger>(_ bytes: [UInt8], as: I.Type) -> I? {
        guard bytes.count == MemoryLayout<I>.size else { return nil }
        return bytes.reduce(I.zero) { ($0 << 8) | I(truncatingIfNeeded: $1) }
    }

    /// Any integer column (int2/int4/int8, text or binary) as Int64.
    package func integer() throws -> Int64 {
        let bytes = try required("integer")
        if column.format == .text {
            guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else { throw failure("integer") }
            return value
        }
        switch column.type {
        case PostgresType.int2: if let v = bigEndian(bytes, as: Int16.self) { return Int64(v) }
        case PostgresType.int4, PostgresType.oid: if let v = bigEndian(bytes, as: Int32.self) { return Int64(v) }
        case PostgresType.int8: if let v = bigEndian(bytes, as: Int64.self) { return v }
        default: break
        }
        throw failure("integer")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        cell.isNull ? nil : try Wrapped.decode(from: cell)
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int { Int(try cell.integer()) }
}
extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 { try cell.integer() }
}
extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 {
        guard let value = Int32(exactly: try cell.integer()) else { throw cell.failure("Int32") }
        return value
    }
}
extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int16 {
        guard let value = Int16(exactly: try cell.integer()) else { throw cell.failure("Int16") }
        return value
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        let bytes = try cell.required("Double")
        if cell.column.format == .text {
            guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { throw cell.failure("Double") }
            return value
        }
        if cell.column.type == PostgresType.float4, let bits = cell.bigEndian(bytes, as: UInt32.self) {
            return Double(Float(bitPattern: bits))
        }
        if cell.column.type == PostgresType.float8, let bits = cell.bigEndian(bytes, as: UInt64.self) {
            return Double(bitPattern: bits)
        }
        return Double(try cell.integer())
    }
}
extension Float: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Float {
        if cell.column.format == .binary, cell.column.type == PostgresType.float4,
            let bits = cell.bigEndian(try cell.required("Float"), as: UInt32.self)
        {
            return Float(bitPattern: bits)
        }
        if cell.column.format == .text {
            guard let value = Float(String(decoding: try cell.required("Float"), as: UTF8.self)) else {
                throw cell.failure("Float")
            }
            return value
        }
        return Float(try Double.decode(from: cell))
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        let bytes = try cell.required("Bool")
        if cell.column.format == .binary { return bytes.first == 1 }
        switch bytes.first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.failure("Bool")
        }
    }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        var bytes = try cell.required("String")
        if cell.column.format == .binary {
            switch cell.column.type {
            case PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name,
                PostgresType.json:
                break
            case PostgresType.jsonb where bytes.first == 1: bytes.removeFirst()
            default: throw cell.failure("String (select it as ::text, or use text results)")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        let bytes = try cell.required("UUID")
        if cell.column.format == .binary {
            guard bytes.count == 16 else { throw cell.failure("UUID") }
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }
        guard let value = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else { throw cell.failure("UUID") }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Date {
        let bytes = try cell.required("Date")
        if cell.column.format == .binary {
            guard let micros = cell.bigEndian(bytes, as: Int64.self) else { throw cell.failure("Date") }
            return Date(timeIntervalSince1970: PostgresTimestamp.epochOffset + Double(micros) / 1_000_000)
        }
        guard let date = PostgresTimestamp.parse(String(decoding: bytes, as: UTF8.self)) else {
            throw cell.failure("Date")
        }
        return date
    }
}

/// `bytea` values.
extension Data: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Data {
        let bytes = try cell.required("Data")
        if cell.column.format == .binary { return Data(bytes) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("\\x"), let data = Data(hexString: text.dropFirst(2)) else { throw cell.failure("bytea") }
        return data
    }
}

extension Data {
    init?(hexString: Substring) {
        guard hexString.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hexString.utf8.count / 2)
        var iterator = hexString.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = hexDigit(high), let l = hexDigit(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        self.init(bytes)
    }
}

private func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

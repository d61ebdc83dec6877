import Foundation

/// A Swift value that can be bound to a `$n` parameter. Values are sent in PostgreSQL's
/// text format; the server parses them for the parameter's type, so no SQL is ever
/// assembled from input.
public protocol PostgresEncodable: Sendable {
    /// Text representation, or nil for SQL NULL.
    func postgresText() throws -> String?
}

/// SQL NULL as a parameter (`nil` cannot be inferred in a variadic list).
public struct PostgresNull: PostgresEncodable {
    public init() {}
    public func postgresText() throws -> String? { nil }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public func postgresText() throws -> String? {
        switch self {
        case .none: return nil
        case .some(let value): return try value.postgresText()
        }
    }
}

extension String: PostgresEncodable {
    public func postgresText() throws -> String? {
        // libpq sends text parameters as C strings: a NUL would silently truncate the value.
        if utf8.contains(0) {
            throw PostgresError(.invalidArgument, message: "text parameter contains a NUL byte")
        }
        return self
    }
}
extension Substring: PostgresEncodable {
    public func postgresText() throws -> String? { try String(self).postgresText() }
}
extension Int: PostgresEncodable { public func postgresText() throws -> String? { String(self) } }
extension Int64: PostgresEncodable { public func postgresText() throws -> String? { String(self) } }
extension Int32: PostgresEncodable { public func postgresText() throws -> String? { String(self) } }
extension Int16: PostgresEncodable { public func postgresText() throws -> String? { String(self) } }
extension UInt32: PostgresEncodable { public func postgresText() throws -> String? { String(self) } }
extension Bool: PostgresEncodable { public func postgresText() throws -> String? { self ? "t" : "f" } }
extension UUID: PostgresEncodable { public func postgresText() throws -> String? { uuidString } }
extension Date: PostgresEncodable {
    public func postgresText() throws -> String? { PostgresTimestamp.format(self) }
}

/// Shortest round-trip decimal text, with PostgreSQL's spellings of the specials.
func floatText<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
    return value.description
}
extension Double: PostgresEncodable { public func postgresText() throws -> String? { floatText(self) } }
extension Float: PostgresEncodable { public func postgresText() throws -> String? { floatText(self) } }

/// `bytea` as hex.
extension Data: PostgresEncodable {
    public func postgresText() throws -> String? {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Arrays bind as array literals (e.g. an embedding as `real[]`).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public func postgresText() throws -> String? {
        PostgresArrayText.literal(try map { try $0.postgresText() })
    }
}

extension PostgresJSON: PostgresEncodable {
    public func postgresText() throws -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

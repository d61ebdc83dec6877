extension SandboxJSON {
    /// Parses JSON text (RFC 8259) keeping key order; numbers must be integers (the vendors'
    /// payloads the sandbox reads have no fractions). Nil for anything malformed.
    public static func parse(_ bytes: [UInt8]) -> SandboxJSON? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value() else { return nil }
        parser.skipSpace()
        return parser.index == bytes.count ? value : nil
    }

    public static func parse(_ text: String) -> SandboxJSON? { parse(Array(text.utf8)) }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int64? { if case .int(let i) = self { return i } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [SandboxJSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(String, SandboxJSON)]? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ text: String, _ value: SandboxJSON) -> SandboxJSON? {
            let u = Array(text.utf8)
            guard index + u.count <= bytes.count, Array(bytes[index..<(index + u.count)]) == u else { return nil }
            index += u.count
            return value
        }

        mutating func value(depth: Int = 0) -> SandboxJSON? {
            guard depth < 200 else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case 0x6E: return literal("null", .null)
            case 0x74: return literal("true", .bool(true))
            case 0x66: return literal("false", .bool(false))
            case 0x22: return string().map(SandboxJSON.string)
            case 0x5B:
                index += 1
                var items: [SandboxJSON] = []
                skipSpace()
                if index < bytes.count, bytes[index] == 0x5D { index += 1; return .array(items) }
                while true {
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == 0x2C { index += 1; continue }
                    if bytes[index] == 0x5D { index += 1; return .array(items) }
                    return nil
                }
            case 0x7B:
                index += 1
                var fields: [(String, SandboxJSON)] = []
                skipSpace()
                if index < bytes.count, bytes[index] == 0x7D { index += 1; return .object(fields) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x22, let key = string() else { return nil }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3A else { return nil }
                    index += 1
                    guard let v = value(depth: depth + 1) else { return nil }
                    fields.append((key, v))
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == 0x2C { index += 1; continue }
                    if bytes[index] == 0x7D { index += 1; return .object(fields) }
                    return nil
                }
            default:
                let start = index
                if bytes[index] == 0x2D { index += 1 }
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                guard let v = Int64(String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
                return .int(v)
            }
        }

        mutating func string() -> String? {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                if b == 0x22 { return String(validating: out, as: UTF8.self) }
                if b != 0x5C { out.append(b); continue }
                guard index < bytes.count else { return nil }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x75:
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 {
                        index += 2
                        guard let low = hex4() else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else { return nil }
            index += 4
            return v
        }
    }
}

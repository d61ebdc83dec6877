/// A JSON value whose objects keep their key order, so a payload is the same bytes every time.
/// The sandbox builds every vendor payload with it (literals read like the payload itself).
public indirect enum SandboxJSON: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByStringInterpolation
{
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([SandboxJSON])
    case object([(String, SandboxJSON)])
    /// An already serialised value (a cached user or repository object), written as is.
    case raw([UInt8])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .string(String(stringInterpolation: stringInterpolation)) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: SandboxJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, SandboxJSON)...) { self = .object(elements) }

    /// A string, or null when nil.
    public static func optional(_ text: String?) -> SandboxJSON { text.map(SandboxJSON.string) ?? .null }
    /// An integer from any integer type.
    public static func number<T: BinaryInteger>(_ value: T) -> SandboxJSON { .int(Int64(value)) }

    /// The member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> SandboxJSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// The serialised bytes (compact, keys in order, strings escaped as JSON requires).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(to: &out)
        return out
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                item.write(to: &out)
            }
            out.append(0x5D)
        case .raw(let bytes):
            out.append(contentsOf: bytes)
        case .object(let fields):
            out.append(0x7B)
            for (i, field) in fields.enumerated() {
                if i > 0 { out.append(0x2C) }
                Self.writeString(field.0, to: &out)
                out.append(0x3A)
                field.1.write(to: &out)
            }
            out.append(0x7D)
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}

/// Serialised objects reused within one response (the same user or repository appears in
/// every item of a page).
final class SandboxPayloadCache {
    private var entries: [String: SandboxJSON] = [:]

    func value(_ key: String, _ make: () -> SandboxJSON) -> SandboxJSON {
        if let hit = entries[key] { return hit }
        let made = SandboxJSON.raw(make().bytes)
        entries[key] = made
        return made
    }
}

extension SandboxJSON {
    /// The same value with `transform` applied to each object of a list payload: a bare array's
    /// elements, or the elements of the first array member of a wrapper object
    /// (`workflow_runs`, `issues`, `values`); a single object is transformed itself.
    func mapItems(_ transform: ([(String, SandboxJSON)]) -> [(String, SandboxJSON)]) -> SandboxJSON {
        switch self {
        case .array(let items):
            return .array(items.map { if case .object(let f) = $0 { return .object(transform(f)) } else { return $0 } })
        case .object(let fields):
            if let index = fields.firstIndex(where: { if case .array = $0.1 { return true } else { return false } }),
               ["workflow_runs", "issues", "values", "issueChangeLogs"].contains(fields[index].0)
            {
                var copy = fields
                copy[index].1 = fields[index].1.mapItems(transform)
                return .object(copy)
            }
            return .object(transform(fields))
        default:
            return self
        }
    }
}

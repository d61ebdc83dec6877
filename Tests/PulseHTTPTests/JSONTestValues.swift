import Foundation

/// Values for the `JSONBodyEncoder` tests: a JSON-shaped tree whose `encode(to:)` uses every
/// container call (primitive overloads, generic values, nested containers, `encodeIfPresent`),
/// and a seeded generator of random trees.
indirect enum TestValue: Encodable {
    case null
    case bool(Bool)
    case int(Int)
    case int8(Int8)
    case uint64(UInt64)
    case double(Double)
    case float(Float)
    case string(String)
    case date(Date)
    case data(Data)
    case url(URL)
    case array([TestValue])
    /// Members through a keyed container (keys converted by the key strategy).
    case object([(String, TestValue?)])
    /// A `[String: _]` dictionary (keys never converted).
    case dictionary([String: TestValue])
    case optionals([Int?])

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try element.encode(into: &container) }
        case .object(let members):
            var container = encoder.container(keyedBy: TestKey.self)
            for (key, value) in members {
                let key = TestKey(key)
                switch value {
                case nil: try container.encodeIfPresent(Int?.none, forKey: key)
                case .null?: try container.encodeNil(forKey: key)
                case .bool(let v)?: try container.encode(v, forKey: key)
                case .int(let v)?: try container.encode(v, forKey: key)
                case .int8(let v)?: try container.encode(v, forKey: key)
                case .uint64(let v)?: try container.encode(v, forKey: key)
                case .double(let v)?: try container.encode(v, forKey: key)
                case .float(let v)?: try container.encode(v, forKey: key)
                case .string(let v)?: try container.encode(v, forKey: key)
                case .date(let v)?: try container.encode(v, forKey: key)
                case .array(let v)?:
                    var nested = container.nestedUnkeyedContainer(forKey: key)
                    for element in v { try element.encode(into: &nested) }
                case let other?: try container.encode(other, forKey: key)
                }
            }
        case .dictionary(let dictionary): try dictionary.encode(to: encoder)
        case .optionals(let values): try values.encode(to: encoder)
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let v): try container.encode(v)
            case .int(let v): try container.encode(v)
            case .int8(let v): try container.encode(v)
            case .uint64(let v): try container.encode(v)
            case .double(let v): try container.encode(v)
            case .float(let v): try container.encode(v)
            case .string(let v): try container.encode(v)
            case .date(let v): try container.encode(v)
            case .data(let v): try container.encode(v)
            case .url(let v): try container.encode(v)
            default: fatalError("containers handled above")
            }
        }
    }

    private func encode(into container: inout any UnkeyedEncodingContainer) throws {
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .object(let members) where members.count < 3:
            var nested = container.nestedContainer(keyedBy: TestKey.self)
            for (key, value) in members { try nested.encodeIfPresent(value, forKey: TestKey(key)) }
        default: try container.encode(self)
        }
    }
}

struct TestKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// xorshift64*: a seeded generator so a failing case can be replayed (state must not be 0).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

enum TestValues {
    /// Scalars that stress escaping and UTF-8: controls, quote, backslash, slash, DEL,
    /// 2- 3- and 4-byte sequences, U+2028, a noncharacter.
    static let awkwardScalars: [Unicode.Scalar] = [
        "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\u{A}", "\u{B}", "\u{C}", "\u{D}", "\u{1F}", "\"", "\\", "/", "\u{7F}",
        "é", "ß", "\u{301}", "ｚ", "\u{2028}", "\u{FFFE}", "😀", "𝄞", " ", "a", "Z", "0", "_", "<",
    ]

    static func string(_ rng: inout SeededGenerator, maxLength: Int = 12) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &rng) {
            if Bool.random(using: &rng) {
                text.append(awkwardScalars.randomElement(using: &rng)!)
            } else {
                text.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
            }
        }
        return String(text)
    }

    /// Identifier-like keys in camelCase, with runs of capitals and digits.
    static func key(_ rng: inout SeededGenerator) -> String {
        let pieces = ["id", "url", "URL", "name", "Name", "userID", "x", "A", "B2", "_", "html", "HTTP", "s", "value", "ABc", "9"]
        return (0..<Int.random(in: 1...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func double(_ rng: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return edgeDoubles.randomElement(using: &rng)!
        case 1: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng)) / 100
        case 2: return Double.random(in: -1e6...1e6, using: &rng)
        default:
            while true {  // any finite bit pattern
                let value = Double(bitPattern: rng.next())
                if value.isFinite { return value }
            }
        }
    }

    static let edgeDoubles: [Double] = [
        0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1.5, 100, 1e-5, 1e-7, 1e15, 1e16, 1e17, 1e21, 1e22, 123456789.125, 9007199254740993,
        .pi, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 5e-324, 2.5e-8,
    ]

    static func float(_ rng: inout SeededGenerator) -> Float {
        if Bool.random(using: &rng) { return [Float(0), 1.1, 0.1, 3, -2.5e-3, 1e20, .greatestFiniteMagnitude, .leastNonzeroMagnitude].randomElement(using: &rng)! }
        while true {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if value.isFinite { return value }
        }
    }

    static func date(_ rng: inout SeededGenerator) -> Date {
        let edges: [Double] = [0, -0.5, 0.999_999, -62_135_596_800, -62_135_596_801, -12_212_553_600, -12_212_553_601, -12_219_292_800, 253_402_300_799, 253_402_300_800, 951_782_400, 4_107_542_400]
        if Bool.random(using: &rng) { return Date(timeIntervalSince1970: edges.randomElement(using: &rng)!) }
        return Date(timeIntervalSince1970: Double.random(in: -70_000_000_000...300_000_000_000, using: &rng).rounded(.down) + Double(Int.random(in: 0..<1000, using: &rng)) / 1000)
    }

    static func value(_ rng: inout SeededGenerator, depth: Int = 0) -> TestValue {
        let leafOnly = depth >= 4
        switch Int.random(in: 0..<(leafOnly ? 11 : 16), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &rng) >> Int.random(in: 0...63, using: &rng))
        case 3: return .int8(Int8.random(in: .min ... .max, using: &rng))
        case 4: return .uint64(UInt64.random(in: 0...UInt64.max, using: &rng))
        case 5: return .double(double(&rng))
        case 6: return .float(float(&rng))
        case 7: return .string(string(&rng))
        case 8: return .date(date(&rng))
        case 9: return .data(Data((0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        case 10: return .url(URL(string: "https://example.com/a/\(Int.random(in: 0...99, using: &rng))?q=x&y=/z")!)
        case 11, 12: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in value(&rng, depth: depth + 1) })
        case 13: return .dictionary(Dictionary((0..<Int.random(in: 0...5, using: &rng)).map { _ in (string(&rng, maxLength: 6), value(&rng, depth: depth + 1)) }, uniquingKeysWith: { a, _ in a }))
        case 14: return .optionals((0..<Int.random(in: 0...4, using: &rng)).map { _ in Bool.random(using: &rng) ? nil : Int.random(in: -9...9, using: &rng) })
        default:
            var seen = Set<String>()
            var members: [(String, TestValue?)] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let key = Bool.random(using: &rng) ? TestValues.key(&rng) : string(&rng, maxLength: 5)
                guard seen.insert(key).inserted else { continue }
                members.append((key, Int.random(in: 0..<5, using: &rng) == 0 ? nil : value(&rng, depth: depth + 1)))
            }
            return .object(members)
        }
    }
}

/// Where two encodings part, with some context, for a readable failure.
func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
    guard let index = ours.indices.first(where: { $0 >= theirs.count || ours[$0] != theirs[$0] }) ?? (ours.count == theirs.count ? nil : ours.count) else { return "same" }
    let from = max(0, index - 40)
    return "ours: …\(String(decoding: ours[from..<min(ours.count, index + 40)], as: UTF8.self))… JSONEncoder: …\(String(decoding: theirs[from..<min(theirs.count, index + 40)], as: UTF8.self))…"
}

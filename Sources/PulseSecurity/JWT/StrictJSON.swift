/// A small, strict JSON reader for JOSE headers and JWT payloads (RFC 8259), stricter than
/// Foundation's: duplicate member names are refused (RFC 7515 §5.2 allows a JWS parser to
/// reject them, and an ambiguous `alg` or `sub` is exactly what an attacker wants), nesting is
/// bounded, strings must be valid UTF-8 without raw control characters, lone surrogates are
/// refused. It is also several times faster on the verification hot path.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

package struct StrictJSON {
    private let bytes: [UInt8]
    private var i = 0
    private let maximumDepth: Int

    private static let malformed = SecurityError(.malformedToken, "token part is not valid JSON of the expected shape")

    /// Parses `bytes` as exactly one JSON object (surrounding whitespace allowed).
    package static func object(_ bytes: [UInt8], maximumDepth: Int = 16) throws(SecurityError) -> [String: JSONValue] {
        var parser = StrictJSON(bytes: bytes, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        guard parser.peek == UInt8(ascii: "{"), case let .object(members) = try parser.value(depth: 0) else { throw malformed }
        parser.skipWhitespace()
        guard parser.i == bytes.count else { throw malformed }
        return members
    }

    private init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ literal: StaticString) throws(SecurityError) {
        let n = literal.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw Self.malformed }
        let start = literal.utf8Start
        for k in 0..<n where bytes[i + k] != start[k] { throw Self.malformed }
        i += n
    }

    private mutating func value(depth: Int) throws(SecurityError) -> JSONValue {
        guard depth <= maximumDepth else { throw Self.malformed }
        skipWhitespace()
        guard let c = peek else { throw Self.malformed }
        switch c {
        case UInt8(ascii: "{"):
            i += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw Self.malformed }
                let name = try string()
                skipWhitespace()
                try expect(":")
                let v = try value(depth: depth + 1)
                guard members.updateValue(v, forKey: name) == nil else { throw Self.malformed }  // duplicate
                skipWhitespace()
                guard let next = peek else { throw Self.malformed }
                i += 1
                if next == UInt8(ascii: "}") { return .object(members) }
                guard next == UInt8(ascii: ",") else { throw Self.malformed }
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard let next = peek else { throw Self.malformed }
                i += 1
                if next == UInt8(ascii: "]") { return .array(items) }
                guard next == UInt8(ascii: ",") else { throw Self.malformed }
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            return .number(try number())
        }
    }

    /// RFC 8259 §6 number grammar, converted with Double's parser.
    private mutating func number() throws(SecurityError) -> Double {
        let start = i
        func digits(_ p: inout StrictJSON) -> Int {
            let s = p.i
            while let c = p.peek, c >= 0x30, c <= 0x39 { p.i += 1 }
            return p.i - s
        }
        if peek == UInt8(ascii: "-") { i += 1 }
        if peek == UInt8(ascii: "0") {
            i += 1
        } else if digits(&self) == 0 {
            throw Self.malformed
        }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw Self.malformed }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw Self.malformed }
        }
        guard i - start <= 64, let v = Double(String(decoding: bytes[start..<i], as: UTF8.self)), v.isFinite else {
            throw Self.malformed
        }
        return v
    }

    private mutating func string() throws(SecurityError) -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        let start = i
        var plainStart = i
        while true {
            guard let c = peek else { throw Self.malformed }
            if c == UInt8(ascii: "\"") {
                // No escape seen (the usual case): validate the slice itself, no copy.
                if out.isEmpty, plainStart == start {
                    guard let s = String(validating: bytes[plainStart..<i], as: UTF8.self) else { throw Self.malformed }
                    i += 1
                    return s
                }
                out.append(contentsOf: bytes[plainStart..<i])
                i += 1
                break
            }
            if c < 0x20 { throw Self.malformed }
            if c != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            out.append(contentsOf: bytes[plainStart..<i])
            i += 1
            guard let e = peek else { throw Self.malformed }
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    try expect("\\u")
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Self.malformed }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw Self.malformed
                }
                guard let u = Unicode.Scalar(scalar) else { throw Self.malformed }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw Self.malformed
            }
            plainStart = i
        }
        // Refuse invalid UTF-8 instead of repairing it (repairs can make two names equal).
        guard let s = String(validating: out, as: UTF8.self) else { throw Self.malformed }
        return s
    }

    private mutating func hex4() throws(SecurityError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw Self.malformed }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Self.malformed
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

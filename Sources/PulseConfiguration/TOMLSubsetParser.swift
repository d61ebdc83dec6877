/// A parser for the subset of TOML that Pulse's configuration uses: `[table]` and `[a.b]`
/// headers, bare and dotted keys, basic and literal strings, decimal integers (with `_`),
/// floats, booleans and (possibly multi-line) arrays, `#` comments.
///
/// Anything else — inline tables, arrays of tables, dates, multi-line strings, quoted keys —
/// is rejected with an error naming the line, never silently misread.
public struct TOMLSubsetParser {
    /// One `key = value` assignment, with its full dotted key and 1-based line number.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: ConfigValue
        public var line: Int
    }

    private let bytes: [UInt8]
    private let path: String
    private var index = 0
    private var line = 1

    /// Parses `text`; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> [Entry] {
        var parser = TOMLSubsetParser(bytes: Array(text.utf8), path: path)
        return try parser.document()
    }

    private init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    private mutating func document() throws(ConfigurationError) -> [Entry] {
        var entries: [Entry] = []
        var seenKeys = Set<String>()
        var seenTables = Set<String>()
        var table = ""
        while true {
            skipWhitespaceAndComments()
            guard let byte = peek() else { return entries }
            if byte == UInt8(ascii: "[") {
                index += 1
                if peek() == UInt8(ascii: "[") { throw fail("arrays of tables ([[...]]) are not supported") }
                skipSpaces()
                table = try dottedKey()
                skipSpaces()
                guard peek() == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
                index += 1
                guard seenTables.insert(table).inserted else { throw fail("table [\(table)] is defined twice") }
                try endOfLine()
                continue
            }
            let startLine = line
            let key = try dottedKey()
            let fullKey = table.isEmpty ? key : table + "." + key
            skipSpaces()
            guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' after key '\(fullKey)'") }
            index += 1
            skipSpaces()
            let value = try parseValue(key: fullKey)
            try endOfLine()
            guard seenKeys.insert(fullKey).inserted else {
                throw ConfigurationError(key: fullKey, origin: .file(path: path, line: startLine),
                                         message: "defined twice")
            }
            entries.append(Entry(key: fullKey, value: value, line: startLine))
        }
    }

    // MARK: Keys

    private mutating func dottedKey() throws(ConfigurationError) -> String {
        var parts: [String] = []
        while true {
            skipSpaces()
            let start = index
            while let b = peek(), Self.isBareKeyByte(b) { index += 1 }
            if index == start {
                if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "'") {
                    throw fail("quoted keys are not supported")
                }
                throw fail("expected a key")
            }
            parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return parts.joined(separator: ".") }
            index += 1
        }
    }

    private static func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    // MARK: Values

    private mutating func parseValue(key: String) throws(ConfigurationError) -> ConfigValue {
        guard let byte = peek() else { throw fail("missing value for '\(key)'") }
        switch byte {
        case UInt8(ascii: "\""):
            if starts(with: "\"\"\"") { throw fail("multi-line strings are not supported") }
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if starts(with: "'''") { throw fail("multi-line strings are not supported") }
            return .string(try literalString())
        case UInt8(ascii: "["):
            return try array(key: key)
        case UInt8(ascii: "{"):
            throw fail("inline tables are not supported; use a [table] header")
        default:
            let start = index
            while let b = peek(), !Self.endsScalar(b) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Self.scalar(word) else {
                throw fail("'\(word)' is not a string, number, boolean or array (strings need quotes)")
            }
            return value
        }
    }

    private static func endsScalar(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: "#")
            || b == UInt8(ascii: ",") || b == UInt8(ascii: "]")
    }

    /// Booleans, decimal integers and floats, as TOML spells them.
    static func scalar(_ word: String) -> ConfigValue? {
        if word == "true" { return .bool(true) }
        if word == "false" { return .bool(false) }
        switch word {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        // Underscores are allowed only between digits.
        let chars = Array(word)
        for (i, c) in chars.enumerated() where c == "_" {
            guard i > 0, i + 1 < chars.count, chars[i - 1].isNumber, chars[i + 1].isNumber else { return nil }
        }
        let plain = word.replacing("_", with: "")
        guard let first = plain.first, first.isNumber || first == "+" || first == "-" else { return nil }
        let digits = plain.drop(while: { $0 == "+" || $0 == "-" })
        if digits.count > 1 && digits.hasPrefix("0") && digits.allSatisfy(\.isNumber) { return nil }  // no leading zeros
        if let int = Int(plain) { return .integer(int) }
        if plain.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let double = Double(plain),
           !plain.hasSuffix("."), !plain.contains(".e"), !plain.contains(".E"), !digits.hasPrefix(".")
        {
            return .float(double)
        }
        return nil
    }

    private mutating func array(key: String) throws(ConfigurationError) -> ConfigValue {
        index += 1  // [
        var items: [ConfigValue] = []
        while true {
            skipWhitespaceAndComments()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            items.append(try parseValue(key: key))
            skipWhitespaceAndComments()
            if peek() == UInt8(ascii: ",") {
                index += 1
            } else if peek() != UInt8(ascii: "]") {
                throw fail("expected ',' or ']' in the array for '\(key)'")
            }
        }
    }

    private mutating func basicString() throws(ConfigurationError) -> String {
        index += 1
        var out: [UInt8] = []
        while let b = peek() {
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0x0A:
                throw fail("unterminated string")
            default:
                out.append(b)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func escape(into out: inout [UInt8]) throws(ConfigurationError) {
        guard let e = peek() else { throw fail("unterminated string") }
        index += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(e)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let width = e == UInt8(ascii: "u") ? 4 : 8
            guard index + width <= bytes.count,
                  let code = UInt32(String(decoding: bytes[index..<index + width], as: UTF8.self), radix: 16),
                  let scalar = Unicode.Scalar(code)
            else { throw fail("bad unicode escape in string") }
            index += width
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw fail("unknown escape '\\\(Character(Unicode.Scalar(e)))' in string")
        }
    }

    private mutating func literalString() throws(ConfigurationError) -> String {
        index += 1
        let start = index
        while let b = peek() {
            if b == UInt8(ascii: "'") {
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
            if b == 0x0A { break }
            index += 1
        }
        throw fail("unterminated string")
    }

    // MARK: Whitespace

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func starts(with text: String) -> Bool {
        bytes[index...].starts(with: text.utf8)
    }

    private mutating func skipSpaces() {
        while let b = peek(), b == 0x20 || b == 0x09 { index += 1 }
    }

    private mutating func skipComment() {
        if peek() == UInt8(ascii: "#") {
            while let b = peek(), b != 0x0A { index += 1 }
        }
    }

    private mutating func skipWhitespaceAndComments() {
        while true {
            skipSpaces()
            skipComment()
            if peek() == 0x0D { index += 1; continue }
            guard peek() == 0x0A else { return }
            index += 1
            line += 1
        }
    }

    private mutating func endOfLine() throws(ConfigurationError) {
        skipSpaces()
        skipComment()
        if peek() == 0x0D { index += 1 }
        guard let b = peek() else { return }
        guard b == 0x0A else { throw fail("unexpected text after the value") }
        index += 1
        line += 1
    }

    private func fail(_ message: String) -> ConfigurationError {
        ConfigurationError(key: nil, origin: .file(path: path, line: line), message: message)
    }
}

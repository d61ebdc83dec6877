/// Parses `.env` files in the form systemd's `EnvironmentFile=` also reads:
/// `NAME=value` lines, optional `export ` prefix, `#` comment lines, values optionally in
/// single quotes (taken literally) or double quotes (with `\"`, `\\`, `\n` escapes).
public enum EnvFileParser {
    /// One assignment with its 1-based line number.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: String
        public var line: Int
    }

    /// Parses `text`; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> [Entry] {
        var entries: [Entry] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            var line = Substring(rawLine.trimmingWhitespace())
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop(while: { $0 == " " }) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(key: nil, origin: .file(path: path, line: lineNumber),
                                         message: "expected NAME=value")
            }
            let name = String(line[..<equals]).trimmingWhitespace()
            guard isValidName(name) else {
                throw ConfigurationError(key: nil, origin: .file(path: path, line: lineNumber),
                                         message: "'\(name)' is not a valid variable name")
            }
            let rawValue = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard let value = unquote(rawValue) else {
                throw ConfigurationError(key: nil, origin: .file(path: path, line: lineNumber),
                                         message: "unterminated quote in the value of \(name)")
            }
            entries.append(Entry(name: name, value: value, line: lineNumber))
        }
        return entries
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0)
            || ("0"..."9").contains($0) }
    }

    private static func unquote(_ value: String) -> String? {
        guard let quote = value.first, quote == "\"" || quote == "'" else {
            // Unquoted: an inline comment starts at " #".
            if let hash = value.firstRange(of: " #") { return String(value[..<hash.lowerBound]).trimmingWhitespace() }
            return value
        }
        guard value.count >= 2, value.last == quote else { return nil }
        let inner = value.dropFirst().dropLast()
        if quote == "'" { return String(inner) }
        var out = ""
        var escaping = false
        for ch in inner {
            if escaping {
                switch ch {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(ch)
                }
                escaping = false
            } else if ch == "\\" {
                escaping = true
            } else {
                out.append(ch)
            }
        }
        return escaping ? nil : out
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}

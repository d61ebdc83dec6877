public import Logging

/// Turns one log event into the seed's line format:
///
///     2025-09-04T01:19:52.225555Z [info] [HTTP] Request [pulse.backend] method=GET status=200
///
/// Metadata is printed as `key=value`, sorted by key, secrets redacted; values holding spaces,
/// quotes, `=` or control characters are double-quoted with backslash escapes, so a line always
/// stays one line. ANSI colour is added only when `colorize` is true.
public struct LogLineFormatter: Sendable {
    /// Whether to add ANSI colour escapes (only for terminals).
    public var colorize: Bool
    /// The redactor applied to every metadata value.
    public var redactor: SecretRedactor

    /// Creates a formatter.
    public init(colorize: Bool = false, redactor: SecretRedactor = SecretRedactor()) {
        self.colorize = colorize
        self.redactor = redactor
    }

    /// Formats one line, without the trailing newline.
    /// - Parameters:
    ///   - metadata: Merged metadata; the `category` key is expected to be removed already.
    public func format(
        timestamp: LogTimestamp, level: Logger.Level, category: LogCategory,
        message: String, module: String, metadata: Logger.Metadata
    ) -> String {
        var line = ""
        line.reserveCapacity(96 + message.utf8.count)
        paint(timestamp.iso8601, Ansi.dim, into: &line)
        line.append(" ")
        paint("[\(level.rawValue)]", Ansi.level(level), into: &line)
        line.append(" ")
        paint("[\(category.rawValue)]", category == .error ? Ansi.red : Ansi.boldMagenta, into: &line)
        line.append(" ")
        line.append(Self.singleLine(message))
        line.append(" ")
        paint("[\(module)]", Ansi.blue, into: &line)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line.append(" ")
            paint(Self.quoted(Self.singleLine(key)), Ansi.cyan, into: &line)
            line.append("=")
            line.append(Self.quoted(render(redactor.redact(value, key: key))))
        }
        return line
    }

    private func paint(_ text: String, _ code: String, into line: inout String) {
        if colorize {
            line.append(code)
            line.append(text)
            line.append(Ansi.reset)
        } else {
            line.append(text)
        }
    }

    private func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { "\($0)=\(render(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Escapes line breaks so one event is one line.
    static func singleLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return text }
        return text.replacing("\r", with: "\\r").replacing("\n", with: "\\n")
    }

    /// Double-quotes `text` when it would otherwise break `key=value` parsing.
    static func quoted(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.utf8.contains { byte in
            byte <= 0x20 || byte == 0x22 || byte == 0x3D || byte == 0x5C || byte == 0x7F
        }
        guard needsQuotes else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out.append("\\u{\(String(scalar.value, radix: 16))}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
        return out
    }
}

/// ANSI SGR escapes used on terminals.
enum Ansi {
    static let reset = "\u{1B}[0m"
    static let dim = "\u{1B}[2m"
    static let red = "\u{1B}[31m"
    static let blue = "\u{1B}[34m"
    static let cyan = "\u{1B}[36m"
    static let boldMagenta = "\u{1B}[1;35m"

    static func level(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "\u{1B}[90m"
        case .info: return "\u{1B}[32m"
        case .notice: return "\u{1B}[36m"
        case .warning: return "\u{1B}[33m"
        case .error: return "\u{1B}[31m"
        case .critical: return "\u{1B}[1;31m"
        }
    }
}

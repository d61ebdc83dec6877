/// One configuration key: its dotted name, type, default and one-line meaning.
///
/// The same key is spelled `gateway.port` in `config/pulse.toml` (`port` under `[gateway]`) and
/// `PULSE_GATEWAY_PORT` in the environment and in `.env` files.
public struct ConfigKey: Sendable {
    /// What values a key accepts.
    public enum Kind: Sendable {
        case string
        case integer(ClosedRange<Int>)
        case float(ClosedRange<Double>)
        case bool
        /// One of the listed words.
        case choice([String])
        /// An array of strings in TOML, comma-separated in the environment.
        case stringList
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: ConfigValue
    public let summary: String

    public init(_ name: String, _ kind: Kind, default defaultValue: ConfigValue, _ summary: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// `PULSE_` followed by the upper-cased key with dots as underscores.
    public var environmentName: String {
        "PULSE_" + name.uppercased().replacing(".", with: "_")
    }

    /// A description of the accepted values for docs and errors.
    public var kindDescription: String {
        switch kind {
        case .string: return "string"
        case .integer(let r): return "integer \(r.lowerBound)...\(r.upperBound)"
        case .float(let r): return "number \(ConfigValue.float(r.lowerBound))...\(ConfigValue.float(r.upperBound))"
        case .bool: return "boolean"
        case .choice(let words): return "one of " + words.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ", ")
        case .stringList: return "list of strings"
        }
    }

    /// Checks a typed value (from TOML) against the key's kind.
    public func accept(_ value: ConfigValue, from origin: ConfigOrigin) throws(ConfigurationError) -> ConfigValue {
        switch (kind, value) {
        case (.string, .string):
            return value
        case (.integer(let range), .integer(let i)) where range.contains(i):
            return value
        case (.float(let range), .float(let d)) where range.contains(d):
            return value
        case (.float(let range), .integer(let i)) where range.contains(Double(i)):
            return .float(Double(i))
        case (.bool, .bool):
            return value
        case (.choice(let words), .string(let s)) where words.contains(s):
            return value
        case (.stringList, .array(let items)) where items.allSatisfy({ if case .string = $0 { true } else { false } }):
            return value
        default:
            throw ConfigurationError(key: name, origin: origin, message: "expected \(kindDescription), got \(value)")
        }
    }

    /// Parses environment text into a value of the key's kind.
    public func parse(_ text: String, from origin: ConfigOrigin) throws(ConfigurationError) -> ConfigValue {
        let trimmed = text.trimmingWhitespace()
        let parsed: ConfigValue?
        switch kind {
        case .string, .choice:
            parsed = .string(text)
        case .integer:
            parsed = Int(trimmed.replacing("_", with: "")).map(ConfigValue.integer)
        case .float:
            parsed = Double(trimmed).map(ConfigValue.float)
        case .bool:
            switch trimmed.lowercased() {
            case "true", "1", "yes", "on": parsed = .bool(true)
            case "false", "0", "no", "off": parsed = .bool(false)
            default: parsed = nil
            }
        case .stringList:
            parsed = .array(trimmed.isEmpty ? [] : trimmed.split(separator: ",").map { .string($0.trimmingWhitespace()) })
        }
        guard let parsed else {
            throw ConfigurationError(key: name, origin: origin, message: "expected \(kindDescription), got \"\(text)\"")
        }
        return try accept(parsed, from: origin)
    }
}

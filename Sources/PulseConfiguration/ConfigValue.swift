/// A configuration value as read from a file or the environment, after type checking.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([ConfigValue])

    /// The value as it would be written in TOML.
    public var description: String {
        switch self {
        case .string(let s): return "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        case .integer(let i): return String(i)
        case .float(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// A short name of the value's type for error messages.
    var typeName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .bool: return "a boolean"
        case .array: return "an array"
        }
    }
}

/// Where a value came from, for error messages and `pulse config`.
public enum ConfigOrigin: Sendable, Equatable, CustomStringConvertible {
    /// The built-in default.
    case defaultValue
    /// A line of a configuration file (`.toml` or `.env`).
    case file(path: String, line: Int)
    /// A process environment variable.
    case environment(name: String)
    /// A command-line option such as `--port`.
    case commandLine(option: String)

    public var description: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path, let line): return "\(path):\(line)"
        case .environment(let name): return "environment variable \(name)"
        case .commandLine(let option): return "command-line option \(option)"
        }
    }
}

/// A configuration problem, naming the key and where the bad value came from.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted key (`gateway.port`), or nil for syntax errors that name no key.
    public var key: String?
    /// Where the offending text was.
    public var origin: ConfigOrigin
    /// What is wrong, in words.
    public var message: String

    public init(key: String?, origin: ConfigOrigin, message: String) {
        self.key = key
        self.origin = origin
        self.message = message
    }

    /// `config/pulse.toml:12: gateway.port: expected an integer in 0...65535, got 70000`
    public var description: String {
        if let key { return "\(origin): \(key): \(message)" }
        return "\(origin): \(message)"
    }
}

/// Every key's effective value and where it came from, after defaults, files and environment
/// have been applied in that order. Values are already checked against their key's kind.
public struct ConfigurationSnapshot: Sendable {
    private var values: [String: (value: ConfigValue, origin: ConfigOrigin)]
    /// `PULSE_*` environment variables that name no key (probably typos); services log them.
    public internal(set) var unknownEnvironmentVariables: [String] = []

    /// A snapshot holding only the defaults.
    public init(keys: [ConfigKey] = ConfigKeys.all) {
        values = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, ($0.defaultValue, .defaultValue)) })
    }

    /// Sets `key` from typed TOML.
    mutating func set(_ key: ConfigKey, _ value: ConfigValue, origin: ConfigOrigin) throws(ConfigurationError) {
        values[key.name] = (try key.accept(value, from: origin), origin)
    }

    /// Sets `key` from text (environment, `.env` file, command line).
    public mutating func set(_ name: String, text: String, origin: ConfigOrigin) throws(ConfigurationError) {
        guard let key = ConfigKeys.byName[name] else {
            throw ConfigurationError(key: name, origin: origin, message: "unknown configuration key")
        }
        values[key.name] = (try key.parse(text, from: origin), origin)
    }

    /// The effective value of `key`.
    public func value(_ key: String) -> ConfigValue {
        guard let entry = values[key] else { preconditionFailure("configuration key '\(key)' is not in ConfigKeys.all") }
        return entry.value
    }

    /// Where `key`'s effective value came from.
    public func origin(_ key: String) -> ConfigOrigin {
        guard let entry = values[key] else { preconditionFailure("configuration key '\(key)' is not in ConfigKeys.all") }
        return entry.origin
    }

    /// The string value of a string or choice key.
    public func string(_ key: String) -> String {
        guard case .string(let s) = value(key) else { preconditionFailure("'\(key)' is not a string key") }
        return s
    }

    /// The value of an integer key.
    public func int(_ key: String) -> Int {
        guard case .integer(let i) = value(key) else { preconditionFailure("'\(key)' is not an integer key") }
        return i
    }

    /// The value of a float key.
    public func double(_ key: String) -> Double {
        guard case .float(let d) = value(key) else { preconditionFailure("'\(key)' is not a float key") }
        return d
    }

    /// The value of a boolean key.
    public func bool(_ key: String) -> Bool {
        guard case .bool(let b) = value(key) else { preconditionFailure("'\(key)' is not a boolean key") }
        return b
    }

    /// The value of a string-list key.
    public func strings(_ key: String) -> [String] {
        guard case .array(let items) = value(key) else { preconditionFailure("'\(key)' is not a list key") }
        return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    /// Keys in catalogue order with value and origin, for `pulse config`.
    public var entries: [(key: String, value: ConfigValue, origin: ConfigOrigin)] {
        ConfigKeys.all.compactMap { key in values[key.name].map { (key.name, $0.value, $0.origin) } }
    }
}

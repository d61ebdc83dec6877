import ArgumentParser
import PulseCore

/// `pulse config`: the effective configuration, each key with its value and where it came from.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the effective configuration and where each value came from.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let platform = try Platform(options: options)
        for entry in platform.snapshot.entries {
            print("\(entry.key) = \(Self.shown(key: entry.key, value: entry.value))    # \(entry.origin)")
        }
        for name in platform.snapshot.unknownEnvironmentVariables {
            print("# warning: \(name) is set but is not a Pulse setting")
        }
    }

    /// Secrets are never printed: keys marked secret show only whether they are set, and
    /// database URLs lose their passwords.
    static func shown(key: String, value: ConfigValue) -> String {
        if ConfigKeys.secretKeys.contains(key) { return value == .string("") ? "\"\"" : "<redacted>" }
        if key.hasPrefix("database."), key.hasSuffix("_url"), case .string(let url) = value, !url.isEmpty {
            return "\"\(ConnectionString.redacted(url))\""
        }
        return "\(value)"
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Builds a ``ConfigurationSnapshot``: defaults < configuration files (in the order given) <
/// environment variables. Unknown keys in files are errors; unknown `PULSE_*` environment
/// variables are reported in ``ConfigurationSnapshot/unknownEnvironmentVariables``.
public enum ConfigurationLoader {
    /// The files read when none are named: `config/pulse.toml` and `config/pulse.env`, each if present.
    public static let defaultFiles = ["config/pulse.toml", "config/pulse.env"]

    /// Which files to read: `explicit` (from `--config`) if given, else `PULSE_CONFIG`
    /// (comma-separated), else the ``defaultFiles`` that exist. Named files must exist.
    public static func files(explicit: [String] = [], environment: [String: String]) -> (paths: [String], required: Bool) {
        if !explicit.isEmpty { return (explicit, true) }
        if let named = environment["PULSE_CONFIG"], !named.isEmpty {
            return (named.split(separator: ",").map { $0.trimmingWhitespace() }, true)
        }
        return (defaultFiles.filter { access($0, F_OK) == 0 }, false)
    }

    /// Loads the configuration.
    /// - Parameters:
    ///   - files: `.toml` or `.env` files, later ones overriding earlier ones.
    ///   - environment: Usually the process environment.
    /// - Throws: ``ConfigurationError`` naming the key and file:line (or variable) of a bad value.
    public static func load(files: [String], environment: [String: String]) throws(ConfigurationError) -> ConfigurationSnapshot {
        var snapshot = ConfigurationSnapshot()
        for path in files {
            let text = try readFile(path)
            if path.hasSuffix(".env") {
                try apply(envFile: EnvFileParser.parse(text, path: path), path: path, to: &snapshot)
            } else {
                try apply(toml: TOMLSubsetParser.parse(text, path: path), path: path, to: &snapshot)
            }
        }
        for name in environment.keys.sorted() where name.hasPrefix("PULSE_") {
            guard let key = ConfigKeys.byEnvironmentName[name] else {
                if !ConfigKeys.controlVariables.contains(name) { snapshot.unknownEnvironmentVariables.append(name) }
                continue
            }
            try snapshot.set(key.name, text: environment[name]!, origin: .environment(name: name))
        }
        return snapshot
    }

    /// Loads using ``files(explicit:environment:)``.
    public static func load(explicit: [String] = [], environment: [String: String]) throws(ConfigurationError) -> ConfigurationSnapshot {
        try load(files: files(explicit: explicit, environment: environment).paths, environment: environment)
    }

    private static func apply(toml entries: [TOMLSubsetParser.Entry], path: String, to snapshot: inout ConfigurationSnapshot) throws(ConfigurationError) {
        for entry in entries {
            let origin = ConfigOrigin.file(path: path, line: entry.line)
            guard let key = ConfigKeys.byName[entry.key] else {
                throw ConfigurationError(key: entry.key, origin: origin, message: "unknown configuration key")
            }
            try snapshot.set(key, entry.value, origin: origin)
        }
    }

    private static func apply(envFile entries: [EnvFileParser.Entry], path: String, to snapshot: inout ConfigurationSnapshot) throws(ConfigurationError) {
        for entry in entries where entry.name.hasPrefix("PULSE_") && !ConfigKeys.controlVariables.contains(entry.name) {
            let origin = ConfigOrigin.file(path: path, line: entry.line)
            guard let key = ConfigKeys.byEnvironmentName[entry.name] else {
                throw ConfigurationError(key: nil, origin: origin, message: "\(entry.name) is not a Pulse setting")
            }
            try snapshot.set(key.name, text: entry.value, origin: origin)
        }
    }

    /// Reads a whole file as UTF-8 with plain POSIX calls (no Foundation in this module).
    static func readFile(_ path: String) throws(ConfigurationError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ConfigurationError(key: nil, origin: .file(path: path, line: 0), message: "cannot open: \(reason)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw ConfigurationError(key: nil, origin: .file(path: path, line: 0),
                                         message: "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            guard bytes.count <= 1 << 20 else {
                throw ConfigurationError(key: nil, origin: .file(path: path, line: 0), message: "larger than 1 MiB")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(key: nil, origin: .file(path: path, line: 0), message: "not valid UTF-8")
        }
        return text
    }
}

public import Logging

/// The swift-log handler that writes Pulse's line format (see ``LogLineFormatter``).
///
/// Install it once per process with ``PulseLogging/bootstrap(_:)``; libraries receive a `Logger`
/// and never build one. Tests create handlers directly with an output of their own.
public struct PulseLogHandler: LogHandler {
    /// The logger label, printed as `[module]`.
    public let label: String
    /// The category for lines whose metadata names none (errors fall back to `ERROR`).
    public var defaultCategory: LogCategory
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let output: LogOutput
    private let formatter: LogLineFormatter
    private let clock: @Sendable () -> LogTimestamp

    /// Creates a handler.
    /// - Parameters:
    ///   - clock: Injected for tests; defaults to the wall clock.
    public init(
        label: String, output: LogOutput, level: Logger.Level = .info,
        defaultCategory: LogCategory = .etl, redactor: SecretRedactor = SecretRedactor(),
        metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) {
        self.label = label
        self.output = output
        self.logLevel = level
        self.defaultCategory = defaultCategory
        self.metadataProvider = metadataProvider
        self.formatter = LogLineFormatter(colorize: output.colorize, redactor: redactor)
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        let category = Self.category(from: merged.removeValue(forKey: LogCategory.metadataKey),
                                     level: event.level, fallback: defaultCategory)
        let line = formatter.format(
            timestamp: clock(), level: event.level, category: category,
            message: event.message.description, module: label, metadata: merged)
        output.write(line: line)
        if let files = output.clientFiles, let client = merged[LogMetadataKey.client] {
            // Client files never carry colour, whatever the terminal does.
            let plain = output.colorize
                ? LogLineFormatter(colorize: false, redactor: formatter.redactor).format(
                    timestamp: clock(), level: event.level, category: category,
                    message: event.message.description, module: label, metadata: merged)
                : line
            files.write(line: plain, client: "\(client)")
        }
    }

    static func category(from value: Logger.MetadataValue?, level: Logger.Level, fallback: LogCategory) -> LogCategory {
        if let value, let named = LogCategory(rawValue: "\(value)".uppercased()) { return named }
        return level >= .error ? .error : fallback
    }
}

/// Process-wide installation of ``PulseLogHandler``.
public enum PulseLogging {
    /// Settings for the process's handlers.
    public struct Options: Sendable {
        public var level: Logger.Level
        public var color: LogOutput.ColorMode
        public var defaultCategory: LogCategory
        /// Folder for per-client log files, or nil to write none.
        public var clientLogDirectory: String?

        public init(
            level: Logger.Level = .info, color: LogOutput.ColorMode = .auto,
            defaultCategory: LogCategory = .etl, clientLogDirectory: String? = nil
        ) {
            self.level = level
            self.color = color
            self.defaultCategory = defaultCategory
            self.clientLogDirectory = clientLogDirectory
        }
    }

    /// Bootstraps swift-log with Pulse handlers writing to stdout. Call once, from `main`.
    public static func bootstrap(_ options: Options, environment: [String: String] = [:]) {
        let output = LogOutput(
            descriptor: 1, color: options.color, clientDirectory: options.clientLogDirectory,
            environment: environment)
        LoggingSystem.bootstrap { label in
            PulseLogHandler(label: label, output: output, level: options.level,
                            defaultCategory: options.defaultCategory)
        }
    }
}

public import Logging

/// The seed's log categories. Every line carries exactly one, printed as `[HTTP]`, `[WS]`, ….
///
/// A log call picks its category through metadata (`LogCategory.metadataKey`); lines without one
/// get the handler's default, except errors, which fall back to `[ERROR]`.
public enum LogCategory: String, Sendable, CaseIterable {
    case http = "HTTP"
    case ws = "WS"
    case auth = "AUTH"
    case jira = "JIRA"
    case github = "GITHUB"
    case orch = "ORCH"
    case etl = "ETL"
    case sched = "SCHED"
    case color = "COLOR"
    case bulk = "BULK"
    case error = "ERROR"
    case test = "TEST"

    /// The metadata key that carries the category. It is consumed by the handler, not printed as `key=value`.
    public static let metadataKey = "category"

    /// The metadata value to attach: `logger.info("Request", metadata: LogCategory.http.metadata)`.
    public var metadata: Logger.Metadata { [Self.metadataKey: .string(rawValue)] }
}

/// Well-known metadata keys shared by the handler and its callers.
public enum LogMetadataKey {
    /// The tenant a line belongs to; when client log files are on, the line is also appended to
    /// `<directory>/<client>.log`.
    public static let client = "client"
}

extension Logger {
    /// A copy of this logger whose lines carry `category` unless a call overrides it.
    public func with(category: LogCategory) -> Logger {
        var copy = self
        copy[metadataKey: LogCategory.metadataKey] = .string(category.rawValue)
        return copy
    }
}

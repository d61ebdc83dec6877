import Foundation

/// The one error type of the data layer.
///
/// `description` carries SQLSTATE, message and detail for logs. Clients only ever see
/// `publicCode` and `httpStatus` (problem+json): never SQL, detail or server text.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Stable category of the failure.
    public enum Code: String, Sendable {
        /// Server, pool or replica unreachable; pool wait timed out. Retry later (503).
        case unavailable
        /// Waiting for a pooled connection took longer than the configured timeout (503).
        case poolTimeout
        /// The connection string could not be parsed.
        case invalidConfiguration
        /// The server rejected the statement (see `sqlState`).
        case server
        /// The statement was cancelled (task cancellation or statement timeout).
        case cancelled
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The caller passed something that cannot be sent (e.g. invalid identifier).
        case invalidArgument
        /// The connection broke while a statement was in flight.
        case connectionLost
        /// A protocol state we did not expect from libpq.
        case protocolViolation
    }

    public var code: Code
    /// Five-character SQLSTATE when the server reported one.
    public var sqlState: String?
    /// Primary message (server or local). Logged, never sent to clients.
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character offset into the statement where the server located the error.
    public var position: Int?
    public var constraint: String?

    public init(
        _ code: Code, message: String, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, position: Int? = nil, constraint: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.position = position
        self.constraint = constraint
    }

    public var description: String {
        var parts = ["PostgresError(\(code.rawValue))"]
        if let sqlState { parts.append("sqlstate=\(sqlState)") }
        parts.append("message=\(message)")
        if let detail { parts.append("detail=\(detail)") }
        if let hint { parts.append("hint=\(hint)") }
        if let constraint { parts.append("constraint=\(constraint)") }
        return parts.joined(separator: " ")
    }

    /// A stable, client-safe error code for problem+json bodies.
    public var publicCode: String {
        switch code {
        case .unavailable, .connectionLost: return "database_unavailable"
        case .poolTimeout: return "database_busy"
        case .cancelled: return "query_cancelled"
        case .invalidConfiguration: return "database_misconfigured"
        case .decoding, .protocolViolation: return "database_error"
        case .invalidArgument: return "invalid_input"
        case .server:
            switch sqlState ?? "" {
            case "23505": return "conflict"
            case "23503": return "reference_not_found"
            case "23502", "23514", "22001", "22003", "22007", "22008", "22P02", "22021", "22023":
                return "invalid_input"
            case "40001", "40P01": return "retry_transaction"
            case "42501": return "forbidden"
            case let s where s.hasPrefix("08") || s.hasPrefix("57P"): return "database_unavailable"
            default: return "database_error"
            }
        }
    }

    /// HTTP status a service should answer with when this error reaches a handler.
    public var httpStatus: Int {
        switch publicCode {
        case "database_unavailable", "database_busy": return 503
        case "conflict", "retry_transaction": return 409
        case "reference_not_found", "invalid_input": return 400
        case "forbidden": return 403
        case "query_cancelled": return 503
        default: return 500
        }
    }

    /// True when the connection that produced this error must not be reused.
    /// A statement waited on an event loop that stopped (its server shut down).
    static let loopStopped = PostgresError(.connectionLost, message: "the event loop running the statement stopped")

    package var isConnectionFatal: Bool {
        code == .connectionLost || code == .unavailable || (sqlState?.hasPrefix("08") ?? false)
            || (sqlState?.hasPrefix("57P") ?? false)
    }
}

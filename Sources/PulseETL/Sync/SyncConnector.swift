import PulsePostgres

/// One vendor's sync of one integration (GitHub, Jira): a plain type over `HTTPClient` that
/// the job runner drives. A connector reads pages from the vendor and hands each page's
/// writes to ``SyncContext/commitPage(checkpoint:items:_:)``, which stores the rows and the
/// resume point in one transaction: a run killed at any moment resumes from the last
/// committed page with no duplicate and no gap.
public protocol SyncConnector: Sendable {
    /// Runs a sync from `context.checkpoint` (empty: from the start) to the end. Throws
    /// ``SyncInterruption`` when the runner asked it to pause or cancel (from `commitPage`),
    /// ``SyncError`` for a failure the job records.
    func run(_ context: SyncContext) async throws
}

/// What kind of sync a job asked for.
public enum SyncMode: String, Sendable, Codable, CaseIterable {
    /// Everything the integration can see, from the beginning.
    case full
    /// Only what changed since the integration's watermarks (with an overlap).
    case incremental
}

/// The integration a connector syncs, as stored (credentials already opened).
public struct SyncIntegration: Sendable {
    public var id: Int
    public var clientID: Int
    public var provider: String
    public var name: String
    public var baseURL: String
    /// The integration's `settings` object as JSON text (e.g. `{"organization": "acme-pay"}`).
    public var settingsJSON: String
    /// The opened credentials as JSON text (e.g. `{"token": "..."}`); never logged.
    public var credentialsJSON: String

    public init(id: Int, clientID: Int, provider: String, name: String, baseURL: String,
                settingsJSON: String, credentialsJSON: String) {
        self.id = id
        self.clientID = clientID
        self.provider = provider
        self.name = name
        self.baseURL = baseURL
        self.settingsJSON = settingsJSON
        self.credentialsJSON = credentialsJSON
    }
}

/// Where a connector reports what it is doing; the runner turns it into `/ws/jobs` frames.
public struct SyncProgressEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A new phase began (e.g. "pull requests of acme/api").
        case phase(String, totalItems: Int?)
        /// Waiting for a rate-limit reset or a `Retry-After`.
        case rateLimitWait(seconds: Double, reason: String)
        /// A request will be retried (5xx, timeout, bad page).
        case retry(attempt: Int, reason: String)
        /// An item was skipped because the vendor sent something unusable.
        case skippedItem(reason: String)
    }
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }
}

/// The runner's side of a sync: the integration, the resume point, page commits and
/// progress. Built by the job runner; tests build one over a database directly.
public struct SyncContext: Sendable {
    public var integration: SyncIntegration
    public var mode: SyncMode
    /// The checkpoint the last committed page stored (JSON object text; `{}` at the start).
    public var checkpoint: String
    /// The tenant scope all writes go through (RLS applies).
    public var database: ClientScope

    private let commit: @Sendable (_ checkpoint: String, _ items: Int, _ body: @Sendable (PostgresTransaction) async throws -> Void) async throws -> Void
    private let report: @Sendable (SyncProgressEvent) -> Void

    /// - Parameters:
    ///   - commit: runs `body` and stores `checkpoint` (and `items` more processed) in one
    ///     transaction; throws ``SyncInterruption`` after committing when the job was paused
    ///     or cancelled meanwhile.
    ///   - report: receives progress events (must not block).
    public init(integration: SyncIntegration, mode: SyncMode, checkpoint: String, database: ClientScope,
                commit: @escaping @Sendable (_ checkpoint: String, _ items: Int, _ body: @Sendable (PostgresTransaction) async throws -> Void) async throws -> Void,
                report: @escaping @Sendable (SyncProgressEvent) -> Void) {
        self.integration = integration
        self.mode = mode
        self.checkpoint = checkpoint
        self.database = database
        self.commit = commit
        self.report = report
    }

    /// Stores one page: `body`'s writes and the new `checkpoint` commit together or not at all.
    public func commitPage(checkpoint: String, items: Int, _ body: @escaping @Sendable (PostgresTransaction) async throws -> Void) async throws {
        try await commit(checkpoint, items, body)
    }

    /// Reports progress (phase, rate-limit waits, retries, skipped items).
    public func progress(_ event: SyncProgressEvent) { report(event) }
}

/// Thrown out of a sync when the runner stopped it on purpose; the job's state says why.
public enum SyncInterruption: Error, Sendable, Equatable {
    case paused
    case cancelled
}

/// A sync failure the job records in its `error`, in words an admin can act on.
public struct SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// False for errors retrying cannot fix (wrong credentials, 404 organisation, 410 API).
    public var retryable: Bool
    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.retryable = retryable
    }
    public var description: String { message }
}

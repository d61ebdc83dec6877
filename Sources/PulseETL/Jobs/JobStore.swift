import Foundation
import PulsePostgres

/// A job a worker holds the lease on: what the runner needs to resume it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: Int
    public var clientID: Int
    public var integrationID: Int?
    public var scheduleID: Int?
    public var mode: SyncMode
    /// The last committed checkpoint (`{}` for a fresh job).
    public var checkpoint: String
    public var attempt: Int
    public var maxAttempts: Int
    public var itemsProcessed: Int
    public var pagesProcessed: Int
    /// The stored progress object (JSON text), kept across a takeover.
    public var progress: String
}

/// Why a page could not be committed: the lease is no longer this worker's (it expired and
/// another instance took the job over, or the job was finished meanwhile). Nothing of the
/// page was stored.
public struct JobLeaseLost: Error, Sendable, CustomStringConvertible {
    public var jobID: Int
    public var description: String { "job \(jobID): the lease is no longer held by this worker" }
}

/// What a job ended with, as the runner records it.
public enum JobOutcome: Sendable, Equatable {
    case succeeded
    case paused
    case cancelled
    case failed(String)
    /// Queued again after `delay` (attempt + 1), the error kept as the last one.
    case retry(String, delay: Double)
}

/// The queue in `etl_job_runs`: enqueue, claim with a lease (`FOR UPDATE SKIP LOCKED`),
/// heartbeats, page commits with the checkpoint, and the end of a run. Every statement runs
/// in the job's client scope (row-level security); only
/// ``clientsWithDueWork(dedicated:)`` looks across tenants, and it returns client ids only.
public struct JobStore: Sendable {
    public let database: PostgresDatabase
    /// `etl_job_runs.job` of integration syncs.
    public static let syncJob = "sync"
    /// NOTIFY channel of progress frames (payload: `{"client_id": N, "event": "...", "job": {...}}`).
    public static let progressChannel = "pulse_job_progress"
    /// NOTIFY channel analytics and ai listen to after a finished sync.
    public static let syncFinishedChannel = "pulse_sync_finished"

    public init(database: PostgresDatabase) { self.database = database }

    static let jobColumns = "pulse_etl_job_json(etl_job_runs.*)::text"

    // MARK: Worker side

    /// Client ids with due work (queued jobs, expired leases, due schedules). `dedicated`:
    /// only that client; nil: every client without a live dedicated instance.
    public func clientsWithDueWork(dedicated: Int?) async throws -> [Int] {
        let rows = try await database.query("SELECT client_id FROM pulse_etl_clients_with_due_work($1)", [dedicated])
        return try rows.map { try $0.decode(Int.self, at: 0) }
    }

    /// Takes the oldest due job of `clientID` (or one whose lease expired) for `owner`, or nil.
    /// Jobs of an integration that already has a running job wait for it.
    public func claim(clientID: Int, owner: String, leaseSeconds: Double) async throws -> ClaimedJob? {
        let sql = """
            WITH candidate AS (
                SELECT q.id FROM etl_job_runs q
                WHERE ((q.status = 'queued' AND COALESCE(q.next_attempt_at, q.scheduled_at) <= now())
                       OR (q.status = 'running' AND q.lease_expires_at < now()))
                  AND NOT EXISTS (SELECT 1 FROM etl_job_runs o
                                  WHERE o.status = 'running' AND o.id <> q.id AND o.job = q.job
                                    AND COALESCE(o.integration_id, 0) = COALESCE(q.integration_id, 0))
                ORDER BY COALESCE(q.next_attempt_at, q.scheduled_at), q.id
                LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE etl_job_runs r SET status = 'running', lease_owner = $1,
                lease_expires_at = now() + make_interval(secs => $2), heartbeat_at = now(),
                started_at = COALESCE(r.started_at, now()), next_attempt_at = NULL
            FROM candidate WHERE r.id = candidate.id
            RETURNING r.id, r.integration_id, r.job_schedule_id, r.mode, r.checkpoint::text, r.attempt, r.max_attempts,
                      r.items_processed, r.pages_processed, r.progress::text
            """
        do {
            let rows = try await database.query(sql, [owner, leaseSeconds], clientID: clientID)
            guard let row = rows.first else { return nil }
            return ClaimedJob(
                id: try row.decode(Int.self, at: 0), clientID: clientID, integrationID: try row.decode(Int?.self, at: 1),
                scheduleID: try row.decode(Int?.self, at: 2), mode: SyncMode(rawValue: try row.decode(String.self, at: 3)) ?? .full,
                checkpoint: try row.decode(String.self, at: 4), attempt: try row.decode(Int.self, at: 5),
                maxAttempts: try row.decode(Int.self, at: 6), itemsProcessed: try row.decode(Int.self, at: 7),
                pagesProcessed: try row.decode(Int.self, at: 8), progress: try row.decode(String.self, at: 9))
        } catch let error as PostgresError where error.sqlState == "23505" {
            return nil  // another worker started a sibling job of the same integration meanwhile
        }
    }

    /// What a heartbeat learned.
    public enum Heartbeat: Sendable, Equatable {
        case held(requestedAction: String?)
        case lost
    }

    /// Extends the lease; tells whether pause/cancel was requested, or that the lease is gone.
    public func heartbeat(_ job: ClaimedJob, owner: String, leaseSeconds: Double) async throws -> Heartbeat {
        let rows = try await database.query(
            """
            UPDATE etl_job_runs SET lease_expires_at = now() + make_interval(secs => $3), heartbeat_at = now()
            WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING requested_action
            """, [job.id, owner, leaseSeconds], clientID: job.clientID)
        guard let row = rows.first else { return .lost }
        return .held(requestedAction: try row.decode(String?.self, at: 0))
    }

    /// Stores one page: `body`'s writes, the checkpoint, the counters and the progress in one
    /// transaction, after checking (under the row lock) that the lease is still `owner`'s.
    /// Returns the pause/cancel request the job carries, if any, and the job's JSON.
    public func commitPage(
        _ job: ClaimedJob, owner: String, leaseSeconds: Double, checkpoint: String, items: Int, progress: String,
        _ body: @Sendable (PostgresTransaction) async throws -> Void
    ) async throws -> (requestedAction: String?, json: String) {
        try await database.write(clientID: job.clientID) { tx in
            let held = try await tx.query(
                "SELECT 1 FROM etl_job_runs WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR UPDATE", job.id, owner)
            guard held.count == 1 else { throw JobLeaseLost(jobID: job.id) }
            try await body(tx)
            let rows = try await tx.query(
                """
                UPDATE etl_job_runs SET checkpoint = $3::jsonb, items_processed = items_processed + $4,
                    pages_processed = pages_processed + 1, progress = $5::jsonb,
                    lease_expires_at = now() + make_interval(secs => $6), heartbeat_at = now()
                WHERE id = $1 AND lease_owner = $2 RETURNING requested_action, \(Self.jobColumns)
                """, job.id, owner, checkpoint, items, progress, leaseSeconds)
            let json = try rows[0].decode(String.self, at: 1)
            try await Self.notifyProgress(tx, clientID: job.clientID, event: "page", json: json)
            return (try rows[0].decode(String?.self, at: 0), json)
        }
    }

    /// Stores the progress object between pages (rate-limit waits, retries, skipped items).
    @discardableResult
    public func updateProgress(_ job: ClaimedJob, owner: String, progress: String, event: String) async throws -> Bool {
        try await database.write(clientID: job.clientID) { tx in
            let rows = try await tx.query(
                "UPDATE etl_job_runs SET progress = $3::jsonb WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING \(Self.jobColumns)",
                job.id, owner, progress)
            guard let row = rows.first else { return false }
            try await Self.notifyProgress(tx, clientID: job.clientID, event: event, json: try row.decode(String.self, at: 0))
            return true
        }
    }

    /// Ends the run held by `owner`: records the outcome, releases the lease, notifies
    /// progress subscribers and, when the job finished (succeeded, failed, cancelled), sends
    /// `pulse_sync_finished`. Returns the job's JSON, or nil when the lease was lost.
    @discardableResult
    public func finish(_ job: ClaimedJob, owner: String, outcome: JobOutcome, progress: String, provider: String) async throws -> String? {
        let (assignments, error, event): (String, String?, String) = switch outcome {
        case .succeeded: ("status = 'succeeded', finished_at = now()", nil, "succeeded")
        case .paused: ("status = 'paused'", nil, "paused")
        case .cancelled: ("status = 'cancelled', finished_at = now()", nil, "cancelled")
        case .failed(let message): ("status = 'failed', finished_at = now()", message, "failed")
        case .retry(let message, let delay):
            ("status = 'queued', attempt = attempt + 1, next_attempt_at = now() + make_interval(secs => \(max(0, delay)))",
             message, "retry_scheduled")
        }
        return try await database.write(clientID: job.clientID) { tx in
            let rows = try await tx.query(
                """
                UPDATE etl_job_runs SET \(assignments), lease_owner = NULL, lease_expires_at = NULL, requested_action = NULL,
                    progress = $3::jsonb, error = $4::text
                WHERE id = $1 AND lease_owner = $2 AND status = 'running'
                RETURNING \(Self.jobColumns)
                """, job.id, owner, progress, error)
            guard let row = rows.first else { return nil }
            let json = try row.decode(String.self, at: 0)
            try await Self.notifyProgress(tx, clientID: job.clientID, event: event, json: json)
            switch outcome {
            case .succeeded, .failed, .cancelled:
                if outcome == .succeeded, let integration = job.integrationID {
                    try await tx.query("UPDATE integrations SET last_sync_at = now() WHERE id = $1", integration)
                }
                if let schedule = job.scheduleID {
                    try await tx.query("UPDATE job_schedules SET last_run_at = now(), last_error = $2 WHERE id = $1", schedule, error)
                }
                try await Self.notifySyncFinished(tx, clientID: job.clientID, integrationID: job.integrationID, jobID: job.id,
                                                  provider: provider, status: event)
            case .paused, .retry: break
            }
            return json
        }
    }

    static func notifyProgress(_ tx: PostgresTransaction, clientID: Int, event: String, json: String) async throws {
        try await tx.query("SELECT pg_notify($1, $2)", progressChannel, #"{"client_id":\#(clientID),"event":"\#(event)","job":\#(json)}"#)
    }

    /// `NOTIFY pulse_sync_finished` with the contract's payload (plus the final `status`).
    public static func notifySyncFinished(_ tx: PostgresTransaction, clientID: Int, integrationID: Int?, jobID: Int, provider: String,
                                          status: String) async throws {
        let payload = #"{"client_id":\#(clientID),"integration_id":\#(integrationID.map(String.init) ?? "null"),"job_id":\#(jobID),"provider":"\#(provider)","status":"\#(status)"}"#
        try await tx.query("SELECT pg_notify($1, $2)", syncFinishedChannel, payload)
    }
}

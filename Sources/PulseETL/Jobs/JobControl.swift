import Foundation
import PulseHTTP
import PulsePostgres

/// The API side of the queue (`/etl/jobs`): enqueue, read, list, pause, resume, cancel, all
/// in the caller's client scope (another client's job is simply not found).
public struct JobControl: Sendable {
    public let database: PostgresDatabase

    public init(database: PostgresDatabase) { self.database = database }

    /// Providers whose integrations have something to sync.
    public static let syncProviders: Set<String> = ["github", "jira", "custom"]

    /// Queues a sync of `integrationID`; the job's JSON. 422 problem naming `integration_id`
    /// when the client has no such integration or it cannot be synced.
    public func enqueue(clientID: Int, integrationID: Int, mode: SyncMode, scheduleID: Int? = nil) async throws -> String {
        try await database.write(clientID: clientID) { tx in
            try await Self.enqueue(tx, clientID: clientID, integrationID: integrationID, mode: mode, scheduleID: scheduleID)
        }
    }

    static func enqueue(_ tx: PostgresTransaction, clientID: Int, integrationID: Int, mode: SyncMode, scheduleID: Int?) async throws -> String {
        let found = try await tx.query("SELECT provider, active FROM integrations WHERE id = $1", integrationID)
        guard let row = found.first else {
            throw HTTPError(.unprocessableContent, detail: "integration_id: no integration \(integrationID) in this client")
        }
        let provider = try row.decode(String.self, at: 0)
        guard Self.syncProviders.contains(provider) else {
            throw HTTPError(.unprocessableContent,
                            detail: "integration_id: integration \(integrationID) is a \(provider) integration; it has nothing to sync (push to /etl/webhooks instead)")
        }
        guard try row.decode(Bool.self, at: 1) else {
            throw HTTPError(.unprocessableContent, detail: "integration_id: integration \(integrationID) is inactive")
        }
        let rows = try await tx.query(
            """
            INSERT INTO etl_job_runs (client_id, integration_id, job_schedule_id, job, mode)
            VALUES ($1, $2, $3, '\(JobStore.syncJob)', $4) RETURNING \(JobStore.jobColumns)
            """, clientID, integrationID, scheduleID, mode.rawValue)
        let json = try rows[0].decode(String.self, at: 0)
        try await JobStore.notifyProgress(tx, clientID: clientID, event: "queued", json: json)
        return json
    }

    /// The job's JSON, nil when this client has no such job.
    public func job(clientID: Int, id: Int) async throws -> String? {
        let rows = try await database.query("SELECT \(JobStore.jobColumns) FROM etl_job_runs WHERE id = $1", [id], clientID: clientID)
        return try rows.first?.decode(String.self, at: 0)
    }

    /// Jobs newest first; `cursor` is the last id of the previous page.
    public func list(clientID: Int, status: String?, integrationID: Int?, limit: Int, cursor: Int?) async throws -> (items: [String], next: Int?) {
        let rows = try await database.query(
            """
            SELECT id, \(JobStore.jobColumns) FROM etl_job_runs
            WHERE ($1::text IS NULL OR status = $1) AND ($2::int IS NULL OR integration_id = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """, [status, integrationID, cursor, limit + 1], clientID: clientID)
        var items: [String] = []
        var lastID: Int?
        for row in rows.prefix(limit) {
            lastID = try row.decode(Int.self, at: 0)
            items.append(try row.decode(String.self, at: 1))
        }
        return (items, rows.count > limit ? lastID : nil)
    }

    /// The jobs a `/ws/jobs` subscriber sees first: queued, running and paused ones.
    public func activeJobs(clientID: Int) async throws -> [String] {
        let rows = try await database.query(
            "SELECT \(JobStore.jobColumns) FROM etl_job_runs WHERE status IN ('queued', 'running', 'paused') ORDER BY id",
            [], clientID: clientID)
        return try rows.map { try $0.decode(String.self, at: 0) }
    }

    public enum Action: String, Sendable { case pause, resume, cancel }

    /// Applies `action`: queued jobs pause or cancel at once, running ones at their next page
    /// (or heartbeat), paused ones resume from their checkpoint. 404 for an unknown job, 409
    /// problem when the job's status does not allow the action.
    public func apply(_ action: Action, clientID: Int, id: Int) async throws -> String {
        let update: String = switch action {
        case .pause:
            """
            UPDATE etl_job_runs SET status = CASE WHEN status = 'queued' THEN 'paused' ELSE status END,
                requested_action = CASE WHEN status = 'running' THEN 'pause' ELSE NULL END
            WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND requested_action IS DISTINCT FROM 'cancel'))
            """
        case .resume:
            """
            UPDATE etl_job_runs SET status = CASE WHEN status = 'paused' THEN 'queued' ELSE status END,
                scheduled_at = CASE WHEN status = 'paused' THEN now() ELSE scheduled_at END, next_attempt_at = NULL,
                requested_action = NULL
            WHERE id = $1 AND (status = 'paused' OR (status = 'running' AND requested_action = 'pause'))
            """
        case .cancel:
            """
            UPDATE etl_job_runs SET status = CASE WHEN status = 'running' THEN status ELSE 'cancelled' END,
                finished_at = CASE WHEN status = 'running' THEN NULL ELSE now() END,
                requested_action = CASE WHEN status = 'running' THEN 'cancel' ELSE NULL END
            WHERE id = $1 AND status IN ('queued', 'paused', 'running')
            """
        }
        return try await database.write(clientID: clientID) { tx in
            let rows = try await tx.query(update + " RETURNING \(JobStore.jobColumns), status, integration_id", id)
            guard let row = rows.first else {
                let existing = try await tx.query("SELECT status FROM etl_job_runs WHERE id = $1", id)
                guard let status = try existing.first?.decode(String.self, at: 0) else {
                    throw HTTPError(.notFound, detail: "no job \(id)")
                }
                throw HTTPError(.conflict, detail: "job \(id) is \(status); it cannot be \(action.past)")
            }
            let json = try row.decode(String.self, at: 0)
            try await JobStore.notifyProgress(tx, clientID: clientID, event: "\(action.rawValue)_requested", json: json)
            if action == .cancel, try row.decode(String.self, at: 1) == "cancelled" {
                try await JobStore.notifySyncFinished(tx, clientID: clientID, integrationID: try row.decode(Int?.self, at: 2), jobID: id,
                                                      provider: try await Self.provider(tx, row.decode(Int?.self, at: 2)), status: "cancelled")
            }
            return json
        }
    }

    static func provider(_ tx: PostgresTransaction, _ integrationID: Int?) async throws -> String {
        guard let integrationID else { return "push" }
        return try await tx.query("SELECT provider FROM integrations WHERE id = $1", integrationID).first?.decode(String.self, at: 0) ?? "push"
    }
}

extension JobControl.Action {
    var past: String {
        switch self {
        case .pause: "paused"
        case .resume: "resumed"
        case .cancel: "cancelled"
        }
    }
}

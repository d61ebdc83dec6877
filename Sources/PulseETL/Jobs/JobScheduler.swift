import Foundation
import Logging
import PulseHTTP
import PulsePostgres

/// Schedules in `job_schedules` (one cron per integration sync): CRUD for `/etl/schedules`
/// and the tick that enqueues due ones. A due schedule is locked (`FOR UPDATE SKIP LOCKED`),
/// its job inserted and its `next_run_at` moved in one transaction, so with several
/// instances each due time enqueues exactly one job.
public struct JobScheduler: Sendable {
    public let database: PostgresDatabase
    let logger: Logger

    public init(database: PostgresDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let columns = """
        json_build_object('id', id, 'integration_id', integration_id, 'cron', cron, 'mode', mode, 'status', status,
            'next_run_at', pulse_etl_time(next_run_at), 'last_run_at', pulse_etl_time(last_run_at), 'last_error', last_error,
            'created_at', pulse_etl_time(created_at), 'updated_at', pulse_etl_time(updated_at))::text
        """

    /// Enqueues the due schedules of `clientID`; returns how many jobs it queued. A schedule
    /// whose previous job is still queued or running does not queue a second one.
    @discardableResult
    public func enqueueDue(clientID: Int, now: Date = Date()) async throws -> Int {
        try await database.write(clientID: clientID) { tx in
            let due = try await tx.query(
                """
                SELECT id, integration_id, cron, mode FROM job_schedules
                WHERE status = 'active' AND next_run_at <= now() ORDER BY next_run_at FOR UPDATE SKIP LOCKED
                """)
            var queued = 0
            for row in due {
                let id = try row.decode(Int.self, at: 0)
                let cronText = try row.decode(String.self, at: 2)
                let next = (try? CronExpression(cronText))?.next(after: now)
                var error: String?
                if let integrationID = try row.decode(Int?.self, at: 1) {
                    let busy = try await tx.query(
                        "SELECT 1 FROM etl_job_runs WHERE job_schedule_id = $1 AND status IN ('queued', 'running') LIMIT 1", id)
                    if busy.count == 0 {
                        do {
                            try await tx.savepoint { sp in
                                _ = try await JobControl.enqueue(sp, clientID: clientID, integrationID: integrationID,
                                                                 mode: SyncMode(rawValue: try row.decode(String.self, at: 3)) ?? .incremental,
                                                                 scheduleID: id)
                            }
                            queued += 1
                        } catch let problem as HTTPError {
                            error = problem.detail
                        }
                    }
                } else {
                    error = "the schedule names no integration"
                }
                try await tx.query(
                    "UPDATE job_schedules SET next_run_at = $2, status = CASE WHEN $2::timestamptz IS NULL THEN 'disabled' ELSE status END, last_error = COALESCE($3, last_error) WHERE id = $1",
                    id, next, error)
            }
            if queued > 0 { logger.info("Scheduled jobs queued", metadata: ["client_id": "\(clientID)", "jobs": "\(queued)"]) }
            return queued
        }
    }

    /// A schedule as the API takes it (`integration_id`, `cron`, `mode`, `status`; the
    /// request decoder maps snake_case keys).
    public struct Input: Sendable, Decodable {
        public var integrationId: Int?
        public var cron: String?
        public var mode: String?
        public var status: String?

        public init(integrationId: Int? = nil, cron: String? = nil, mode: String? = nil, status: String? = nil) {
            self.integrationId = integrationId
            self.cron = cron
            self.mode = mode
            self.status = status
        }
    }

    /// Creates (`id` nil) or updates a schedule; returns its JSON. Problems name the field.
    public func save(clientID: Int, id: Int?, input: Input, now: Date = Date()) async throws -> String {
        let cron: CronExpression?
        do { cron = try input.cron.map { text throws(CronExpression.Invalid) in try CronExpression(text) } } catch {
            throw HTTPError(.unprocessableContent, detail: "cron: \(error.field) field: \(error.message)")
        }
        if let mode = input.mode, SyncMode(rawValue: mode) == nil {
            throw HTTPError(.unprocessableContent, detail: "mode: expected \"full\" or \"incremental\", got \"\(mode)\"")
        }
        if let status = input.status, !["active", "paused", "disabled"].contains(status) {
            throw HTTPError(.unprocessableContent, detail: "status: expected \"active\", \"paused\" or \"disabled\", got \"\(status)\"")
        }
        return try await database.write(clientID: clientID) { tx in
            if let integrationID = input.integrationId {
                let found = try await tx.query("SELECT provider FROM integrations WHERE id = $1", integrationID)
                guard let provider = try found.first?.decode(String.self, at: 0) else {
                    throw HTTPError(.unprocessableContent, detail: "integration_id: no integration \(integrationID) in this client")
                }
                guard JobControl.syncProviders.contains(provider) else {
                    throw HTTPError(.unprocessableContent, detail: "integration_id: a \(provider) integration has nothing to sync")
                }
            }
            let next = cron?.next(after: now)
            let rows: PostgresRows
            if let id {
                rows = try await tx.query(
                    """
                    UPDATE job_schedules SET integration_id = COALESCE($2, integration_id), cron = COALESCE($3, cron),
                        mode = COALESCE($4, mode), status = COALESCE($5, status), next_run_at = COALESCE($6, next_run_at)
                    WHERE id = $1 RETURNING \(Self.columns)
                    """, id, input.integrationId, input.cron, input.mode, input.status, next)
                guard rows.count == 1 else { throw HTTPError(.notFound, detail: "no schedule \(id)") }
            } else {
                guard let integrationID = input.integrationId else { throw HTTPError(.unprocessableContent, detail: "integration_id: required") }
                guard let cronText = input.cron else { throw HTTPError(.unprocessableContent, detail: "cron: required (e.g. \"0 */6 * * *\")") }
                do {
                    rows = try await tx.query(
                        """
                        INSERT INTO job_schedules (client_id, integration_id, job_name, cron, mode, status, next_run_at)
                        VALUES ($1, $2, '\(JobStore.syncJob)', $3, $4, $5, $6) RETURNING \(Self.columns)
                        """, clientID, integrationID, cronText, input.mode ?? "incremental", input.status ?? "active", next)
                } catch let error as PostgresError where error.sqlState == "23505" {
                    throw HTTPError(.conflict, detail: "integration_id: integration \(integrationID) already has a schedule; update it instead")
                }
            }
            return try rows[0].decode(String.self, at: 0)
        }
    }

    public func schedule(clientID: Int, id: Int) async throws -> String? {
        try await database.query("SELECT \(Self.columns) FROM job_schedules WHERE id = $1", [id], clientID: clientID)
            .first?.decode(String.self, at: 0)
    }

    public func list(clientID: Int, integrationID: Int?) async throws -> [String] {
        try await database.query("SELECT \(Self.columns) FROM job_schedules WHERE ($1::int IS NULL OR integration_id = $1) ORDER BY id",
                                 [integrationID], clientID: clientID).map { try $0.decode(String.self, at: 0) }
    }

    /// Deletes a schedule (its past jobs stay, unlinked); false when there is none.
    public func delete(clientID: Int, id: Int) async throws -> Bool {
        try await database.query("DELETE FROM job_schedules WHERE id = $1", [id], clientID: clientID).affectedRows == 1
    }
}

import Foundation
import Logging
import PulsePostgres

/// Derives a client's delivery facts: after each finished sync (`LISTEN pulse_sync_finished`,
/// payload `{"client_id","integration_id","job_id","provider"}`) only the repositories the new
/// data touched, after a settings change all of them. One transaction per repository;
/// `dora_recompute_state` tells readers when the facts were computed and whether a
/// recomputation is under way.
public actor DORARecomputer {
    public static let channel = "pulse_sync_finished"
    let database: PostgresDatabase
    let logger: Logger
    private var running: [Int: Task<RecomputeReport, any Error>] = [:]
    private var pending: [Int: Bool] = [:]  // client -> full recomputation wanted

    public init(database: PostgresDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// What one recomputation did.
    public struct RecomputeReport: Sendable {
        public var clientID: Int
        public var repositories: Int
        public var deployments: Int
        public var incidents: Int
        public var seconds: Double
    }

    /// Recomputes a client's facts now (full: every repository; else those touched since the
    /// last computation). Concurrent requests for one client are coalesced.
    @discardableResult
    public func recompute(clientID: Int, full: Bool) async throws -> RecomputeReport {
        if let task = running[clientID] {
            pending[clientID] = (pending[clientID] ?? false) || full
            _ = try? await task.value
            if let again = running[clientID] { return try await again.value }
        }
        let wantFull = full || (pending.removeValue(forKey: clientID) ?? false)
        let task = Task { try await Self.run(database: database, logger: logger, clientID: clientID, full: wantFull) }
        running[clientID] = task
        defer { running[clientID] = nil }
        return try await task.value
    }

    static func run(database: PostgresDatabase, logger: Logger, clientID: Int, full: Bool) async throws -> RecomputeReport {
        let started = Date()
        let scope = database.client(clientID)
        let previous: Date? = try await scope.write { tx in
            let rows = try await tx.query(
                """
                INSERT INTO dora_recompute_state (client_id, recomputing, pending_jobs) VALUES ($1, TRUE, 1)
                ON CONFLICT (client_id) DO UPDATE SET recomputing = TRUE, pending_jobs = dora_recompute_state.pending_jobs + 1
                RETURNING computed_at
                """, [clientID])
            return try rows.first?.decode(Date?.self, at: 0)
        }
        do {
            let (settings, incidentCount) = try await scope.write { tx in
                (try await DORAFactLoader.settings(tx, clientID: clientID), try await DORAFactWriter.deriveJiraIncidents(tx, clientID: clientID))
            }
            let engine = try DeliveryDerivation(settings: settings)
            // A margin: rows committed while the previous run read are looked at again.
            let since = full ? nil : previous?.addingTimeInterval(-60)
            let repositories = try await scope.read { tx in try await DORAFactLoader.repositoryIDs(tx, clientID: clientID, touchedSince: since) }
            let incidents = try await scope.read { tx in try await DORAFactLoader.incidents(tx, clientID: clientID) }
            var deployments = 0
            for repositoryID in repositories {
                deployments += try await scope.write { tx in
                    try await DORAFactWriter.materialiseWorkflowRuns(tx, clientID: clientID, repositoryID: repositoryID, settings: settings)
                    guard let facts = try await DORAFactLoader.repository(tx, clientID: clientID, repositoryID: repositoryID) else { return 0 }
                    let derivation = engine.derive(facts, incidents: incidents)
                    try await DORAFactWriter.write(tx, clientID: clientID, derivation: derivation)
                    return derivation.deployments.count
                }
            }
            let seconds = Date().timeIntervalSince(started)
            try await scope.write { tx in
                try await tx.query(
                    """
                    UPDATE dora_recompute_state SET computed_at = $2, pending_jobs = GREATEST(pending_jobs - 1, 0),
                        recomputing = pending_jobs - 1 > 0, last_duration_ms = $3 WHERE client_id = $1
                    """, [clientID, started, seconds * 1000])
                try await DORAInsights.generate(tx, clientID: clientID, now: started)
            }
            logger.info("DORA facts recomputed", metadata: [
                "client_id": "\(clientID)", "full": "\(full)", "repositories": "\(repositories.count)",
                "deployments": "\(deployments)", "incidents": "\(incidentCount)", "seconds": "\(String(format: "%.3f", seconds))",
            ])
            return RecomputeReport(clientID: clientID, repositories: repositories.count, deployments: deployments,
                                   incidents: incidentCount, seconds: seconds)
        } catch {
            _ = try? await scope.write { tx in
                try await tx.query(
                    """
                    UPDATE dora_recompute_state SET pending_jobs = GREATEST(pending_jobs - 1, 0), recomputing = pending_jobs - 1 > 0
                    WHERE client_id = $1
                    """, [clientID])
            }
            logger.error("DORA recomputation failed", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
            throw error
        }
    }

    /// Marks a client as recomputing right away (a sync just finished), before the work starts.
    public func markPending(clientID: Int) async throws {
        try await database.client(clientID).write { tx in
            try await tx.query(
                """
                INSERT INTO dora_recompute_state (client_id, recomputing) VALUES ($1, TRUE)
                ON CONFLICT (client_id) DO UPDATE SET recomputing = TRUE
                """, [clientID])
        }
    }

    /// The payload of a `pulse_sync_finished` notification.
    public struct SyncFinished: Decodable, Sendable {
        public var client_id: Int
        public var integration_id: Int?
        public var job_id: Int?
        public var provider: String?
    }

    /// Listens to `pulse_sync_finished` for as long as the task runs and recomputes the
    /// client's touched repositories after each; after a reconnect every client is redone.
    public nonisolated func listen(conninfo: String) -> Task<Void, Never> {
        Task { [self] in
            do {
                let listener = try PostgresListener(conninfo: conninfo, channels: [Self.channel])
                for try await notification in listener {
                    guard let payload = try? JSONDecoder().decode(SyncFinished.self, from: Data(notification.payload.utf8)),
                        payload.client_id > 0
                    else {
                        logger.warning("Ignoring a malformed pulse_sync_finished payload", metadata: ["payload": "\(notification.payload)"])
                        continue
                    }
                    try? await markPending(clientID: payload.client_id)
                    Task { _ = try? await self.recompute(clientID: payload.client_id, full: false) }
                }
            } catch {
                logger.error("pulse_sync_finished listener stopped", metadata: ["error": "\(error)"])
            }
        }
    }
}

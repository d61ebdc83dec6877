import Foundation
import PulsePostgres

/// Reads the derived facts back (on the replica) for the API: a query never walks the graph.
public enum DORAReadModel {
    /// Derived deployments finished in [from, to) with their changes' lead times.
    public static func deployments(_ tx: PostgresTransaction, clientID: Int, repositoryIDs: [Int]?, from: Date, to: Date)
        async throws -> [DerivedDeployment]
    {
        let rows = try await tx.query(
            """
            SELECT dd.deployment_id, dd.repository_id, dd.finished_at, dd.failure_reason, dd.recovery_seconds, dd.is_rework,
                   dd.first_ever, d.sha,
                   (SELECT array_agg(dc.lead_time_seconds) FROM deployment_changes dc
                     WHERE dc.client_id = dd.client_id AND dc.deployment_id = dd.deployment_id AND dc.lead_time_seconds IS NOT NULL)
            FROM dora_deployments dd JOIN deployments d ON d.client_id = dd.client_id AND d.id = dd.deployment_id
            WHERE dd.client_id = $1 AND dd.finished_at >= $2 AND dd.finished_at < $3
              AND ($4::int[] IS NULL OR dd.repository_id = ANY($4::int[]))
            """, [clientID, from, to, repositoryIDs])
        return try rows.map { row in
            let leads = try row.decode([Double]?.self, at: 8) ?? []
            var deployment = DerivedDeployment(
                id: try row.decode(Int64.self, at: 0), repositoryID: try row.decode(Int.self, at: 1), sha: try row.decode(String.self, at: 7),
                finishedAt: try row.decode(Date.self, at: 2), firstEver: try row.decode(Bool.self, at: 6),
                changes: leads.map { DerivedChange(landingSha: "", firstCommitAt: nil, leadTimeSeconds: $0) },
                failureReason: (try row.decode(String?.self, at: 3)).flatMap(FailureReason.init(rawValue:)),
                recoverySeconds: try row.decode(Double?.self, at: 4))
            if try row.decode(Bool.self, at: 5) { deployment.restores = [0] }
            return deployment
        }
    }

    /// id -> owner/repo of every repository of the client.
    public static func repositoryNames(_ tx: PostgresTransaction, clientID: Int) async throws -> [Int: String] {
        var names: [Int: String] = [:]
        for row in try await tx.query("SELECT id, full_name FROM repositories WHERE client_id = $1", [clientID]) {
            names[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        return names
    }

    /// The bands of `dora_market_benchmarks`.
    public static func benchmarks(_ tx: PostgresTransaction) async throws -> [BenchmarkBand] {
        try await tx.query(
            "SELECT report_year, metric, tier, lower_bound, upper_bound, COALESCE(value_label, ''), source FROM dora_market_benchmarks"
        ).compactMap { row in
            guard let tier = Tier(rawValue: try row.decode(String.self, at: 2)) else { return nil }
            return BenchmarkBand(year: try row.decode(Int.self, at: 0), metric: try row.decode(String.self, at: 1), tier: tier,
                                 lowerBound: try row.decode(Double?.self, at: 3), upperBound: try row.decode(Double?.self, at: 4),
                                 label: try row.decode(String.self, at: 5), source: try row.decode(String.self, at: 6))
        }
    }

    /// computed_at and recomputing of the client.
    public static func state(_ tx: PostgresTransaction, clientID: Int) async throws -> (computedAt: Date?, recomputing: Bool) {
        let rows = try await tx.query("SELECT computed_at, recomputing FROM dora_recompute_state WHERE client_id = $1", [clientID])
        guard let row = rows.first else { return (nil, false) }
        return (try row.decode(Date?.self, at: 0), try row.decode(Bool.self, at: 1))
    }
}

import Foundation
import PulsePostgres

/// The figures of many buckets (a period, the previous one, each trend week, each repository)
/// aggregated by PostgreSQL, so a request decodes tens of rows instead of every deployment:
/// per-day counts, and `percentile_cont` over lead and recovery times (the engine's
/// `percentileCont` is the same function; a test compares the two paths).
public struct DORAAggregate: Sendable {
    /// UTC day (seconds since 1970 / 86400) -> (deployments, failed, rework).
    public var days: [Int: (deployments: Int, failed: Int, rework: Int)] = [:]
    public var leadCount = 0
    public var lead = DurationSummary([])
    public var recoveryCount = 0
    public var recoveryMedian: Double?
    public var recoveryP90: Double?
    public init() {}

    /// The figures of `period` from the day counts (only days inside the period count).
    public func figures(_ period: DORAPeriod) -> DORAFigures {
        let first = Int((period.start.timeIntervalSince1970 / 86400).rounded(.down))
        let inside = days.filter { $0.key >= first && $0.key < first + period.days }
        let deployments = inside.values.reduce(0) { $0 + $1.deployments }
        let failed = inside.values.reduce(0) { $0 + $1.failed }
        let rework = inside.values.reduce(0) { $0 + $1.rework }
        let marks = inside.filter { $0.value.deployments > 0 }.keys.map { Date(timeIntervalSince1970: Double($0) * 86400 + 1) }
        let weeks = DORAMetrics.deploymentDaysPerWeek(marks, period: period).map(Double.init)
        return DORAFigures(
            deployments: deployments, deploymentsPerDay: Double(deployments) / Double(period.days), deploymentDays: marks.count,
            medianDeploymentDaysPerWeek: percentileCont(0.5, weeks), leadTimeChanges: leadCount, leadTime: lead,
            failedDeployments: failed, changeFailureRate: deployments == 0 ? nil : Double(failed) / Double(deployments),
            recoveryCount: recoveryCount, recoveryMedian: recoveryMedian, recoveryP90: recoveryP90, reworkDeployments: rework,
            deploymentReworkRate: deployments == 0 ? nil : Double(rework) / Double(deployments), periodDays: period.days)
    }
}

public enum DORAAggregates {
    /// How rows are grouped: by a bucket key computed in SQL from finished_at / repository_id.
    public enum Grouping: Sendable {
        /// key = index of the bucket whose [start, end) holds finished_at (buckets may overlap: each row
        /// counts in every bucket holding it).
        case buckets([(start: Date, end: Date)])
        /// key = repository id; one period.
        case repository
    }

    /// Aggregates of the client's derived deployments finished in [from, to), per key.
    public static func load(_ tx: PostgresTransaction, clientID: Int, repositoryIDs: [Int]?, from: Date, to: Date,
                            grouping: Grouping) async throws -> [Int: DORAAggregate] {
        let keySQL: String
        var parameters: [any PostgresEncodable] = [clientID, from, to, repositoryIDs]
        switch grouping {
        case .buckets(let buckets):
            parameters.append(buckets.map(\.start))
            parameters.append(buckets.map(\.end))
            keySQL = "JOIN LATERAL unnest($5::timestamptz[], $6::timestamptz[]) WITH ORDINALITY AS b(s, e, k) ON dd.finished_at >= b.s AND dd.finished_at < b.e"
        case .repository:
            keySQL = ""
        }
        let key = keySQL.isEmpty ? "dd.repository_id" : "(b.k - 1)::int"
        let base = """
            FROM dora_deployments dd \(keySQL)
            WHERE dd.client_id = $1 AND dd.finished_at >= $2 AND dd.finished_at < $3 AND ($4::int[] IS NULL OR dd.repository_id = ANY($4::int[]))
            """
        var result: [Int: DORAAggregate] = [:]
        for row in try await tx.query(
            """
            SELECT \(key), floor(extract(epoch FROM dd.finished_at) / 86400)::int, count(*)::int,
                   (count(*) FILTER (WHERE dd.failed))::int, (count(*) FILTER (WHERE dd.is_rework))::int
            \(base) GROUP BY 1, 2
            """, parameters) {
            result[try row.decode(Int.self, at: 0), default: DORAAggregate()].days[try row.decode(Int.self, at: 1)] =
                (try row.decode(Int.self, at: 2), try row.decode(Int.self, at: 3), try row.decode(Int.self, at: 4))
        }
        for row in try await tx.query(
            """
            SELECT \(key), count(*)::int, percentile_cont(0.5) WITHIN GROUP (ORDER BY dc.lead_time_seconds),
                   percentile_cont(0.75) WITHIN GROUP (ORDER BY dc.lead_time_seconds),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY dc.lead_time_seconds)
            \(base.replacingOccurrences(of: "FROM dora_deployments dd", with: """
                FROM dora_deployments dd JOIN deployment_changes dc ON dc.client_id = dd.client_id AND dc.deployment_id = dd.deployment_id
                                         AND dc.lead_time_seconds IS NOT NULL
                """)) GROUP BY 1
            """, parameters) {
            let k = try row.decode(Int.self, at: 0)
            result[k, default: DORAAggregate()].leadCount = try row.decode(Int.self, at: 1)
            var summary = DurationSummary([])
            summary.median = try row.decode(Double?.self, at: 2)
            summary.p75 = try row.decode(Double?.self, at: 3)
            summary.p90 = try row.decode(Double?.self, at: 4)
            result[k, default: DORAAggregate()].lead = summary
        }
        for row in try await tx.query(
            """
            SELECT \(key), count(*)::int, percentile_cont(0.5) WITHIN GROUP (ORDER BY dd.recovery_seconds),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY dd.recovery_seconds)
            \(base) AND dd.failed AND dd.recovery_seconds IS NOT NULL GROUP BY 1
            """, parameters) {
            let k = try row.decode(Int.self, at: 0)
            result[k, default: DORAAggregate()].recoveryCount = try row.decode(Int.self, at: 1)
            result[k, default: DORAAggregate()].recoveryMedian = try row.decode(Double?.self, at: 2)
            result[k, default: DORAAggregate()].recoveryP90 = try row.decode(Double?.self, at: 3)
        }
        return result
    }
}

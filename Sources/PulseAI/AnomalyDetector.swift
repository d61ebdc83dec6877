import Foundation
import PulseHTTP
import PulsePostgres

/// A weekly series of one figure of a client, oldest week first (nil: no data that week).
struct WeeklySeries: Sendable {
    var metric: String
    var scope: String
    var unit: String
    /// +1 when a rise is bad (cycle time, error rate), −1 when a fall is (deployments).
    var badDirection: Double
    var weeks: [Date]
    var values: [Double?]
}

/// A finding of the detector, before it becomes an `ml_anomaly_alert` row.
struct AnomalyFinding: Sendable, Equatable {
    var metric: String
    var scope: String
    var week: Date
    var value: Double
    var median: Double
    var mad: Double
    var zScore: Double
    var severity: String
}

/// Robust anomaly detection: the last complete week against the weeks before it, by the
/// modified z-score (median/MAD, Iglewicz–Hoaglin), flagged at |z| ≥ 3.5 in the bad
/// direction; severity medium below 5, high below 8, critical from 8.
enum RobustDetector {
    static let threshold = 3.5
    static let minimumHistory = 8

    static func severity(_ z: Double) -> String { abs(z) >= 8 ? "critical" : abs(z) >= 5 ? "high" : "medium" }

    static func evaluate(_ series: WeeklySeries) -> AnomalyFinding? {
        guard let last = series.values.last, let value = last, let week = series.weeks.last else { return nil }
        let history = series.values.dropLast().compactMap { $0 }
        guard history.count >= minimumHistory, let z = RobustStatistics.modifiedZScore(value, history: history),
            z * series.badDirection >= threshold
        else { return nil }
        return AnomalyFinding(metric: series.metric, scope: series.scope, week: week, value: value,
                              median: RobustStatistics.median(history) ?? 0, mad: RobustStatistics.mad(history) ?? 0,
                              zScore: z, severity: severity(z))
    }
}

/// Builds each client's weekly series straight from deployments, prs, incidents and
/// etl_job_runs, runs the detector and keeps `ml_anomaly_alert` rows: one per ongoing
/// anomaly (a metric anomalous again the next week updates its alert instead of adding one).
struct AnomalyService: Sendable {
    static let model = "robust-mad-v1"
    let database: PostgresDatabase
    let monitor: AIMonitor
    var weeks = 16

    /// The weeks `weeks` before `asOf`'s week up to the last complete one, as SQL.
    static let weekSeries = """
        SELECT g.week AT TIME ZONE 'UTC' AS week FROM generate_series(date_trunc('week', $2::timestamptz AT TIME ZONE 'UTC') - make_interval(weeks => $3),
            date_trunc('week', $2::timestamptz AT TIME ZONE 'UTC') - interval '1 week', interval '1 week') AS g(week)
        """

    /// (metric, unit, bad direction, SQL giving one value per week for $1 client, $2 as-of, $3 weeks, optional minimum volume).
    static let definitions: [(String, String, Double, String)] = [
        ("deployment_frequency", "deployments/week", -1, """
            SELECT w.week, (SELECT count(*) FROM deployments d WHERE d.client_id = $1 AND d.status = 'success'
                AND d.finished_at >= w.week AND d.finished_at < w.week + interval '1 week')::float8 FROM (\(weekSeries)) w ORDER BY w.week
            """),
        ("deployment_failure_rate", "ratio", 1, """
            SELECT w.week, (SELECT CASE WHEN count(*) >= 3 THEN (count(*) FILTER (WHERE d.status IN ('failure', 'error')))::float8 / count(*) END
                FROM deployments d WHERE d.client_id = $1 AND d.source_created_at >= w.week AND d.source_created_at < w.week + interval '1 week')
            FROM (\(weekSeries)) w ORDER BY w.week
            """),
        ("pr_cycle_time", "hours", 1, """
            SELECT w.week, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (p.merged_at - p.source_created_at)) / 3600)
                FROM prs p WHERE p.client_id = $1 AND p.merged_at >= w.week AND p.merged_at < w.week + interval '1 week')
            FROM (\(weekSeries)) w ORDER BY w.week
            """),
        ("incident_recovery_time", "hours", 1, """
            SELECT w.week, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (i.resolved_at - i.started_at)) / 3600)
                FROM incidents i WHERE i.client_id = $1 AND i.resolved_at >= w.week AND i.resolved_at < w.week + interval '1 week')
            FROM (\(weekSeries)) w ORDER BY w.week
            """),
        ("etl_job_duration", "seconds", 1, """
            SELECT w.week, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (r.finished_at - r.started_at)))
                FROM etl_job_runs r WHERE r.client_id = $1 AND r.status = 'succeeded' AND r.started_at IS NOT NULL
                  AND r.finished_at >= w.week AND r.finished_at < w.week + interval '1 week')
            FROM (\(weekSeries)) w ORDER BY w.week
            """),
        ("etl_error_rate", "ratio", 1, """
            SELECT w.week, (SELECT CASE WHEN count(*) >= 3 THEN (count(*) FILTER (WHERE r.status = 'failed'))::float8 / count(*) END
                FROM etl_job_runs r WHERE r.client_id = $1 AND r.status IN ('succeeded', 'failed')
                  AND r.finished_at >= w.week AND r.finished_at < w.week + interval '1 week')
            FROM (\(weekSeries)) w ORDER BY w.week
            """),
    ]

    func series(clientID: Int, asOf: Date) async throws -> [WeeklySeries] {
        var result: [WeeklySeries] = []
        for (metric, unit, direction, sql) in Self.definitions {
            let rows = try await database.client(clientID).query(sql, [clientID, asOf, weeks + 1])
            var series = WeeklySeries(metric: metric, scope: "client", unit: unit, badDirection: direction, weeks: [], values: [])
            for row in rows {
                series.weeks.append(try row.decode(Date.self, at: 0))
                series.values.append(try row.decode(Double?.self, at: 1))
            }
            result.append(series)
        }
        return result
    }

    /// Runs the detector for one client; returns the alert ids raised or extended.
    @discardableResult
    func run(clientID: Int, asOf: Date = Date()) async throws -> [(id: Int, created: Bool)] {
        var touched: [(id: Int, created: Bool)] = []
        for series in try await series(clientID: clientID, asOf: asOf) {
            guard let finding = RobustDetector.evaluate(series) else { continue }
            if let outcome = try await store(clientID: clientID, finding: finding, series: series) { touched.append(outcome) }
        }
        return touched
    }

    private func store(clientID: Int, finding: AnomalyFinding, series: WeeklySeries) async throws -> (id: Int, created: Bool)? {
        let key = "\(finding.metric):\(finding.scope)"
        let week = finding.week.timeIntervalSince1970
        let history = zip(series.weeks, series.values).map { ["week": Self.iso($0), "value": $1.map { $0 as Any } ?? NSNull()] as [String: Any] }
        return try await database.client(clientID).write { tx in
            // Serialise runs of this client so two never both insert the same alert.
            try await tx.query("SELECT pg_advisory_xact_lock(hashtext('pulse-ai-anomaly'), $1)", [clientID])
            let existing = try await tx.query("""
                SELECT id, (alert_data ->> 'last_week_epoch')::float8 FROM ml_anomaly_alert
                WHERE client_id = $1 AND model_name = $2 AND alert_data ->> 'key' = $3
                ORDER BY id DESC LIMIT 1
                """, [clientID, Self.model, key])
            if let row = existing.first {
                let id = try row.decode(Int.self, at: 0), lastWeek = try row.decode(Double?.self, at: 1) ?? 0
                if lastWeek >= week { return nil }  // this week is already in it
                if week - lastWeek <= 7 * 86_400 + 3600 {  // anomalous again the following week: the same ongoing anomaly
                    try await tx.query("""
                        UPDATE ml_anomaly_alert SET alert_data = alert_data || jsonb_build_object('last_week', $2::text, 'last_week_epoch', $3::float8,
                            'latest_value', $4::float8, 'latest_z_score', $5::float8, 'weeks', coalesce((alert_data ->> 'weeks')::int, 1) + 1),
                            severity = CASE WHEN $6 = 'critical' OR severity = 'critical' THEN 'critical'
                                            WHEN $6 = 'high' OR severity = 'high' THEN 'high' ELSE severity END
                        WHERE id = $1
                        """, [id, Self.iso(finding.week), week, finding.value, finding.zScore, finding.severity])
                    return (id, false)
                }
            }
            let data: [String: Any] = [
                "key": key, "metric": finding.metric, "scope": finding.scope, "unit": series.unit,
                "week": Self.iso(finding.week), "last_week": Self.iso(finding.week), "last_week_epoch": week, "weeks": 1,
                "value": finding.value, "median": finding.median, "mad": finding.mad, "z_score": finding.zScore,
                "direction": finding.value > finding.median ? "up" : "down", "history": history,
                "method": "modified z-score 0.6745·(x − median)/MAD against the \(series.values.count - 1) previous weeks, threshold 3.5",
            ]
            let text = String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
            let rows = try await tx.query("""
                INSERT INTO ml_anomaly_alert (model_name, severity, alert_data, client_id) VALUES ($1, $2, $3::jsonb, $4) RETURNING id
                """, [Self.model, finding.severity, text, clientID])
            monitor.alertsRaised.labels(finding.metric).increment()
            return (try rows[0].decode(Int.self, at: 0), true)
        }
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

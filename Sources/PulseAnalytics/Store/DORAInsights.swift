import Foundation
import PulsePostgres

/// Generated `dora_metric_insights`: after each recomputation, the last 30 days against the
/// 30 before, per client, in plain sentences (what moved, by how much, which repository drove it).
public enum DORAInsights {
    public static func generate(_ tx: PostgresTransaction, clientID: Int, now: Date) async throws {
        let today = utcCalendar.startOfDay(for: now)
        let current = DORAPeriod(start: today.addingTimeInterval(-29 * 86400), days: 30)
        let previous = current.previous
        let rows = try await DORAReadModel.deployments(tx, clientID: clientID, repositoryIDs: nil,
                                                       from: previous.start, to: current.end)
        let names = try await DORAReadModel.repositoryNames(tx, clientID: clientID)
        let now30 = DORAMetrics.figures(rows, period: current), before30 = DORAMetrics.figures(rows, period: previous)
        try await tx.query(
            "DELETE FROM dora_metric_insights WHERE client_id = $1 AND scope_type = 'client' AND period_start = $2",
            [clientID, JSONDoc.day(current.start)])
        var sentences: [(String, Double?, Double?, String)] = []
        func driver(_ value: (DORAFigures) -> Double?) -> String? {
            var best: (String, Double)?
            for (id, name) in names {
                let mine = rows.filter { $0.repositoryID == id }
                guard let a = value(DORAMetrics.figures(mine, period: current)), let b = value(DORAMetrics.figures(mine, period: previous))
                else { continue }
                if best == nil || abs(a - b) > abs(best!.1) { best = (name, a - b) }
            }
            return best?.0
        }
        if now30.deployments != before30.deployments {
            let change = before30.deployments == 0 ? nil : Double(now30.deployments - before30.deployments) / Double(before30.deployments)
            var text = "Deployments \(now30.deployments > before30.deployments ? "rose" : "fell") from \(before30.deployments) to \(now30.deployments) in the last 30 days"
            if let change { text += " (\(change > 0 ? "+" : "")\(Int((change * 100).rounded())) %)" }
            if let who = driver({ Double($0.deployments) }) { text += ", driven mostly by \(who)" }
            sentences.append(("deployment_frequency", Double(now30.deployments), change, text + "."))
        }
        if let a = now30.leadTime.median, let b = before30.leadTime.median, b > 0, abs(a - b) / b >= 0.1 {
            var text = "Median change lead time \(a < b ? "improved" : "worsened") from \(hoursText(b)) to \(hoursText(a))"
            if let who = driver({ $0.leadTime.median }) { text += "; the largest move was in \(who)" }
            sentences.append(("lead_time", a, (a - b) / b, text + "."))
        }
        if let a = now30.changeFailureRate, let b = before30.changeFailureRate, abs(a - b) >= 0.01 {
            var text = "Change failure rate \(a < b ? "fell" : "rose") from \(Int((b * 100).rounded())) % to \(Int((a * 100).rounded())) %"
            if let who = driver({ $0.changeFailureRate }) { text += ", mostly in \(who)" }
            sentences.append(("change_failure_rate", a, a - b, text + "."))
        }
        for (metric, value, trend, text) in sentences {
            try await tx.query(
                """
                INSERT INTO dora_metric_insights (client_id, scope_type, metric, period_start, period_end, value, trend, insight)
                VALUES ($1, 'client', $2, $3, $4, $5, $6, $7)
                """, [clientID, metric, JSONDoc.day(current.start), JSONDoc.day(current.end.addingTimeInterval(-86400)), value, trend, text])
        }
    }

    static func hoursText(_ seconds: Double) -> String {
        seconds >= 172_800 ? String(format: "%.1f days", seconds / 86400) : String(format: "%.1f hours", seconds / 3600)
    }
}

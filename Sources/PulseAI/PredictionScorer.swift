import Foundation
import PulsePostgres

/// Fills `actual_value` and `accuracy_score` of predictions whose outcome is known:
/// story points once the item is done (accuracy 1 − |error|/max(actual, 1), floored at 0),
/// delivery forecasts once every forecast item is done (or, for "N items", once N items of
/// the scope finished): actual = weeks taken, accuracy 1 when it came by the P85 date, else 0
/// (so the mean is the P85 coverage).
struct PredictionScorer: Sendable {
    let database: PostgresDatabase
    let monitor: AIMonitor

    @discardableResult
    func score(clientID: Int) async throws -> Int {
        let scope = database.client(clientID)
        var scored = try await scope.query("""
            UPDATE ai_predictions p SET actual_value = w.story_points,
                   accuracy_score = GREATEST(0, 1 - abs(p.prediction_value - w.story_points) / GREATEST(w.story_points, 1)),
                   validated_at = now() AT TIME ZONE 'UTC'
            FROM work_items w
            WHERE p.client_id = $1 AND p.prediction_type = 'story_points' AND p.actual_value IS NULL
              AND w.client_id = p.client_id AND w.id = (p.input_features::json ->> 'work_item_id')::bigint
              AND w.resolved_at IS NOT NULL AND w.story_points IS NOT NULL
            """, [clientID]).affectedRows
        let open = try await scope.query("""
            SELECT id, input_features FROM ai_predictions
            WHERE client_id = $1 AND prediction_type = 'delivery_forecast' AND actual_value IS NULL ORDER BY id LIMIT 1000
            """, [clientID])
        for row in open {
            let id = try row.decode(Int.self, at: 0)
            guard let text = try row.decode(String?.self, at: 1),
                let features = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let start = (features["start"] as? NSNumber)?.doubleValue, let p85 = (features["p85_date"] as? NSNumber)?.doubleValue
            else { continue }
            var done: Date?
            if let ids = features["item_ids"] as? [NSNumber] {
                let rows = try await scope.query("""
                    SELECT count(*) FILTER (WHERE resolved_at IS NULL), max(resolved_at) FROM work_items
                    WHERE client_id = $1 AND id = ANY($2::bigint[])
                    """, [clientID, ids.map(\.int64Value)])
                if try rows[0].decode(Int.self, at: 0) == 0 { done = try rows[0].decode(Date?.self, at: 1) ?? Date(timeIntervalSince1970: start) }
            } else if let remaining = (features["remaining"] as? NSNumber)?.intValue, remaining > 0 {
                let project = (features["project_id"] as? NSNumber)?.intValue
                let rows = try await scope.query("""
                    SELECT resolved_at FROM work_items WHERE client_id = $1 AND ($2::int IS NULL OR project_id = $2)
                      AND resolved_at > $3 ORDER BY resolved_at OFFSET $4 LIMIT 1
                    """, [clientID, project, Date(timeIntervalSince1970: start), remaining - 1])
                done = try rows.first?.decode(Date.self, at: 0)
            }
            guard let done else { continue }
            let weeks = max(0, done.timeIntervalSince1970 - start) / (7 * 86_400)
            try await scope.query("""
                UPDATE ai_predictions SET actual_value = $1, accuracy_score = $2, validated_at = now() AT TIME ZONE 'UTC' WHERE id = $3
                """, [weeks, done.timeIntervalSince1970 <= p85 ? 1.0 : 0.0, id])
            scored += 1
        }
        try await refreshAccuracyGauges(clientID: clientID)
        return scored
    }

    /// Running accuracy per model (this client's predictions) on /metrics.
    func refreshAccuracyGauges(clientID: Int) async throws {
        let rows = try await database.client(clientID).query("""
            SELECT model_name, avg(accuracy_score), count(*) FROM ai_predictions
            WHERE client_id = $1 AND accuracy_score IS NOT NULL GROUP BY model_name
            """, [clientID])
        for row in rows {
            let model = try row.decode(String.self, at: 0)
            monitor.predictionAccuracy.labels(String(clientID), model).set(try row.decode(Double.self, at: 1))
            monitor.predictionsScored.labels(String(clientID), model).set(Double(try row.decode(Int.self, at: 2)))
        }
    }
}

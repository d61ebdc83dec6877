import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// F-MLMON: predictions with their accuracy, performance metrics, anomaly alerts.
extension AIRoutes {
    struct Prediction: Codable {
        var id: Int
        var modelName: String
        var predictionType: String
        var predictionValue: Double
        var actualValue: Double?
        var accuracyScore: Double?
        var inputFeatures: PostgresJSONValue
        var createdAt: Date?
        var validatedAt: Date?
    }

    struct Accuracy: Codable {
        struct Week: Codable {
            var week: String
            var scored: Int
            var meanAccuracy: Double?
        }
        var modelName: String
        var predictionType: String
        var predictions: Int
        var scored: Int
        var meanAccuracy: Double?
        var weekly: [Week]
    }

    struct Alert: Codable {
        var id: Int
        var modelName: String
        var severity: String
        var alertData: PostgresJSONValue
        var acknowledged: Bool
        var acknowledgedBy: Int?
        var acknowledgedAt: Date?
        var createdAt: Date?
    }

    struct Performance: Codable {
        var metricName: String
        var metricValue: Double
        var metricUnit: String?
        var measurementTimestamp: Date
        var contextData: PostgresJSONValue
    }

    func registerMonitoring(on routes: inout ServiceRoutes) {
        let database = engine.database
        add(&routes, .get, "/ai/predictions", "Logged predictions (type=story_points|delivery_forecast), newest first, with their accuracy.") { request, clientID in
            let limit = try Self.intParameter(request, "limit", default: 100, range: 1...1000)
            let rows = try await database.client(clientID).query("""
                SELECT id, model_name, prediction_type, prediction_value, actual_value, accuracy_score, coalesce(input_features, 'null'),
                       created_at AT TIME ZONE 'UTC', validated_at AT TIME ZONE 'UTC'
                FROM ai_predictions WHERE client_id = $1 AND ($2::text IS NULL OR prediction_type = $2) ORDER BY id DESC LIMIT $3
                """, [clientID, request.query("type"), limit])
            return try .json(try rows.map { row in
                Prediction(id: try row.decode(Int.self, at: 0), modelName: try row.decode(String.self, at: 1),
                           predictionType: try row.decode(String.self, at: 2), predictionValue: try row.decode(Double.self, at: 3),
                           actualValue: try row.decode(Double?.self, at: 4), accuracyScore: try row.decode(Double?.self, at: 5),
                           inputFeatures: PostgresJSONValue(text: try row.decode(String.self, at: 6)),
                           createdAt: try row.decode(Date?.self, at: 7), validatedAt: try row.decode(Date?.self, at: 8))
            })
        }
        add(&routes, .get, "/ai/predictions/accuracy", "Accuracy per model: overall and per week of validation.") { _, clientID in
            let totals = try await database.client(clientID).query("""
                SELECT model_name, prediction_type, count(*), count(accuracy_score), avg(accuracy_score) FROM ai_predictions
                WHERE client_id = $1 GROUP BY model_name, prediction_type ORDER BY model_name, prediction_type
                """, [clientID])
            let weekly = try await database.client(clientID).query("""
                SELECT model_name, prediction_type, to_char(date_trunc('week', validated_at), 'YYYY-MM-DD'), count(*), avg(accuracy_score)
                FROM ai_predictions WHERE client_id = $1 AND accuracy_score IS NOT NULL
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """, [clientID])
            var weeks: [String: [Accuracy.Week]] = [:]
            for row in weekly {
                weeks[try row.decode(String.self, at: 0) + "|" + row.decode(String.self, at: 1), default: []].append(
                    .init(week: try row.decode(String.self, at: 2), scored: try row.decode(Int.self, at: 3), meanAccuracy: try row.decode(Double?.self, at: 4)))
            }
            return try .json(try totals.map { row in
                let model = try row.decode(String.self, at: 0), type = try row.decode(String.self, at: 1)
                return Accuracy(modelName: model, predictionType: type, predictions: try row.decode(Int.self, at: 2),
                                scored: try row.decode(Int.self, at: 3), meanAccuracy: try row.decode(Double?.self, at: 4),
                                weekly: weeks[model + "|" + type] ?? [])
            })
        }
        add(&routes, .get, "/ai/performance", "ai_performance_metrics rows (embedding_throughput, search_latency_p50/p99, index_size), newest first.") { request, clientID in
            let limit = try Self.intParameter(request, "limit", default: 200, range: 1...5000)
            let rows = try await database.client(clientID).query("""
                SELECT metric_name, metric_value, metric_unit, measurement_timestamp AT TIME ZONE 'UTC', coalesce(context_data, 'null')
                FROM ai_performance_metrics WHERE client_id = $1 AND ($2::text IS NULL OR metric_name = $2) ORDER BY id DESC LIMIT $3
                """, [clientID, request.query("metric"), limit])
            return try .json(try rows.map { row in
                Performance(metricName: try row.decode(String.self, at: 0), metricValue: try row.decode(Double.self, at: 1),
                            metricUnit: try row.decode(String?.self, at: 2), measurementTimestamp: try row.decode(Date.self, at: 3),
                            contextData: PostgresJSONValue(text: try row.decode(String.self, at: 4)))
            })
        }
        add(&routes, .get, "/ai/alerts", "Anomaly alerts (acknowledged=true|false), newest first, with the data behind each.") { request, clientID in
            let limit = try Self.intParameter(request, "limit", default: 100, range: 1...1000)
            let acknowledged = request.query("acknowledged").map { $0 == "true" }
            return try .json(try await Self.alerts(database, clientID: clientID, acknowledged: acknowledged, id: nil, limit: limit))
        }
        add(&routes, .post, "/ai/alerts/:id/acknowledge", "Acknowledges an alert (who and when are recorded; repeating it changes nothing).",
            write: true) { request, clientID in
            guard let id = Int(request.pathParameters["id"] ?? "") else { throw HTTPError(.notFound, detail: "no such alert") }
            let user = Int(try request.authenticatedIdentity().subject)
            try await database.client(clientID).query("""
                UPDATE ml_anomaly_alert SET acknowledged = true, acknowledged_by = $3, acknowledged_at = now() AT TIME ZONE 'UTC'
                WHERE client_id = $1 AND id = $2 AND acknowledged IS NOT TRUE
                """, [clientID, id, user])
            guard let alert = try await Self.alerts(database, clientID: clientID, acknowledged: nil, id: id, limit: 1).first else {
                throw HTTPError(.notFound, detail: "no such alert")
            }
            return try .json(alert)
        }
    }

    static func alerts(_ database: PostgresDatabase, clientID: Int, acknowledged: Bool?, id: Int?, limit: Int) async throws -> [Alert] {
        let rows = try await database.client(clientID).query("""
            SELECT id, model_name, severity, alert_data::text, coalesce(acknowledged, false), acknowledged_by,
                   acknowledged_at AT TIME ZONE 'UTC', created_at AT TIME ZONE 'UTC'
            FROM ml_anomaly_alert WHERE client_id = $1 AND ($2::bool IS NULL OR coalesce(acknowledged, false) = $2)
              AND ($3::int IS NULL OR id = $3) ORDER BY id DESC LIMIT $4
            """, [clientID, acknowledged, id, limit])
        return try rows.map { row in
            Alert(id: try row.decode(Int.self, at: 0), modelName: try row.decode(String.self, at: 1), severity: try row.decode(String.self, at: 2),
                  alertData: PostgresJSONValue(text: try row.decode(String.self, at: 3)), acknowledged: try row.decode(Bool.self, at: 4),
                  acknowledgedBy: try row.decode(Int?.self, at: 5), acknowledgedAt: try row.decode(Date?.self, at: 6),
                  createdAt: try row.decode(Date?.self, at: 7))
        }
    }
}

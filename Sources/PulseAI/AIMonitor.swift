import Foundation
import Logging
import PulseObservability
import PulsePostgres
import Synchronization

/// The AI service's own measurements: Prometheus metrics on `/metrics` and rows in
/// `ai_performance_metrics` (embedding throughput, search latency, index size) for F-MLMON.
final class AIMonitor: Sendable {
    let database: PostgresDatabase
    let logger: Logger
    let embeddedItems: MetricFamily<Counter>
    let pending: MetricFamily<Gauge>
    let indexVectors: MetricFamily<Gauge>
    let searchSeconds: MetricFamily<Histogram>
    let predictionAccuracy: MetricFamily<Gauge>
    let predictionsScored: MetricFamily<Gauge>
    let alertsRaised: MetricFamily<Counter>
    /// Search latencies (ms) per client since the last flush to `ai_performance_metrics`.
    private let latencies = Mutex<[Int: [Double]]>([:])

    init(database: PostgresDatabase, metrics: MetricsRegistry, logger: Logger) {
        self.database = database
        self.logger = logger
        embeddedItems = metrics.counter("pulse_ai_embedded_items_total", help: "Items embedded, by model.", labels: ["model"])
        pending = metrics.gauge("pulse_ai_embedding_backlog", help: "Items waiting to be embedded, by client.", labels: ["client"])
        indexVectors = metrics.gauge("pulse_ai_index_vectors", help: "Vectors in the HNSW index, by client and model.", labels: ["client", "model"])
        searchSeconds = metrics.histogram("pulse_ai_search_seconds", help: "Duration of /ai/search, query embedding included.",
                                          labels: ["mode"], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])
        predictionAccuracy = metrics.gauge("pulse_ai_prediction_accuracy",
                                           help: "Mean accuracy_score of scored predictions, by client and model.", labels: ["client", "model"])
        predictionsScored = metrics.gauge("pulse_ai_predictions_scored", help: "Predictions with an accuracy score, by client and model.",
                                          labels: ["client", "model"])
        alertsRaised = metrics.counter("pulse_ai_anomaly_alerts_total", help: "Anomaly alerts raised, by metric.", labels: ["metric"])
    }

    /// One row in `ai_performance_metrics`.
    func record(clientID: Int, metric: String, value: Double, unit: String, context: [String: String]) async {
        do {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: context, options: [.sortedKeys]), as: UTF8.self)
            try await database.client(clientID).query("""
                INSERT INTO ai_performance_metrics (metric_name, metric_value, metric_unit, measurement_timestamp, context_data, service_name, client_id)
                VALUES ($1, $2, $3, now() AT TIME ZONE 'UTC', $4, 'ai', $5)
                """, [metric, value.isFinite ? value : 0, unit, text, clientID])
        } catch {
            logger.warning("Performance metric not recorded", metadata: ["metric": "\(metric)", "error": "\(error)"])
        }
    }

    func searched(clientID: Int, mode: String, seconds: Double) {
        searchSeconds.labels(mode).observe(seconds)
        latencies.withLock { $0[clientID, default: []].append(seconds * 1000) }
    }

    /// Writes p50/p99 search latency per client since the last flush (run once a minute).
    func flushSearchLatency() async {
        let taken = latencies.withLock { all -> [Int: [Double]] in
            let copy = all
            all.removeAll()
            return copy
        }
        for (clientID, values) in taken where !values.isEmpty {
            let sorted = values.sorted()
            for (name, q) in [("search_latency_p50", 0.5), ("search_latency_p99", 0.99)] {
                await record(clientID: clientID, metric: name, value: RobustStatistics.percentile(sorted: sorted, q), unit: "ms",
                             context: ["searches": "\(values.count)"])
            }
        }
    }
}

import PulseObservability

/// The worker's figures on `GET /metrics`: jobs running in this process, pages and items
/// committed, and runs ended by outcome.
public struct JobMetrics: Sendable {
    let running: Gauge
    let pages: Counter
    let items: Counter
    let ended: MetricFamily<Counter>

    public init(registry: MetricsRegistry) {
        running = registry.gauge("pulse_etl_jobs_running", help: "Jobs this process is running now.").unlabelled
        pages = registry.counter("pulse_etl_pages_committed_total", help: "Pages committed (rows and checkpoint in one transaction).").unlabelled
        items = registry.counter("pulse_etl_items_committed_total", help: "Items committed with those pages.").unlabelled
        ended = registry.counter("pulse_etl_job_runs_ended_total",
                                 help: "Runs this process ended, by outcome (succeeded, failed, paused, cancelled, retry, lease_lost).",
                                 labels: ["outcome"])
    }

    func ended(_ outcome: String) { ended.labels(outcome).increment() }
}

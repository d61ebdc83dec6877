import PulseHTTP
import PulseObservability

/// Feeds the HTTP server's events into Prometheus metrics:
/// `pulse_http_requests_total{method,route,status}`, `pulse_http_request_duration_seconds{method,route}`,
/// `pulse_http_request_body_bytes_total` / `pulse_http_response_body_bytes_total` `{route}`,
/// `pulse_http_open_connections`, `pulse_websocket_sessions`.
///
/// Route labels are the router's patterns (`/users/:id`), never raw paths, so label
/// cardinality stays bounded; requests no route matched count under `route="unmatched"`.
public struct HTTPMetricsObserver: HTTPServerObserver {
    private let requests: MetricFamily<Counter>
    private let duration: MetricFamily<Histogram>
    private let requestBytes: MetricFamily<Counter>
    private let responseBytes: MetricFamily<Counter>
    private let connections: Gauge
    private let sessions: Gauge

    /// Registers the families in `registry`.
    public init(registry: MetricsRegistry) {
        requests = registry.counter("pulse_http_requests_total", help: "HTTP requests answered, by method, route pattern and status.",
                                    labels: ["method", "route", "status"])
        duration = registry.histogram("pulse_http_request_duration_seconds",
                                      help: "Time from the end of the request head to the response being queued, in seconds.",
                                      labels: ["method", "route"])
        requestBytes = registry.counter("pulse_http_request_body_bytes_total", help: "Request body bytes received, by route pattern.",
                                        labels: ["route"])
        responseBytes = registry.counter("pulse_http_response_body_bytes_total", help: "Response body bytes sent, by route pattern.",
                                         labels: ["route"])
        connections = registry.gauge("pulse_http_open_connections", help: "Open HTTP connections (including upgraded ones).").unlabelled
        sessions = registry.gauge("pulse_websocket_sessions", help: "Open WebSocket (upgraded) connections.").unlabelled
    }

    public func connectionOpened() { connections.increment() }
    public func connectionClosed() { connections.decrement() }
    public func upgradedConnectionOpened() { sessions.increment() }
    public func upgradedConnectionClosed() { sessions.decrement() }

    public func requestFinished(_ record: HTTPRequestRecord) {
        let route = record.routePattern ?? "unmatched"
        requests.labels(record.method, route, String(record.status)).increment()
        let parts = record.duration.components
        duration.labels(record.method, route).observe(Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
        if record.requestBodyBytes > 0 { requestBytes.labels(route).increment(by: record.requestBodyBytes) }
        responseBytes.labels(route).increment(by: record.responseBodyBytes)
    }
}

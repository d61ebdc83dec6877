import PulseTestSupport
import Testing
@testable import PulseObservability

@Test func expositionParsesAndCarriesValues() throws {
    let registry = MetricsRegistry()
    let requests = registry.counter("pulse_http_requests_total", help: "Requests.\nBy route \\ status.",
                                    labels: ["route", "status"])
    requests.labels("/api/v1/items/:id", "200").increment()
    requests.labels("/api/v1/items/:id", "200").increment(by: 2)
    requests.labels("/weird\"route\\\n", "500").increment()
    registry.gauge("pulse_open_connections", help: "Open connections.").unlabelled.set(3)
    let latency = registry.histogram("pulse_http_request_duration_seconds", help: "Latency.",
                                     labels: ["route"], buckets: [0.01, 0.1, 1])
    for v in [0.005, 0.05, 0.05, 0.5, 7.0] { latency.labels("/health").observe(v) }

    let text = registry.render()
    let parsed = try ExpositionParser(text)
    #expect(parsed.types == ["pulse_http_requests_total": "counter", "pulse_open_connections": "gauge",
                             "pulse_http_request_duration_seconds": "histogram"])
    #expect(text.contains("# HELP pulse_http_requests_total Requests.\\nBy route \\\\ status.\n"))
    #expect(parsed.samples.contains(.init(name: "pulse_http_requests_total",
                                          labels: ["route": "/api/v1/items/:id", "status": "200"], value: 3)))
    #expect(parsed.samples.contains(.init(name: "pulse_http_requests_total",
                                          labels: ["route": "/weird\"route\\\n", "status": "500"], value: 1)))
    #expect(parsed.samples.contains(.init(name: "pulse_open_connections", labels: [:], value: 3)))
    let buckets = parsed.samples.filter { $0.name == "pulse_http_request_duration_seconds_bucket" }
    #expect(buckets.map { $0.labels["le"]! } == ["0.01", "0.1", "1", "+Inf"])
    #expect(buckets.map(\.value) == [1, 3, 4, 5])
    #expect(parsed.samples.contains(.init(name: "pulse_http_request_duration_seconds_count", labels: ["route": "/health"], value: 5)))
    let sum = try #require(parsed.samples.first { $0.name == "pulse_http_request_duration_seconds_sum" })
    #expect(abs(sum.value - 7.605) < 1e-9)
}

@Test func registrationIsIdempotentByName() {
    let registry = MetricsRegistry()
    let a = registry.counter("x_total", help: "x")
    let b = registry.counter("x_total", help: "x")
    #expect(a === b)
    a.unlabelled.increment()
    #expect(b.unlabelled.value == 1)
}

@Test func concurrentUpdatesAreNotLost() async {
    let registry = MetricsRegistry()
    let counter = registry.counter("hits_total", help: "h", labels: ["k"])
    let gauge = registry.gauge("g", help: "g").unlabelled
    let histogram = registry.histogram("h", help: "h").unlabelled
    await withTaskGroup(of: Void.self) { group in
        for t in 0..<8 {
            group.addTask {
                for i in 0..<5_000 {
                    counter.labels("k\(i % 4)").increment()
                    gauge.increment()
                    histogram.observe(Double(t))
                }
            }
        }
    }
    #expect((0..<4).map { counter.labels("k\($0)").value }.reduce(0, +) == 40_000)
    #expect(gauge.value == 40_000)
    #expect(histogram.count == 40_000)
}

@Test(arguments: [("ok_name", true), ("ns:sub_total", true), ("9lives", false), ("has-dash", false), ("", false)])
func metricNameValidation(name: String, valid: Bool) {
    #expect(PrometheusText.isValidMetricName(name) == valid)
}

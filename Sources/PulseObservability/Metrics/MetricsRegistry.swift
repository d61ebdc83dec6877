import Synchronization

/// A process's Prometheus metrics: families of counters, gauges and histograms, rendered in the
/// text exposition format 0.0.4 by ``render()``.
///
/// Registration is idempotent by name, so two modules asking for the same family share it.
/// Thread-safe; on the hot path keep the child returned by `labels(…)` and update it directly
/// (an atomic add for counters and gauges, a short lock for histograms).
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``render()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let families = Mutex<[any RenderableFamily]>([])

    /// Creates an empty registry.
    public init() {}

    /// The counter family `name` (register on first call).
    /// - Parameters:
    ///   - name: A Prometheus metric name, conventionally ending in `_total`.
    ///   - labels: Label names; children are picked by values in the same order.
    public func counter(_ name: String, help: String, labels: [String] = []) -> MetricFamily<Counter> {
        family(name, help: help, labels: labels) { MetricFamily<Counter>(name: name, help: help, labelNames: labels) }
    }

    /// The gauge family `name` (register on first call).
    public func gauge(_ name: String, help: String, labels: [String] = []) -> MetricFamily<Gauge> {
        family(name, help: help, labels: labels) { MetricFamily<Gauge>(name: name, help: help, labelNames: labels) }
    }

    /// The histogram family `name` (register on first call).
    /// - Parameter buckets: Upper bounds, ascending; `+Inf` is implicit.
    public func histogram(
        _ name: String, help: String, labels: [String] = [], buckets: [Double] = Histogram.defaultBuckets
    ) -> MetricFamily<Histogram> {
        precondition(!labels.contains("le"), "'le' is reserved for histogram buckets")
        return family(name, help: help, labels: labels) {
            MetricFamily<Histogram>(name: name, help: help, labelNames: labels,
                                    configuration: Histogram.Buckets(buckets))
        }
    }

    private func family<F: RenderableFamily>(
        _ name: String, help: String, labels: [String], make: () -> F
    ) -> F {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name '\(name)'")
        for label in labels {
            precondition(PrometheusText.isValidLabelName(label), "invalid label name '\(label)'")
        }
        return families.withLock { list in
            if let existing = list.first(where: { $0.name == name }) {
                guard let typed = existing as? F, typed.labelNames == labels else {
                    preconditionFailure("metric '\(name)' registered twice with different type or labels")
                }
                return typed
            }
            let created = make()
            list.append(created)
            return created
        }
    }

    /// The whole registry in the Prometheus text format, families in registration order.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for family in snapshot { family.render(into: &out) }
        return out
    }
}

/// A family that can print itself; implemented by ``MetricFamily``.
protocol RenderableFamily: AnyObject, Sendable {
    var name: String { get }
    var labelNames: [String] { get }
    func render(into out: inout String)
}

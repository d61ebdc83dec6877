import Synchronization

/// One kind of metric child: a counter, gauge or histogram with fixed label values.
public protocol PrometheusMetric: AnyObject, Sendable {
    /// Per-family settings (histogram buckets; nothing for counters and gauges).
    associatedtype Configuration: Sendable
    /// The `# TYPE` word.
    static var typeName: String { get }
    init(configuration: Configuration)
    /// Appends this child's sample lines; `labels` is the rendered `a="x",b="y"` list (may be empty).
    func appendSamples(name: String, labels: String, into out: inout String)
}

/// A named metric with label names; `labels(…)` returns (and caches) the child for a set of values.
public final class MetricFamily<Metric: PrometheusMetric>: RenderableFamily, Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names, in order.
    public let labelNames: [String]
    private let configuration: Metric.Configuration
    private let children = Mutex<[[String]: Metric]>([:])

    init(name: String, help: String, labelNames: [String], configuration: Metric.Configuration) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.configuration = configuration
    }

    /// The child for `values` (one per label name, in order), created on first use.
    public func labels(_ values: String...) -> Metric {
        labels(values)
    }

    /// The child for `values` (one per label name, in order), created on first use.
    public func labels(_ values: [String]) -> Metric {
        precondition(values.count == labelNames.count,
                     "metric '\(name)' takes \(labelNames.count) label values, got \(values.count)")
        return children.withLock { map in
            if let child = map[values] { return child }
            let child = Metric(configuration: configuration)
            map[values] = child
            return child
        }
    }

    func render(into out: inout String) {
        out.append("# HELP \(name) \(PrometheusText.escapeHelp(help))\n")
        out.append("# TYPE \(name) \(Metric.typeName)\n")
        let snapshot = children.withLock { $0 }
        for values in snapshot.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let rendered = zip(labelNames, values)
                .map { "\($0)=\"\(PrometheusText.escapeLabelValue($1))\"" }
                .joined(separator: ",")
            snapshot[values]!.appendSamples(name: name, labels: rendered, into: &out)
        }
    }
}

extension MetricFamily where Metric.Configuration == Void {
    convenience init(name: String, help: String, labelNames: [String]) {
        self.init(name: name, help: help, labelNames: labelNames, configuration: ())
    }
}

extension MetricFamily {
    /// The child with no labels, for families declared without label names.
    public var unlabelled: Metric { labels([]) }
}

/// Pieces of the Prometheus text exposition format 0.0.4.
enum PrometheusText {
    /// `name{labels} value\n`, without braces when there are no labels.
    static func sample(_ name: String, labels: String, value: String) -> String {
        labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(labels)} \(value)\n"
    }

    /// A float as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, integers without a fraction.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out.append("\\\\")
            case "\"": out.append("\\\"")
            case "\n": out.append("\\n")
            default: out.append(ch)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        var out = ""
        for ch in help {
            switch ch {
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            default: out.append(ch)
            }
        }
        return out
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        isIdentifier(name, extra: 0x3A)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
    static func isValidLabelName(_ name: String) -> Bool {
        isIdentifier(name, extra: nil) && !name.hasPrefix("__")
    }

    private static func isIdentifier(_ s: String, extra: UInt8?) -> Bool {
        guard !s.isEmpty else { return false }
        for (i, b) in s.utf8.enumerated() {
            let letter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == extra
            let digit = b >= 0x30 && b <= 0x39
            if !(letter || (i > 0 && digit)) { return false }
        }
        return true
    }
}

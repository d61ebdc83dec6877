import Testing

/// A strict reader of the Prometheus text format 0.0.4, independent of the writer: every sample
/// must follow its family's `# TYPE`, names and label syntax must be valid, values must parse.
public struct ExpositionParser {
    public struct Sample: Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        public init(name: String, labels: [String: String], value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }
    public var types: [String: String] = [:]
    public var help: [String: String] = [:]
    public var samples: [Sample] = []

    public init(_ text: String) throws {
        #expect(text.hasSuffix("\n"))
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                help[name] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 4 && ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]))
                try #require(types[String(parts[2])] == nil, "family declared twice")
                types[String(parts[2])] = String(parts[3])
                current = String(parts[2])
            } else {
                let sample = try Self.sample(String(line))
                let family = try #require(current, "sample before any TYPE: \(line)")
                let suffixes = types[family] == "histogram" ? ["_bucket", "_sum", "_count"] : [""]
                try #require(suffixes.contains { sample.name == family + $0 }, "\(sample.name) outside \(family)")
                samples.append(sample)
            }
        }
    }

    public static func sample(_ line: String) throws -> Sample {
        var i = line.startIndex
        while i < line.endIndex, line[i] != "{", line[i] != " " { i = line.index(after: i) }
        let name = String(line[..<i])
        try #require(name.wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*/) != nil, "bad name \(name)")
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while line[i] != "}" {
                let nameStart = i
                while line[i] != "=" { i = line.index(after: i) }
                let label = String(line[nameStart..<i])
                try #require(label.wholeMatch(of: /[a-zA-Z_][a-zA-Z0-9_]*/) != nil)
                i = line.index(after: i)
                try #require(line[i] == "\"")
                i = line.index(after: i)
                var value = ""
                while line[i] != "\"" {
                    if line[i] == "\\" {
                        i = line.index(after: i)
                        switch line[i] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: Issue.record("bad escape in \(line)")
                        }
                    } else {
                        value.append(line[i])
                    }
                    i = line.index(after: i)
                }
                labels[label] = value
                i = line.index(after: i)
                if line[i] == "," { i = line.index(after: i) }
            }
            i = line.index(after: i)
        }
        try #require(line[i] == " ")
        let text = line[line.index(after: i)...]
        let value: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        return Sample(name: name, labels: labels, value: try #require(value, "bad value in \(line)"))
    }
}

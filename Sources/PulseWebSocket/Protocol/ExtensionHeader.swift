/// One element of a `Sec-WebSocket-Extensions` header: a name and its parameters.
public struct WebSocketExtensionElement: Sendable, Equatable {
    public var name: String
    /// Parameters in order; a value is nil when the parameter had none.
    public var parameters: [Parameter]

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String?
        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// Parses one or more header values (RFC 6455 §9.1 grammar; quoted values allowed).
    /// Returns nil on a syntax error so the caller can decline rather than guess.
    public static func parse(_ headerValues: [String]) -> [WebSocketExtensionElement]? {
        var result: [WebSocketExtensionElement] = []
        for value in headerValues {
            for element in splitOutsideQuotes(value, separator: ",") {
                let trimmed = element.trimmingSpaces
                if trimmed.isEmpty { continue }
                let parts = splitOutsideQuotes(trimmed, separator: ";").map(\.trimmingSpaces)
                guard let name = parts.first, isToken(name) else { return nil }
                var params: [Parameter] = []
                for part in parts.dropFirst() {
                    if let eq = part.firstIndex(of: "=") {
                        let key = String(part[..<eq]).trimmingSpaces
                        var val = String(part[part.index(after: eq)...]).trimmingSpaces
                        if val.count >= 2 && val.hasPrefix("\"") && val.hasSuffix("\"") {
                            val = String(val.dropFirst().dropLast())
                        }
                        guard isToken(key), isToken(val) else { return nil }
                        params.append(Parameter(name: key.lowercased(), value: val))
                    } else {
                        guard isToken(part) else { return nil }
                        params.append(Parameter(name: part.lowercased()))
                    }
                }
                result.append(WebSocketExtensionElement(name: name.lowercased(), parameters: params))
            }
        }
        return result
    }

    /// The header text for this element, e.g. `permessage-deflate; server_max_window_bits=10`.
    public var headerValue: String {
        ([name] + parameters.map { p in p.value.map { "\(p.name)=\($0)" } ?? p.name }).joined(separator: "; ")
    }

    private static func splitOutsideQuotes(_ s: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for ch in s {
            if ch == "\"" { quoted.toggle() }
            if ch == separator && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            c > 0x20 && c < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains(c)
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

import PulseHTTP

/// The client address behind trusted proxies (issue 13 item 7): walk `X-Forwarded-For` (or
/// RFC 7239 `Forwarded: for=`) from the right, skipping trusted proxies; the first address
/// that is not one is the client. Only when the direct peer is trusted is any header read.
enum ForwardedAddress {
    static func client(peer: String, headers: HTTPHeaders, trustedProxies: Set<String>) -> String {
        guard trustedProxies.contains(peer) else { return peer }
        var hops: [String] = []
        if let forwarded = headers["Forwarded"] {
            for element in forwarded.split(separator: ",") {
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, parts[0].lowercased() == "for" else { continue }
                    hops.append(unwrap(parts[1]))
                }
            }
        } else if let list = headers["X-Forwarded-For"] {
            hops = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        for hop in hops.reversed() where !hop.isEmpty && !trustedProxies.contains(hop) {
            return String(hop.prefix(64))
        }
        return peer
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`; `"192.0.2.1:80"` → `192.0.2.1`.
    private static func unwrap(_ value: String) -> String {
        var text = value
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<end]) }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return text
    }
}

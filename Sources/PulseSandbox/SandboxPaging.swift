/// GitHub's page-number paging: `per_page` (default 30, at most 100), `page` (from 1) and the
/// `Link` header with `prev`, `next`, `last`, `first` as absolute URLs built from the request.
struct GitHubPage {
    let perPage: Int
    let page: Int

    init(_ request: SandboxRequest) {
        perPage = min(max(Int(request.query("per_page") ?? "") ?? 30, 1), 100)
        page = max(Int(request.query("page") ?? "") ?? 1, 1)
    }

    /// The items of this page and the `Link` header (nil when everything fits on one page).
    func slice<T>(_ items: [T], request: SandboxRequest) -> (items: ArraySlice<T>, link: String?) {
        let lastPage = max(1, (items.count + perPage - 1) / perPage)
        let from = min((page - 1) * perPage, items.count)
        let to = min(from + perPage, items.count)
        guard items.count > perPage || page > 1 else { return (items[from..<to], nil) }
        var rels: [String] = []
        func url(_ p: Int) -> String { "<\(request.absoluteURL(replacing: "page", with: String(p)))>" }
        if page > 1 { rels.append("\(url(min(page - 1, lastPage))); rel=\"prev\"") }
        if page < lastPage { rels.append("\(url(page + 1)); rel=\"next\""); rels.append("\(url(lastPage)); rel=\"last\"") }
        if page > 1 { rels.append("\(url(1)); rel=\"first\"") }
        return (items[from..<to], rels.isEmpty ? nil : rels.joined(separator: ", "))
    }
}

/// The parts of a request the handlers read, with the vendor prefix (`/api/v3`) taken off.
struct SandboxRequest: Sendable {
    let method: String
    /// Path without the Enterprise prefix.
    let path: String
    let prefix: String
    let queryItems: [(String, String)]
    let host: String
    let headers: [(String, String)]
    let body: [UInt8]

    func query(_ name: String) -> String? { queryItems.first { $0.0 == name }?.1 }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// `http://host/prefix/path` (the API base as the client addressed it).
    var apiBase: String { "http://\(host)\(prefix)" }
    var webBase: String { "http://\(host)" }

    /// This request's absolute URL with one query item replaced (or appended).
    func absoluteURL(replacing name: String, with value: String) -> String {
        var items = queryItems
        if let i = items.firstIndex(where: { $0.0 == name }) { items[i].1 = value } else { items.append((name, value)) }
        let query = items.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return "\(apiBase)\(path)?\(query)"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E, 0x2C, 0x3A: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

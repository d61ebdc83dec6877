/// The subset of JQL the connectors send: `project = X` / `project in (A, B)`, `key`, `id`,
/// `issuetype` / `type`, `updated` / `created` compared with `>=`, `>`, `<=`, `<`, `=` to a
/// `"yyyy/MM/dd HH:mm"` (or `yyyy-MM-dd[ HH:mm]`) literal read in the user's time zone
/// (Europe/Berlin), joined by `AND`, then `ORDER BY field [ASC|DESC], ...`. Anything else is a
/// 400 naming what is not understood; a query with no project, key, id or date bound is
/// refused as Jira refuses unbounded JQL.
struct JiraQuery {
    var projects: Set<String>?
    var keys: Set<String>?
    var ids: Set<Int64>?
    var types: Set<String>?
    /// (field, operator, epoch seconds)
    var times: [(String, String, Int64)] = []
    var order: [(String, Bool)] = []

    enum ParseError: Error { case message(String) }

    static func parse(_ text: String) throws(ParseError) -> JiraQuery {
        var tokens = tokenize(text)
        var query = JiraQuery()
        var i = 0
        func next() -> String? { i < tokens.count ? tokens[i] : nil }
        func take() -> String? { defer { i += 1 }; return next() }
        func values() throws(ParseError) -> [String] {
            if next() == "(" {
                i += 1
                var out: [String] = []
                while let t = take(), t != ")" { if t != "," { out.append(t) } }
                return out
            }
            guard let v = take() else { throw .message("Error in the JQL Query: Expecting a value but reached the end of the query.") }
            return [v]
        }
        if tokens.isEmpty { throw .message("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.") }
        tokens = tokens.map { $0 }
        while let field = take() {
            let lower = field.lowercased()
            if lower == "order", next()?.lowercased() == "by" {
                i += 1
                while let f = take() {
                    if f == "," { continue }
                    var ascending = true
                    if let d = next()?.lowercased(), d == "asc" || d == "desc" { ascending = d == "asc"; i += 1 }
                    guard ["updated", "created", "key", "id"].contains(f.lowercased()) else { throw .message("Error in the JQL Query: Not able to sort using field '\(f)'.") }
                    query.order.append((f.lowercased(), ascending))
                }
                break
            }
            if lower == "and" { continue }
            if lower == "or" { throw .message("Error in the JQL Query: the sandbox understands AND only.") }
            guard let op = take()?.lowercased() else { throw .message("Error in the JQL Query: Expecting an operator after '\(field)'.") }
            switch lower {
            case "project":
                guard op == "=" || op == "in" else { throw .message("Error in the JQL Query: Expecting '=' or 'in' after 'project'.") }
                query.projects = Set(try values().map { $0.uppercased() })
            case "key", "issuekey":
                query.keys = Set(try values().map { $0.uppercased() })
            case "id":
                query.ids = Set(try values().compactMap { Int64($0) })
            case "issuetype", "type":
                query.types = Set(try values().map { $0.lowercased() })
            case "updated", "created":
                guard [">=", ">", "<=", "<", "="].contains(op), let literal = take() else {
                    throw .message("Error in the JQL Query: Expecting a date comparison after '\(field)'.")
                }
                guard let t = berlinDate(literal) else {
                    throw .message("Date value '\(literal)' for field '\(lower)' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")
                }
                query.times.append((lower, op, t))
            default:
                throw .message("Field '\(field)' does not exist or you do not have permission to view it.")
            }
        }
        if query.projects == nil && query.keys == nil && query.ids == nil && query.times.isEmpty {
            throw .message("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
        }
        return query
    }

    func matches(_ issue: SandboxIssue) -> Bool {
        if let p = projects, !p.contains(issue.projectKey) { return false }
        if let k = keys, !k.contains(issue.key) { return false }
        if let ids, !ids.contains(issue.id) { return false }
        if let t = types, !t.contains(issue.typeName.lowercased()) { return false }
        for (field, op, bound) in times {
            // JQL compares at minute precision.
            let v = (field == "updated" ? issue.updated : issue.created) / 60 * 60
            switch op {
            case ">=": if v < bound { return false }
            case ">": if v <= bound { return false }
            case "<=": if v > bound { return false }
            case "<": if v >= bound { return false }
            default: if v != bound { return false }
            }
        }
        return true
    }

    /// The positions in `issues` of the matching issues, in the query's order.
    func positions(in issues: [SandboxIssue]) -> [Int] {
        let order = self.order.isEmpty ? [("key", true)] : self.order
        return issues.indices.filter { matches(issues[$0]) }.sorted { ia, ib in
            let a = issues[ia], b = issues[ib]
            for (field, ascending) in order {
                let (x, y) = ascending ? (a, b) : (b, a)
                switch field {
                case "updated": if x.updated != y.updated { return x.updated < y.updated }
                case "created": if x.created != y.created { return x.created < y.created }
                default:
                    let kx = (x.projectKey, x.id), ky = (y.projectKey, y.id)
                    if kx != ky { return kx < ky }
                }
            }
            return a.id < b.id
        }
    }

    /// `2026/05/01 13:45`, `2026-05-01 13:45`, `2026/05/01`, `2026-05-01` in Europe/Berlin.
    static func berlinDate(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0) }
        guard parts.count == 3 || parts.count == 5, parts.allSatisfy({ $0 != nil }) else { return nil }
        let v = parts.map { $0! }
        guard (1...12).contains(v[1]), (1...31).contains(v[2]) else { return nil }
        return SandboxTime.fromBerlin(year: v[0], month: v[1], day: v[2], hour: v.count == 5 ? v[3] : 0, minute: v.count == 5 ? v[4] : 0)
    }

    static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        func flush() { if !current.isEmpty { out.append(current); current = "" } }
        for ch in text {
            if let q = quote {
                if ch == q { out.append(current); current = ""; quote = nil } else { current.append(ch) }
                continue
            }
            switch ch {
            case "\"", "'": flush(); quote = ch
            case " ", "\t", "\n": flush()
            case "(", ")", ",": flush(); out.append(String(ch))
            case "=", ">", "<", "!":
                if let last = current.last, "<>!".contains(last), ch == "=" { current.append(ch); flush() }
                else { flush(); current.append(ch); if ch == "=" { flush() } }
            default:
                if let last = current.last, "<>".contains(last) { flush() }
                current.append(ch)
            }
        }
        flush()
        return out
    }
}

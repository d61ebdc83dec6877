import Foundation

/// The Jira Cloud endpoints (`/rest/api/3`, `/rest/agile/1.0`) over the generated site.
extension SandboxServer {
    func jiraRoute(_ request: SandboxRequest, organisation org: SandboxOrganisation) -> SandboxReply {
        let jira = org.jira
        let p = SandboxJiraPayloads(base: request.webBase, jira: jira)
        let parts = request.path.split(separator: "/").map(String.init)
        let isPost = request.method == "POST"
        if parts.count >= 3, parts[0] == "rest", parts[1] == "agile", parts[2] == "1.0" {
            return agileRoute(Array(parts.dropFirst(3)), request, jira: jira, payloads: p)
        }
        guard parts.count >= 3, parts[0] == "rest", parts[1] == "api", parts[2] == "3" else {
            return Self.jiraError("No resource at \(request.path).", status: 404)
        }
        let rest = Array(parts.dropFirst(3))
        if request.method == "GET", rest.count == 2 || (rest.count == 3 && rest[2] == "changelog"), rest[0] == "issue" {
            guard let issue = jira.issue(rest[1]) else { return Self.jiraError("Issue does not exist or you do not have permission to see it.", status: 404) }
            if rest.count == 3 { return offsetPage(issue.histories, request, defaultSize: 100, cap: 100) { p.history($0) } }
            let expand = Set((request.query("expand") ?? "").split(separator: ",").map(String.init))
            return .json(p.issue(issue, fields: Self.fieldSet(request.query("fields"), default: nil), changelog: expand.contains("changelog"),
                                 names: expand.contains("names")))
        }
        switch (request.method, rest) {
        case ("GET", ["myself"]): return .json(p.myself())
        case ("GET", ["serverInfo"]): return .json(p.serverInfo(now: Int64(Date().timeIntervalSince1970)))
        case ("GET", ["project", "search"]):
            return offsetPage(jira.projects, request, defaultSize: 50, cap: 100) { p.project($0) }
        case ("GET", ["issuetype"]): return .json(.array(jira.issueTypes.map(p.issueType)))
        case ("GET", ["status"]): return .json(.array(jira.statuses.map(p.status)))
        case ("GET", ["statuscategory"]): return .json(p.statusCategories())
        case ("GET", ["statuses", "search"]):
            return offsetPage(jira.statuses, request, defaultSize: 200, cap: 200) { p.statusSearchItem($0) }
        case ("GET", ["field"]): return .json(p.fields())
        case (_, ["search"]):
            return Self.jiraError("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046", status: 410)
        case ("GET", ["search", "jql"]), ("POST", ["search", "jql"]):
            return searchJQL(request, isPost: isPost, jira: jira, generation: org.generation, payloads: p)
        case ("POST", ["changelog", "bulkfetch"]):
            return bulkFetch(request, jira: jira, payloads: p)
        default:
            return Self.jiraError("No resource at \(request.path) for \(request.method).", status: 404)
        }
    }

    /// Jira's offset pages: `{isLast, maxResults, nextPage?, self, startAt, total, values}`.
    func offsetPage<T>(_ items: [T], _ request: SandboxRequest, defaultSize: Int, cap: Int, agile: Bool = false,
                       _ render: (T) -> SandboxJSON) -> SandboxReply {
        let startAt = max(0, Int(request.query("startAt") ?? "") ?? 0)
        let size = min(max(Int(request.query("maxResults") ?? "") ?? defaultSize, 0), cap)
        let from = min(startAt, items.count), to = min(from + size, items.count)
        let isLast = to >= items.count
        let values = SandboxJSON.array(items[from..<to].map(render))
        if agile {
            return .json(["maxResults": .number(size), "startAt": .number(startAt), "total": .number(items.count), "isLast": .bool(isLast), "values": values])
        }
        let selfURL = request.absoluteURL(replacing: "startAt", with: String(startAt))
        var f: [(String, SandboxJSON)] = [("isLast", .bool(isLast)), ("maxResults", .number(size))]
        if !isLast { f.append(("nextPage", .string(request.absoluteURL(replacing: "startAt", with: String(to))))) }
        f += [("self", .string(selfURL)), ("startAt", .number(startAt)), ("total", .number(items.count)), ("values", values)]
        return .json(.object(f))
    }

    /// `fields=` as a set of field ids; nil = all. `*all` / `*navigable` = all.
    static func fieldSet(_ list: [String]?, default fallback: Set<String>?) -> Set<String>? {
        guard let list, !list.isEmpty else { return fallback }
        if list.contains("*all") || list.contains("*navigable") { return nil }
        return Set(list.filter { !$0.hasPrefix("-") })
    }

    static func fieldSet(_ text: String?, default fallback: Set<String>?) -> Set<String>? {
        fieldSet(text.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: " ") } }, default: fallback)
    }

    func searchJQL(_ request: SandboxRequest, isPost: Bool, jira: SandboxJira, generation: Int, payloads p: SandboxJiraPayloads) -> SandboxReply {
        var jql = request.query("jql") ?? ""
        var token = request.query("nextPageToken")
        var maxResults = Int(request.query("maxResults") ?? "")
        var fieldList = request.query("fields").map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: " ") } }
        var expand = (request.query("expand") ?? "").split(separator: ",").map(String.init)
        if isPost {
            guard let body = SandboxJSON.parse(request.body) else { return Self.jiraError("Invalid request payload. Refer to the REST API documentation and try again.", status: 400) }
            jql = body["jql"]?.stringValue ?? ""
            token = body["nextPageToken"]?.stringValue
            maxResults = body["maxResults"]?.intValue.map(Int.init)
            fieldList = body["fields"]?.arrayValue?.compactMap(\.stringValue)
            if let e = body["expand"]?.stringValue { expand = e.split(separator: ",").map(String.init) }
            if let e = body["expand"]?.arrayValue { expand = e.compactMap(\.stringValue) }
        }
        let query: JiraQuery
        do { query = try JiraQuery.parse(jql) } catch { if case .message(let m) = error { return Self.jiraError(m, status: 400) }; return Self.jiraError("Bad JQL.", status: 400) }
        let fields = Self.fieldSet(fieldList, default: ["id"])
        let onlyIDs = fields.map { $0.isSubset(of: ["id", "key"]) } ?? false
        let size = min(max(maxResults ?? 50, 1), onlyIDs ? 5_000 : 100)
        let fingerprint = String(Self.digest(Array((jql + "|" + (fieldList ?? []).joined(separator: ",")).utf8)).prefix(10))
        var offset = 0
        if let token {
            let pieces = token.split(separator: "-")
            guard pieces.count == 2, pieces[0] == fingerprint, let o = Int(pieces[1]) else {
                return Self.jiraError("The provided next page token is invalid or expired.", status: 400)
            }
            offset = o
        }
        let cacheKey = "\(jira.issues.count):\(jql)"
        let matching = state.withLock { s -> [Int]? in
            guard let hit = s.searchCache[cacheKey], hit.generation == generation else { return nil }
            return hit.positions
        } ?? {
            let positions = query.positions(in: jira.issues)
            state.withLock { s in
                if s.searchCache.count > 64 { s.searchCache.removeAll() }
                s.searchCache[cacheKey] = (generation, positions)
            }
            return positions
        }()
        let page = matching.dropFirst(offset).prefix(size).map { jira.issues[$0] }
        let isLast = offset + page.count >= matching.count
        let changelog = expand.contains("changelog")
        let issues: [SandboxJSON] = page.map { issue in
            if fields == ["id"] && !changelog { return ["id": .string(String(issue.id))] }
            return p.issue(issue, fields: fields, changelog: changelog, names: false)
        }
        var out: [(String, SandboxJSON)] = [("isLast", .bool(isLast)), ("issues", .array(issues))]
        if !isLast { out.append(("nextPageToken", .string("\(fingerprint)-\(offset + page.count)"))) }
        return .json(.object(out))
    }

    /// `POST /changelog/bulkfetch` `{issueIdsOrKeys, fieldIds?, maxResults?, nextPageToken?}`: the
    /// issues' histories oldest first, paged over histories (default and cap 1000).
    func bulkFetch(_ request: SandboxRequest, jira: SandboxJira, payloads p: SandboxJiraPayloads) -> SandboxReply {
        guard let body = SandboxJSON.parse(request.body), let wanted = body["issueIdsOrKeys"]?.arrayValue?.compactMap(\.stringValue), !wanted.isEmpty else {
            return Self.jiraError("issueIdsOrKeys: must not be empty.", status: 400)
        }
        guard wanted.count <= 1_000 else { return Self.jiraError("issueIdsOrKeys: at most 1000 issues.", status: 400) }
        let fieldIDs = Set(body["fieldIds"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let size = min(max(Int(body["maxResults"]?.intValue ?? 1_000), 1), 1_000)
        let offset = body["nextPageToken"]?.stringValue.flatMap { Int($0.dropFirst(3)) } ?? 0
        var flat: [(SandboxIssue, SandboxHistory)] = []
        for key in wanted {
            guard let issue = jira.issue(key) else { continue }
            for h in issue.histories {
                var h = h
                if !fieldIDs.isEmpty { h.items = h.items.filter { fieldIDs.contains($0.fieldID) } }
                if !h.items.isEmpty { flat.append((issue, h)) }
            }
        }
        let page = flat.dropFirst(offset).prefix(size)
        var groups: [(Int64, [SandboxJSON])] = []
        for (issue, h) in page {
            if groups.last?.0 == issue.id { groups[groups.count - 1].1.append(p.history(h, createdAsNumber: true)) }
            else { groups.append((issue.id, [p.history(h, createdAsNumber: true)])) }
        }
        var out: [(String, SandboxJSON)] = [("issueChangeLogs", .array(groups.map { ["changeHistories": .array($0.1), "issueId": .string(String($0.0))] }))]
        if offset + page.count < flat.count { out.append(("nextPageToken", .string("bf-\(offset + page.count)"))) }
        return .json(.object(out))
    }

    func agileRoute(_ rest: [String], _ request: SandboxRequest, jira: SandboxJira, payloads p: SandboxJiraPayloads) -> SandboxReply {
        func sprintIssues(_ sprintID: Int) -> SandboxReply {
            guard jira.sprints.contains(where: { $0.id == sprintID }) else { return Self.jiraError("The requested sprint cannot be viewed because it either does not exist or you do not have permission to view it.", status: 404) }
            let issues = jira.issues.filter { $0.sprintIDs.contains(sprintID) }
            let startAt = max(0, Int(request.query("startAt") ?? "") ?? 0)
            let size = min(max(Int(request.query("maxResults") ?? "") ?? 50, 0), 50)
            let page = issues.dropFirst(startAt).prefix(size)
            let fields = Self.fieldSet(request.query("fields"), default: nil)
            return .json(["expand": "names,schema", "startAt": .number(startAt), "maxResults": .number(size), "total": .number(issues.count),
                          "issues": .array(page.map { p.issue($0, fields: fields, changelog: false, agile: true) })])
        }
        switch rest {
        case ["board"]:
            let boards = jira.boards.filter { b in
                (request.query("type").map { $0 == b.type } ?? true) && (request.query("projectKeyOrId").map { $0.uppercased() == b.projectKey } ?? true)
            }
            return offsetPage(boards, request, defaultSize: 50, cap: 50, agile: true) { p.board($0) }
        case let r where r.count == 2 && r[0] == "board":
            guard let b = jira.boards.first(where: { String($0.id) == r[1] }) else { return Self.jiraError("Board does not exist or you do not have permission to see it.", status: 404) }
            return .json(p.board(b))
        case let r where r.count == 3 && r[0] == "board" && r[2] == "sprint":
            guard let b = jira.boards.first(where: { String($0.id) == r[1] }) else { return Self.jiraError("Board does not exist or you do not have permission to see it.", status: 404) }
            guard b.type == "scrum" else { return Self.jiraError("The board does not support sprints", status: 400) }
            let states = request.query("state").map { Set($0.split(separator: ",").map(String.init)) }
            let sprints = jira.sprints.filter { $0.boardID == b.id && (states?.contains($0.state) ?? true) }
            return offsetPage(sprints, request, defaultSize: 50, cap: 50, agile: true) { p.sprint($0) }
        case let r where r.count == 5 && r[0] == "board" && r[2] == "sprint" && r[4] == "issue":
            return sprintIssues(Int(r[3]) ?? -1)
        case let r where r.count == 2 && r[0] == "sprint":
            guard let s = jira.sprints.first(where: { String($0.id) == r[1] }) else { return Self.jiraError("The requested sprint cannot be viewed because it either does not exist or you do not have permission to view it.", status: 404) }
            return .json(p.sprint(s))
        case let r where r.count == 3 && r[0] == "sprint" && r[2] == "issue":
            return sprintIssues(Int(r[1]) ?? -1)
        default:
            return Self.jiraError("No resource at \(request.path).", status: 404)
        }
    }
}

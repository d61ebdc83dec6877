import Foundation
import PulseHTTP
@testable import PulseETL
import Synchronization

/// Virtual time shared by the connector (through `JiraClock`) and the fake Jira site: a
/// sleep advances it at once, and the site stamps each request with it, so a test proves
/// that no request left before a `Retry-After` elapsed without waiting for real.
final class JiraVirtualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var jiraClock: JiraClock { JiraClock(now: { self.now }, sleep: { self.advance($0) }) }
}

/// A small Jira Cloud site for the connector's tests, served on a real socket by PulseHTTP:
/// the fixtures' payload shapes (`/myself` is the fixture file itself), offset pages with
/// a server-side cap on `maxResults` and an empty page, token pages for `/search/jql` with
/// JQL `project = "K" [AND updated >= "yyyy/MM/dd HH:mm"]` read in the user's time zone
/// (Australia/Sydney, as in the fixture), embedded changelogs truncated to the newest three
/// histories, Agile boards and sprints, and scripted faults.
final class JiraFakeSite: Sendable {
    struct History: Sendable { var id: String; var at: Date; var from: (String, String)?; var to: (String, String) }
    struct Issue: Sendable {
        var id: String
        var key: String
        var project: String
        var summary: String
        var type: String
        var status: Int  // index into statuses
        var created: Date
        var updated: Date
        var resolved: Date?
        var storyPoints: Double?
        var labels: [String]
        var sprints: [Int]
        var repository: String?
        var histories: [History]
        /// Replaces the whole issue bean (bad-payload tests).
        var rawOverride: String?
    }
    /// A scripted answer for the next request whose path ends with `path`.
    struct Fault: Sendable { var path: String; var status: Int; var headers: [(String, String)]; var body: String }

    struct State: Sendable {
        var issues: [Issue] = []
        var faults: [Fault] = []
        var requests: [(method: String, path: String, body: String, at: Date)] = []
        var agile = true
        /// Serve `POST /changelog/bulkfetch` (else 404, as on a site without it).
        var bulk = true
        var acceptedToken = "secret-token"
    }

    static let statuses: [(id: String, name: String, category: String)] = [
        ("1", "To Do", "new"), ("3", "In Progress", "indeterminate"), ("10001", "In Review", "indeterminate"),
        ("10002", "Done", "done"), ("6", "Closed", "done"),
    ]
    static let zone = TimeZone(identifier: "Australia/Sydney")!
    static let fixtures = URL(fileURLWithPath: "/work/shared/fixtures/jira")

    let clock: JiraVirtualClock
    let state = Mutex(State())

    init(clock: JiraVirtualClock, projects: [String] = ["PAY", "WEB"], issuesPerProject: Int = 23) {
        self.clock = clock
        let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00Z
        var issues: [Issue] = []
        var id = 10_000
        for (p, project) in projects.enumerated() {
            for n in 1...issuesPerProject {
                id += 1
                let created = base.addingTimeInterval(Double(p * 1000 + n) * 3600)
                let types = ["Story", "Bug", "Task", "Incident", "Epic", "Sub-task", "Spike"]
                var histories: [History] = []
                let steps = n % 6  // 0...5 transitions: up to 5 exceed the embedded 3
                var status = 0
                for s in 0..<steps {
                    let next = [1, 2, 3, 1, 4][s]
                    histories.append(History(id: "\(id)\(s)", at: created.addingTimeInterval(Double(s + 1) * 1800),
                                             from: (Self.statuses[status].id, Self.statuses[status].name),
                                             to: (Self.statuses[next].id, Self.statuses[next].name)))
                    status = next
                }
                let updated = histories.last?.at ?? created
                issues.append(Issue(
                    id: String(id), key: "\(project)-\(n)", project: project, summary: "Ünïcode summary \(project) \(n) — ✓",
                    type: types[n % types.count], status: status, created: created, updated: updated,
                    resolved: Self.statuses[status].category == "done" ? updated : nil, storyPoints: n % 3 == 0 ? nil : Double(n % 8),
                    labels: n % 4 == 0 ? ["hotfix", "backend"] : [], sprints: n % 2 == 0 ? [p * 10 + 1] : [p * 10 + 1, p * 10 + 2],
                    repository: types[n % types.count] == "Incident" ? "acme-pay/api" : nil, histories: histories))
            }
        }
        state.withLock { $0.issues = issues }
    }

    func script(_ fault: Fault) { state.withLock { $0.faults.append(fault) } }
    var requests: [(method: String, path: String, body: String, at: Date)] { state.withLock { $0.requests } }

    /// Moves an issue to a new status now (a changelog entry and a new `updated`).
    func transition(_ key: String, to status: Int, at: Date) {
        state.withLock { s in
            guard let i = s.issues.firstIndex(where: { $0.key == key }) else { return }
            let old = s.issues[i].status
            s.issues[i].histories.append(History(id: "\(s.issues[i].id)9\(s.issues[i].histories.count)", at: at,
                                                 from: (Self.statuses[old].id, Self.statuses[old].name),
                                                 to: (Self.statuses[status].id, Self.statuses[status].name)))
            s.issues[i].status = status
            s.issues[i].updated = at
            s.issues[i].resolved = Self.statuses[status].category == "done" ? at : nil
        }
    }

    func add(_ issue: Issue) { state.withLock { $0.issues.append(issue) } }
    func mutate(_ body: @Sendable (inout State) -> Void) { state.withLock { s in body(&s) } }

    // MARK: - Responses

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.path
        let fault: Fault? = state.withLock { s in
            s.requests.append((request.method.rawValue, path, request.bodyText, clock.now))
            guard let i = s.faults.firstIndex(where: { path.hasSuffix($0.path) }) else { return nil }
            return s.faults.remove(at: i)
        }
        if let fault {
            var headers = HTTPHeaders(fault.headers)
            if !headers.contains("Content-Type") { headers.add(name: "Content-Type", value: "application/json") }
            return HTTPResponse(status: HTTPStatus(code: fault.status), headers: headers, body: .bytes(Array(fault.body.utf8)))
        }
        let accepted = state.withLock { $0.acceptedToken }
        let expected = "Basic " + Data("bot@example.com:\(accepted)".utf8).base64EncodedString()
        guard request.headers["Authorization"] == expected else {
            return json(#"{"errorMessages":["Client must be authenticated to access this resource."],"errors":{}}"#, status: 401)
        }
        switch path {
        case "/rest/api/3/myself": return file("GET_rest_api_3_myself.json")
        case "/rest/api/3/project/search": return projectSearch(request)
        case "/rest/api/3/issuetype":
            return json(jsonText(["Story", "Bug", "Task", "Incident", "Epic", "Sub-task", "Spike"].enumerated().map {
                ["id": String(10_000 + $0.offset), "name": $0.element, "subtask": $0.element == "Sub-task", "hierarchyLevel": 0] as [String: Any]
            }))
        case "/rest/api/3/status":
            return json(jsonText(Self.statuses.map { ["id": $0.id, "name": $0.name, "statusCategory": ["key": $0.category, "id": 2]] }))
        case "/rest/api/3/field":
            var fields = (try! JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("GET_rest_api_3_field.json")))) as! [[String: Any]]
            fields += [
                ["id": "customfield_10016", "name": "Story point estimate", "custom": true,
                 "schema": ["type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:jsw-story-points", "customId": 10016]],
                ["id": "customfield_10020", "name": "Sprint", "custom": true,
                 "schema": ["type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020]],
                ["id": "customfield_10050", "name": "Service repository", "custom": true, "schema": ["type": "string"]],
            ]
            return json(jsonText(fields))
        case "/rest/api/3/search/jql": return search(request)
        case "/rest/api/3/changelog/bulkfetch": return bulkfetch(request)
        case "/rest/api/3/search/approximate-count":
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
            let project = (body?["jql"] as? String).flatMap { capture(#"project = "([A-Z]+)""#, in: $0) }
            return json(#"{"count":\#(state.withLock { s in s.issues.filter { $0.project == project }.count })}"#)
        case "/rest/api/3/search": return json(#"{"errorMessages":["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."],"errors":{}}"#, status: 410)
        default: break
        }
        if path.hasPrefix("/rest/api/3/issue/"), path.hasSuffix("/changelog") { return changelog(request) }
        if path.hasPrefix("/rest/agile/1.0/") { return agile(request) }
        return json(#"{"errorMessages":["not found"],"errors":{}}"#, status: 404)
    }

    private func projectSearch(_ request: HTTPRequest) -> HTTPResponse {
        let keys = Array(Set(state.withLock { $0.issues.map(\.project) })).sorted() + ["OPS"]
        let values: [[String: Any]] = keys.enumerated().map { ["id": String(10_100 + $0.offset), "key": $0.element, "name": "Project \($0.element)", "projectTypeKey": "software"] }
        return offsetPage(request, values, cap: 2, itemsKey: "values")
    }

    /// Offset pages capped at `cap`, with one empty page (isLast false) after the first.
    private func offsetPage(_ request: HTTPRequest, _ values: [[String: Any]], cap: Int, itemsKey: String, total: Bool = true) -> HTTPResponse {
        let startAt = Int(request.query("startAt") ?? "0") ?? 0
        let asked = Int(request.query("maxResults") ?? "50") ?? 50
        let size = min(asked, cap)
        let slice = startAt < values.count ? Array(values[startAt..<min(values.count, startAt + size)]) : []
        var page: [String: Any] = ["startAt": startAt, "maxResults": size, "isLast": startAt + slice.count >= values.count, itemsKey: slice]
        if total { page["total"] = values.count }
        return json(jsonText(page))
    }

    private func search(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any], let jql = body["jql"] as? String else {
            return json(#"{"errorMessages":["Invalid request payload."],"errors":{}}"#, status: 400)
        }
        guard let project = capture(#"project = "([A-Z]+)""#, in: jql) else {
            return json(#"{"errorMessages":["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."],"errors":{}}"#, status: 400)
        }
        var since: Date?
        if let literal = capture(#"updated >= "([0-9/: ]+)""#, in: jql) {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = Self.zone  // Jira reads the literal in the user's time zone
            f.dateFormat = "yyyy/MM/dd HH:mm"
            since = f.date(from: literal)
        }
        let fields = Set(body["fields"] as? [String] ?? ["id"])
        let size = min(body["maxResults"] as? Int ?? 50, 40)
        let offset = (body["nextPageToken"] as? String).flatMap { Int($0.dropFirst(4)) } ?? 0
        if let token = body["nextPageToken"] as? String, !token.hasPrefix("tok-") {
            return json(#"{"errorMessages":["The provided next page token is invalid or expired."],"errors":{}}"#, status: 400)
        }
        let all = state.withLock { $0.issues }.filter { $0.project == project && (since == nil || $0.updated >= since!) }
            .sorted { ($0.updated, $0.key) < ($1.updated, $1.key) }
        let slice = offset < all.count ? Array(all[offset..<min(all.count, offset + size)]) : []
        let beans = slice.map { issue in issue.rawOverride ?? bean(issue, fields: fields, changelog: (body["expand"] as? String ?? "").contains("changelog")) }
        var page = #"{"issues":[\#(beans.joined(separator: ","))]"#
        if offset + slice.count < all.count { page += #","nextPageToken":"tok-\#(offset + slice.count)","isLast":false}"# } else { page += #","isLast":true}"# }
        return json(page)
    }

    private func bean(_ issue: Issue, fields: Set<String>, changelog: Bool) -> String {
        let status = Self.statuses[issue.status]
        var f: [String: Any] = [
            "summary": issue.summary,
            "description": ["type": "doc", "version": 1, "content": [["type": "paragraph", "content": [["type": "text", "text": "Details of \(issue.key)"]]]]],
            "issuetype": ["id": "1", "name": issue.type], "status": ["id": status.id, "name": status.name, "statusCategory": ["key": status.category]],
            "priority": ["name": "Medium"], "assignee": ["accountId": "acc-1", "displayName": "Mia Krystof"], "reporter": NSNull(),
            "labels": issue.labels, "components": [["name": "payments"]], "project": ["key": issue.project, "id": "1"],
            "created": stamp(issue.created), "updated": stamp(issue.updated), "resolutiondate": issue.resolved.map(stamp) ?? NSNull(),
            "customfield_10016": issue.storyPoints ?? NSNull(), "customfield_10050": issue.repository ?? NSNull(),
            "customfield_10051": NSNull(), "customfield_99999": "not asked for",
            "customfield_10020": issue.sprints.map { ["id": $0, "name": "Sprint \($0)", "state": $0 % 10 == 2 ? "active" : "closed", "boardId": $0 / 10 + 1] },
        ]
        f = f.filter { fields.contains($0.key) }
        var object: [String: Any] = ["id": issue.id, "key": issue.key, "self": "https://x/rest/api/3/issue/\(issue.id)", "fields": f]
        if changelog {
            let newest = Array(issue.histories.suffix(3).reversed())
            object["changelog"] = ["startAt": 0, "maxResults": 3, "total": issue.histories.count, "histories": newest.map(history)]
        }
        return jsonText(object)
    }

    private func history(_ h: History) -> [String: Any] {
        ["id": h.id, "created": stamp(h.at), "author": ["displayName": "Mia Krystof"],
         "items": [["field": "status", "fieldtype": "jira", "fieldId": "status", "from": h.from.map { $0.0 as Any } ?? NSNull(), "fromString": h.from.map { $0.1 as Any } ?? NSNull(),
                    "to": h.to.0, "toString": h.to.1],
                   ["field": "labels", "fieldtype": "jira", "from": NSNull(), "fromString": "", "to": NSNull(), "toString": "x"]]]
    }

    private func changelog(_ request: HTTPRequest) -> HTTPResponse {
        let id = request.path.split(separator: "/")[4]
        guard let issue = state.withLock({ $0.issues.first { $0.id == id } }) else {
            return json(#"{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}"#, status: 404)
        }
        return offsetPage(request, issue.histories.map(history), cap: 2, itemsKey: "values")
    }

    /// Token pages of at most 7 histories across the asked issues, status items only when
    /// `fieldIds` says so; `created` as epoch seconds, as in the fixture.
    private func bulkfetch(_ request: HTTPRequest) -> HTTPResponse {
        guard state.withLock({ $0.bulk }) else { return json(#"{"errorMessages":["null for uri"],"errors":{}}"#, status: 404) }
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let ids = body["issueIdsOrKeys"] as? [String] else {
            return json(#"{"errorMessages":["issueIdsOrKeys is required"],"errors":{}}"#, status: 400)
        }
        let issues = state.withLock { s in ids.compactMap { id in s.issues.first { $0.id == id || $0.key == id } } }
        let all = issues.flatMap { issue in issue.histories.map { (issue.id, $0) } }
        let offset = (body["nextPageToken"] as? String).flatMap { Int($0.dropFirst(3)) } ?? 0
        let slice = offset < all.count ? Array(all[offset..<min(all.count, offset + 7)]) : []
        var logs: [[String: Any]] = []
        for (id, h) in slice {
            var entry = history(h)
            entry["created"] = Int(h.at.timeIntervalSince1970)
            if (body["fieldIds"] as? [String]) == ["status"] { entry["items"] = (entry["items"] as! [[String: Any]]).filter { $0["fieldId"] as? String == "status" } }
            if let i = logs.lastIndex(where: { $0["issueId"] as? String == id }) {
                logs[i]["changeHistories"] = (logs[i]["changeHistories"] as! [[String: Any]]) + [entry]
            } else {
                logs.append(["issueId": id, "changeHistories": [entry]])
            }
        }
        var page: [String: Any] = ["issueChangeLogs": logs]
        if offset + slice.count < all.count { page["nextPageToken"] = "bf-\(offset + slice.count)" }
        return json(jsonText(page))
    }

    private func agile(_ request: HTTPRequest) -> HTTPResponse {
        guard state.withLock({ $0.agile }) else { return json(#"{"errorMessages":["Not found"],"errors":{}}"#, status: 404) }
        let parts = request.path.split(separator: "/").map(String.init)  // rest agile 1.0 board ...
        if parts.count == 4, parts[3] == "board" {
            let project = request.query("projectKeyOrId") ?? ""
            let index = project == "PAY" ? 0 : project == "WEB" ? 1 : 9
            let boards: [[String: Any]] = [["id": index + 1, "name": "\(project) board", "type": "scrum"], ["id": 100 + index, "name": "\(project) kanban", "type": "kanban"]]
            return offsetPage(request, index == 9 ? [] : boards, cap: 50, itemsKey: "values")
        }
        if parts.count == 6, parts[3] == "board", parts[5] == "sprint", let board = Int(parts[4]) {
            let p = board - 1
            let sprints: [[String: Any]] = [
                ["id": p * 10 + 1, "name": "Sprint \(p * 10 + 1)", "state": "closed", "startDate": "2026-01-05T09:00:00.000+11:00",
                 "endDate": "2026-01-19T09:00:00.000+11:00", "completeDate": "2026-01-19T10:00:00.000+11:00", "originBoardId": board, "goal": "ship"],
                ["id": p * 10 + 2, "name": "Sprint \(p * 10 + 2)", "state": "active", "startDate": "2026-01-19T09:00:00.000+11:00",
                 "endDate": "2026-02-02T09:00:00.000+11:00", "originBoardId": board],
                ["id": p * 10 + 3, "name": "Sprint \(p * 10 + 3)", "state": "future", "originBoardId": board],
            ]
            return offsetPage(request, sprints, cap: 2, itemsKey: "values", total: false)
        }
        return json(#"{"errorMessages":["The board does not support sprints"],"errors":{}}"#, status: 400)
    }

    // MARK: - Helpers

    func stamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = Self.zone
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return f.string(from: date)
    }

    private func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    private func file(_ name: String) -> HTTPResponse {
        let data = (try? Data(contentsOf: Self.fixtures.appendingPathComponent(name))) ?? Data()
        return HTTPResponse.bytes(Array(data), contentType: "application/json")
    }

    func json(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse.bytes(Array(text.utf8), status: HTTPStatus(code: status), contentType: "application/json")
    }

    func jsonText(_ value: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
}

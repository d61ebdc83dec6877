import Foundation
import PulseETL
import PulseHTTP
import Synchronization

/// Virtual time shared by the fake server and the client under test: sleeping advances it
/// at once, so a 10-minute rate-limit reset takes microseconds while the server can still
/// tell whether a request arrived before the reset.
final class GitHubVirtualClock: GitHubClock {
    private let state: Mutex<(now: Date, sleeps: [Double])>
    init(_ start: Date) { state = Mutex((start, [])) }
    func now() -> Date { state.withLock { $0.now } }
    func sleep(seconds: Double) async throws {
        state.withLock {
            $0.now = $0.now.addingTimeInterval(max(0, seconds))
            $0.sleeps.append(seconds)
        }
    }
    func advance(_ seconds: Double) { state.withLock { $0.now = $0.now.addingTimeInterval(seconds) } }
    var sleeps: [Double] { state.withLock { $0.sleeps } }
}

/// GitHub's REST endpoints the connector reads, served from a `FakeOrganisation` with the
/// vendor's paging (`Link` with an opaque cursor the client must pass back verbatim),
/// headers, ETags, rate limits and faults. Checks the mandatory request headers.
final class FakeGitHubServer: Sendable {
    struct Faults: Sendable {
        /// This request (1-based) answers 403 with `x-ratelimit-remaining: 0` and a reset.
        var primaryLimitAtRequest: Int?
        /// This request answers 200 but spends the last of the quota (`remaining: 0`).
        var lastQuotaAtRequest: Int?
        var resetAfterSeconds: Double = 600
        /// This request answers 429 with `retry-after`.
        var retryAfterAtRequest: Int?
        var retryAfterSeconds = 30
        /// This request answers 403 "secondary rate limit" without `retry-after`.
        var secondaryAtRequest: Int?
        /// Every n-th request answers 502 (0: never).
        var badGatewayEvery = 0
        /// The first request whose path ends with this answers 200 with an HTML page.
        var htmlOnceSuffix: String?
        /// The first request whose path ends with this answers truncated JSON.
        var truncatedOnceSuffix: String?
        /// Requests whose path ends with this answer a permission 403.
        var forbiddenSuffix: String?
        /// Wrong types, missing fields and nulls in a few items.
        var badPayloads = false
    }

    struct Logged: Sendable {
        var target: String
        var time: Date
        var status: Int
        var headers: HTTPHeaders
    }

    struct State: Sendable {
        var organisation: FakeOrganisation
        var faults: Faults
        var log: [Logged] = []
        var blockedUntil: Date = .distantPast
        var violations: [String] = []
        var notModified = 0
        var onceDone: Set<String> = []
    }

    let clock: GitHubVirtualClock
    let state: Mutex<State>

    init(_ organisation: FakeOrganisation, faults: Faults = .init(), clock: GitHubVirtualClock) {
        self.clock = clock
        state = Mutex(State(organisation: organisation, faults: faults))
    }

    var responder: ClosureResponder { ClosureResponder { [self] request in self.respond(request) } }
    var log: [Logged] { state.withLock { $0.log } }
    var violations: [String] { state.withLock { $0.violations } }
    var notModified: Int { state.withLock { $0.notModified } }
    func update(_ body: (inout State) -> Void) { state.withLock { body(&$0) } }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let now = clock.now()
        return state.withLock { state -> HTTPResponse in
            let number = state.log.count + 1
            if now < state.blockedUntil {
                state.violations.append("request \(number) \(request.target) at \(now) before the reset at \(state.blockedUntil)")
            }
            let response = route(request, number: number, now: now, state: &state)
            state.log.append(Logged(target: request.target, time: now, status: response.status.code, headers: request.headers))
            return response
        }
    }

    private func json(_ value: Any, status: Int = 200, headers: [(String, String)] = []) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
        var fields = HTTPHeaders([("Content-Type", "application/json; charset=utf-8")] + headers)
        fields.add(name: "x-ratelimit-limit", value: "5000")
        return HTTPResponse(status: HTTPStatus(code: status), headers: fields, body: .bytes([UInt8](data)))
    }

    private func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> HTTPResponse {
        json(["message": message, "documentation_url": "https://docs.github.com/rest"], status: status, headers: headers)
    }

    private func route(_ request: HTTPRequest, number: Int, now: Date, state: inout State) -> HTTPResponse {
        let h = request.headers
        guard let auth = h["Authorization"], auth.hasPrefix("Bearer "), auth.count > 7 else { return error(401, "Requires authentication") }
        if auth == "Bearer bad-token" { return error(401, "Bad credentials") }
        guard h["Accept"] == "application/vnd.github+json", h["X-GitHub-Api-Version"] == "2022-11-28", h["User-Agent"] != nil else {
            return error(400, "missing mandatory headers")
        }
        let faults = state.faults
        let reset = String(Int(now.timeIntervalSince1970 + faults.resetAfterSeconds))
        if faults.primaryLimitAtRequest == number {
            state.blockedUntil = Date(timeIntervalSince1970: Double(reset)!)
            return error(403, "API rate limit exceeded for user ID 1.",
                         headers: [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset), ("x-ratelimit-resource", "core")])
        }
        if faults.retryAfterAtRequest == number {
            state.blockedUntil = now.addingTimeInterval(Double(faults.retryAfterSeconds))
            return error(429, "You have exceeded a secondary rate limit.", headers: [("retry-after", String(faults.retryAfterSeconds))])
        }
        if faults.secondaryAtRequest == number {
            state.blockedUntil = now.addingTimeInterval(60)
            return error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
        }
        if faults.badGatewayEvery > 0 && number % faults.badGatewayEvery == 0 {
            return HTTPResponse.text("<html><body><h1>502 Bad Gateway</h1></body></html>", status: .badGateway, contentType: "text/html")
        }
        let path = request.path
        if let suffix = faults.forbiddenSuffix, path.hasSuffix(suffix) {
            return error(403, "Resource not accessible by integration")
        }
        if let suffix = faults.htmlOnceSuffix, path.hasSuffix(suffix), state.onceDone.insert("html").inserted {
            return HTTPResponse.text("<!DOCTYPE html><html><body>Unicorn! This page is taking too long.</body></html>", contentType: "text/html")
        }
        if let suffix = faults.truncatedOnceSuffix, path.hasSuffix(suffix), state.onceDone.insert("truncated").inserted {
            return HTTPResponse.bytes(Array("[{\"sha\": \"ab00".utf8), contentType: "application/json")
        }
        var response = serve(request, state: &state)
        if faults.lastQuotaAtRequest == number {
            state.blockedUntil = Date(timeIntervalSince1970: Double(reset)!)
            response.headers.add(name: "x-ratelimit-remaining", value: "0")
            response.headers.add(name: "x-ratelimit-reset", value: reset)
        } else {
            response.headers.add(name: "x-ratelimit-remaining", value: "4000")
            response.headers.add(name: "x-ratelimit-reset", value: reset)
        }
        if response.status.code == 200, let body = response.body.bytes {
            let etag = "\"\(FNV.hash(body))\""
            if h["If-None-Match"] == etag {
                state.notModified += 1
                return HTTPResponse(status: .notModified, headers: ["ETag": etag], body: .empty)
            }
            response.headers.add(name: "ETag", value: etag)
        }
        return response
    }

    /// A list page with GitHub's `Link` header; later pages need the cursor the link gave.
    private func page(_ items: [Any], _ request: HTTPRequest, wrap: ((Any, Int) -> Any)? = nil) -> HTTPResponse {
        let perPage = min(100, max(1, Int(request.query("per_page") ?? "30") ?? 30))
        let pageNumber = max(1, Int(request.query("page") ?? "1") ?? 1)
        if pageNumber > 1 && request.query("cursor") != "c\(pageNumber)x" {
            return error(400, "bad or missing cursor: follow the Link header")
        }
        let start = min(items.count, (pageNumber - 1) * perPage)
        let slice = Array(items[start..<min(items.count, start + perPage)])
        var headers: [(String, String)] = []
        if start + perPage < items.count {
            let host = request.headers["Host"] ?? "127.0.0.1"
            let kept = request.queryItems.filter { $0.name != "page" && $0.name != "cursor" }
                .map { "\($0.name)=\(($0.value ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            let query = (kept + ["page=\(pageNumber + 1)", "cursor=c\(pageNumber + 1)x"]).joined(separator: "&")
            let last = (items.count + perPage - 1) / perPage
            headers.append(("Link", "<http://\(host)\(request.path)?\(query)>; rel=\"next\", <http://\(host)\(request.path)?page=\(last)>; rel=\"last\""))
        }
        return json(wrap?(slice, items.count) ?? slice, headers: headers)
    }

    static func time(_ date: Date?) -> Any {
        guard let date else { return NSNull() }
        return date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    static func user(_ login: String?) -> Any { login.map { ["login": $0, "id": 1, "type": "User"] as [String: Any] } ?? NSNull() }

    private func serve(_ request: HTTPRequest, state: inout State) -> HTTPResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        let org = state.organisation
        let bad = state.faults.badPayloads
        switch parts.first {
        case "rate_limit":
            return json(["resources": ["core": ["limit": 5000, "used": 1, "remaining": 4999, "reset": 1_800_000_000]],
                         "rate": ["limit": 5000, "used": 1, "remaining": 4999, "reset": 1_800_000_000]])
        case "user":
            return json(["login": "pulse-bot", "id": 7])
        case "orgs" where parts.count >= 2:
            guard parts[1] == org.organisation else { return error(404, "Not Found") }
            if parts.count == 2 { return json(["login": org.organisation, "id": 1]) }
            if parts.count == 3 && parts[2] == "repos" {
                var repos: [Any] = org.repositories.map { repoJSON($0, org: org.organisation) }
                if bad { repos.append(["id": "not-a-number", "full_name": "acme-pay/broken"]) }
                return page(repos, request)
            }
        case "repos" where parts.count >= 3:
            guard parts[1] == org.organisation, let repo = org.repositories.first(where: { $0.name == parts[2] }) else {
                return error(404, "Not Found")
            }
            return serveRepo(repo, Array(parts.dropFirst(3)), request, org: org.organisation, bad: bad)
        default: break
        }
        return error(404, "Not Found")
    }

    private func repoJSON(_ repo: FakeOrganisation.Repository, org: String) -> [String: Any] {
        ["id": repo.id, "name": repo.name, "full_name": "\(org)/\(repo.name)", "default_branch": repo.defaultBranch,
         "html_url": "https://github.com/\(org)/\(repo.name)", "archived": false, "private": true,
         "updated_at": Self.time(repo.main.last?.date), "pushed_at": Self.time(repo.main.last?.date)]
    }

    private func commitJSON(_ c: FakeOrganisation.Commit) -> [String: Any] {
        let signature: Any = ["name": c.author ?? "unknown", "email": "\((c.author ?? "unknown").lowercased())@example.com",
                              "date": Self.time(c.date)]
        return ["sha": c.sha, "node_id": "C_\(c.sha.prefix(8))",
                "commit": ["message": c.message, "author": signature, "committer": signature],
                "author": Self.user(c.author), "committer": Self.user(c.author),
                "parents": c.parents.map { ["sha": $0, "url": "https://api.github.com/commits/\($0)"] }]
    }

    private func pullJSON(_ p: FakeOrganisation.Pull, detail: Bool, bad: Bool) -> [String: Any] {
        var value: [String: Any] = [
            "id": p.id, "number": p.number, "title": p.title, "state": p.state, "user": Self.user(p.user),
            "body": p.number % 2 == 0 ? "Body of \(p.number)" : NSNull(),
            "labels": p.labels.map { ["name": $0, "color": "ff0000"] },
            "created_at": Self.time(p.created), "updated_at": Self.time(p.updated), "closed_at": Self.time(p.closedAt),
            "merged_at": Self.time(p.mergedAt), "merge_commit_sha": p.mergeCommitSHA ?? NSNull(),
            "base": ["ref": "main", "sha": p.commits.first!.parents[0]], "head": ["ref": "feature-\(p.number)", "sha": p.commits.last!.sha],
        ]
        if detail {
            value["merged"] = p.merged
            value["additions"] = p.number * 10
            value["deletions"] = p.number
            value["changed_files"] = 2
            value["commits"] = p.commits.count
            value["review_comments"] = p.comments.count
            value["merged_by"] = p.merged ? Self.user("ada") : NSNull()
            if bad && p.number == 2 { value["title"] = 12345 }  // wrong type: the PR is skipped
        }
        return value
    }

    private func serveRepo(_ repo: FakeOrganisation.Repository, _ rest: [String], _ request: HTTPRequest, org: String, bad: Bool)
        -> HTTPResponse
    {
        switch rest.first {
        case nil:
            return json(repoJSON(repo, org: org))
        case "pulls":
            let sorted = repo.pulls.sorted { $0.updated != $1.updated ? $0.updated > $1.updated : $0.number > $1.number }
            if rest.count == 1 {
                var items: [Any] = sorted.map { pullJSON($0, detail: false, bad: bad) }
                if bad { items.insert(["id": 1, "title": "no number", "updated_at": Self.time(sorted.first?.updated)], at: 1) }
                return page(items, request)
            }
            guard let number = Int(rest[1]), let pull = repo.pulls.first(where: { $0.number == number }) else { return error(404, "Not Found") }
            if rest.count == 2 { return json(pullJSON(pull, detail: true, bad: bad)) }
            switch rest[2] {
            case "reviews":
                return page(pull.reviews.map { r -> Any in
                    var v: [String: Any] = ["id": r.id, "user": Self.user(r.user), "state": r.state, "body": "",
                                            "commit_id": pull.commits.last!.sha]
                    if let submitted = r.submitted { v["submitted_at"] = Self.time(submitted) }
                    return v
                }, request)
            case "comments":
                return page(pull.comments.map { c -> Any in
                    ["id": c.id, "user": Self.user(c.user), "body": c.body, "path": "Sources/App.swift", "created_at": Self.time(c.created)]
                }, request)
            case "commits":
                return page(pull.commits.map(commitJSON), request)
            default: return error(404, "Not Found")
            }
        case "commits":
            if rest.count == 3 && rest[2] == "pulls" {
                let numbers = repo.associations[rest[1]] ?? []
                return page(numbers.compactMap { n in repo.pulls.first { $0.number == n }.map { pullJSON($0, detail: false, bad: false) } }, request)
            }
            guard request.query("sha") == repo.defaultBranch else { return error(404, "No commit found for SHA") }
            let since = request.query("since").flatMap { try? Date($0, strategy: .iso8601) }
            var items: [Any] = repo.main.reversed().filter { since == nil || $0.date >= since! }.map(commitJSON)
            if bad && items.count > 3 { items[2] = ["sha": NSNull(), "commit": ["message": "null sha"]] }
            return page(items, request)
        case "deployments":
            let listed = repo.deployments.reversed()
            if rest.count == 1 {
                return page(listed.map { deploymentJSON($0, repo: repo, org: org) }, request)
            }
            guard let id = Int64(rest[1]), let deployment = repo.deployments.first(where: { $0.id == id }) else { return error(404, "Not Found") }
            if rest.count == 2 { return json(deploymentJSON(deployment, repo: repo, org: org)) }
            return page(deployment.statuses.reversed().map { s -> Any in
                ["id": s.id, "state": s.state, "description": "Deployment \(s.state)", "environment": deployment.environment,
                 "created_at": Self.time(s.created), "updated_at": Self.time(s.created)]
            }, request)
        case "releases":
            return page(repo.releases.reversed().map { r -> Any in
                ["id": r.id, "tag_name": r.tag, "name": "Release \(r.tag)", "target_commitish": repo.defaultBranch, "draft": r.draft,
                 "prerelease": false, "author": Self.user("ada"), "created_at": Self.time(r.created), "published_at": Self.time(r.created)]
            }, request)
        case "actions" where rest.count == 2 && rest[1] == "runs":
            guard request.query("branch") == repo.defaultBranch else { return json(["total_count": 0, "workflow_runs": []]) }
            let since = request.query("created").flatMap { value -> Date? in
                guard value.hasPrefix(">=") else { return nil }
                return try? Date(String(value.dropFirst(2)) + "T00:00:00Z", strategy: .iso8601)
            }
            let runs = repo.runs.reversed().filter { since == nil || $0.created >= since! }.map { r -> Any in
                ["id": r.id, "name": "deploy", "workflow_id": 77, "path": ".github/workflows/deploy.yml", "head_branch": repo.defaultBranch,
                 "head_sha": r.sha, "event": "push", "status": r.conclusion == nil ? "in_progress" : "completed",
                 "conclusion": r.conclusion ?? NSNull(), "run_attempt": 1, "html_url": "https://github.com/\(org)/\(repo.name)/actions/runs/\(r.id)",
                 "run_started_at": Self.time(r.created), "created_at": Self.time(r.created), "updated_at": Self.time(r.updated)]
            }
            return page(runs, request) { slice, total in ["total_count": total, "workflow_runs": slice] }
        default: break
        }
        return error(404, "Not Found")
    }

    private func deploymentJSON(_ d: FakeOrganisation.Deployment, repo: FakeOrganisation.Repository, org: String) -> [String: Any] {
        ["id": d.id, "sha": d.sha, "ref": repo.defaultBranch, "task": "deploy", "environment": d.environment,
         "production_environment": d.environment == "production", "created_at": Self.time(d.created),
         "updated_at": Self.time(d.created), "creator": Self.user("ada"),
         "url": "https://api.github.com/repos/\(org)/\(repo.name)/deployments/\(d.id)"]
    }
}

enum FNV {
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

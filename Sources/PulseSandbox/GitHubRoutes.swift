/// The GitHub REST endpoints the connector uses, over the generated organisation.
extension SandboxServer {
    func notFound() -> SandboxReply {
        .json(["message": "Not Found", "documentation_url": .string(Self.docs), "status": "404"], status: 404)
    }

    func gitHubRoute(_ request: SandboxRequest, organisation org: SandboxOrganisation) -> SandboxReply {
        let p = GitHubPayloads(api: request.apiBase, web: request.webBase)
        let parts = request.path.split(separator: "/").map(String.init)
        let page = GitHubPage(request)
        func list(_ items: [SandboxJSON]) -> SandboxReply {
            let (slice, link) = page.slice(items, request: request)
            return .json(.array(Array(slice)), link: link)
        }
        func listLazy<T>(_ items: [T], _ render: (T) -> SandboxJSON) -> SandboxReply {
            let (slice, link) = page.slice(items, request: request)
            return .json(.array(slice.map(render)), link: link)
        }
        switch parts.count {
        case 1 where parts[0] == "rate_limit":
            return .json([:])  // the body is filled in by the pipeline, after spending
        case 1 where parts[0] == "user":
            return .json(p.user(org.users[0]))
        case 2 where parts[0] == "orgs":
            guard parts[1].lowercased() == org.login else { return notFound() }
            return .json(p.organisation(org))
        case 3 where parts[0] == "orgs" && parts[2] == "repos":
            guard parts[1].lowercased() == org.login else { return notFound() }
            let sort = request.query("sort") ?? "created"
            let ascending = (request.query("direction") ?? (sort == "full_name" ? "asc" : "desc")) == "asc"
            let repos = org.repositories.sorted { a, b in
                let (x, y) = ascending ? (a, b) : (b, a)
                switch sort {
                case "updated": return (x.updatedAt, x.id) < (y.updatedAt, y.id)
                case "pushed": return (x.pushedAt, x.id) < (y.pushedAt, y.id)
                case "full_name": return x.fullName < y.fullName
                default: return (x.createdAt, x.id) < (y.createdAt, y.id)
                }
            }
            return listLazy(repos) { p.repository($0) }
        default:
            break
        }
        guard parts.count >= 3, parts[0] == "repos", parts[1].lowercased() == org.login,
              let repo = org.repositories.first(where: { $0.name == parts[2] }) else { return notFound() }
        let rest = Array(parts.dropFirst(3))
        switch rest.count {
        case 0:
            return .json(p.repository(repo))
        case 1 where rest[0] == "pulls":
            return listLazy(pulls(repo, request)) { p.pull(repo, $0, detailed: false) }
        case 2 where rest[0] == "pulls":
            guard let n = Int(rest[1]), let pr = repo.pull(n) else { return notFound() }
            return .json(p.pull(repo, pr, detailed: true))
        case 3 where rest[0] == "pulls":
            guard let n = Int(rest[1]), let pr = repo.pull(n) else { return notFound() }
            switch rest[2] {
            case "reviews": return listLazy(pr.reviews) { p.review(repo, pr, $0) }
            case "commits": return listLazy(Array(pr.commits.prefix(250))) { p.commit(repo, $0) }
            case "comments": return listLazy(pr.comments) { p.reviewComment(repo, pr, $0) }
            default: return notFound()
            }
        case 1 where rest[0] == "commits":
            return commits(repo, request, page: page, payloads: p)
        case 2 where rest[0] == "commits":
            guard let c = repo.commit(rest[1]) else {
                return .json(["message": "No commit found for SHA: \(rest[1])", "documentation_url": .string(Self.docs), "status": "422"], status: 422)
            }
            guard case .object(var fields) = p.commit(repo, c) else { return notFound() }
            let additions = Int(c.sha.utf8.first! % 50) + 1, deletions = Int(c.sha.utf8.last! % 20)
            fields.insert(("stats", ["total": .number(additions + deletions), "additions": .number(additions), "deletions": .number(deletions)]), at: fields.count - 1)
            fields.insert(("files", []), at: fields.count - 1)
            return .json(.object(fields))
        case 3 where rest[0] == "commits" && rest[2] == "pulls":
            let numbers = repo.commitPulls[rest[1]] ?? []
            return list(numbers.compactMap { repo.pull($0) }.map { p.pull(repo, $0, detailed: false) })
        case 1 where rest[0] == "deployments":
            let items = repo.deployments.reversed().filter { d in
                (request.query("environment").map { $0 == d.environment } ?? true)
                    && (request.query("sha").map { $0 == d.sha } ?? true) && (request.query("ref").map { $0 == d.ref } ?? true)
                    && (request.query("task").map { $0 == "deploy" } ?? true)
            }
            return listLazy(items) { p.deployment(repo, $0) }
        case 2 where rest[0] == "deployments":
            guard let id = Int64(rest[1]), let d = repo.deployments.first(where: { $0.id == id }) else { return notFound() }
            return .json(p.deployment(repo, d))
        case 3 where rest[0] == "deployments" && rest[2] == "statuses":
            guard let id = Int64(rest[1]), let d = repo.deployments.first(where: { $0.id == id }) else { return notFound() }
            return listLazy(d.statuses.reversed()) { p.deploymentStatus(repo, d, $0) }
        case 1 where rest[0] == "releases":
            return listLazy(repo.releases.reversed()) { p.release(repo, $0) }
        case 2 where rest[0] == "actions" && rest[1] == "runs":
            return workflowRuns(repo, request, page: page, payloads: p)
        case 1 where rest[0] == "issues":
            return issues(repo, request, page: page, payloads: p)
        default:
            return notFound()
        }
    }

    func pulls(_ repo: SandboxRepository, _ request: SandboxRequest) -> [SandboxPullRequest] {
        let state = request.query("state") ?? "open"
        let sort = request.query("sort") ?? "created"
        // GitHub: "desc when sort is created or sort is not specified, otherwise asc".
        let ascending = (request.query("direction") ?? (sort == "created" ? "desc" : "asc")) == "asc"
        let base = request.query("base")
        let filtered = repo.pulls.filter { (state == "all" || $0.state == state) && (base == nil || $0.baseRef == base) }
        return filtered.sorted { a, b in
            let (x, y) = ascending ? (a, b) : (b, a)
            switch sort {
            case "updated": return (x.updatedAt, x.number) < (y.updatedAt, y.number)
            default: return (x.createdAt, x.number) < (y.createdAt, y.number)
            }
        }
    }

    func commits(_ repo: SandboxRepository, _ request: SandboxRequest, page: GitHubPage, payloads p: GitHubPayloads) -> SandboxReply {
        var items = ArraySlice(repo.commits)
        if let sha = request.query("sha"), sha != repo.defaultBranch {
            guard let i = repo.commitIndex[sha] else {
                return .json(["message": "No commit found for SHA: \(sha)", "documentation_url": .string(Self.docs), "status": "404"], status: 404)
            }
            items = repo.commits[i...]
        }
        let since = request.query("since").flatMap(SandboxTime.parseISO)
        let until = request.query("until").flatMap(SandboxTime.parseISO)
        let filtered = (since == nil && until == nil) ? Array(items)
            : items.filter { c in (since.map { c.committedAt >= $0 } ?? true) && (until.map { c.committedAt <= $0 } ?? true) }
        let (slice, link) = page.slice(filtered, request: request)
        return .json(.array(slice.map { p.commit(repo, $0) }), link: link)
    }

    func workflowRuns(_ repo: SandboxRepository, _ request: SandboxRequest, page: GitHubPage, payloads p: GitHubPayloads) -> SandboxReply {
        let created = request.query("created").map(Self.dateRange)
        let status = request.query("status")
        let filters = ["branch", "event", "status", "created", "head_sha", "actor", "check_suite_id"].contains { request.query($0) != nil }
        var runs = repo.workflowRuns.reversed().filter { w in
            (request.query("branch").map { $0 == w.headBranch } ?? true) && (request.query("event").map { $0 == w.event } ?? true)
                && (request.query("head_sha").map { $0 == w.headSha } ?? true)
                && (status.map { $0 == w.status || $0 == w.conclusion } ?? true)
                && (created.map { w.createdAt >= $0.0 && w.createdAt < $0.1 } ?? true)
        }
        if filters && runs.count > 1_000 { runs = Array(runs.prefix(1_000)) }  // GitHub's cap for filtered listings
        let (slice, link) = page.slice(runs, request: request)
        return .json(["total_count": .number(runs.count), "workflow_runs": .array(slice.map { p.workflowRun(repo, $0) })], link: link)
    }

    /// GitHub's `created` qualifier: `>=2026-01-01`, `<2026-02-01`, `2026-01-01..2026-01-31`, `2026-01-01`.
    static func dateRange(_ text: String) -> (Int64, Int64) {
        func day(_ s: Substring) -> Int64? { SandboxTime.parseISO(String(s)) }
        if let r = text.range(of: "..") {
            return (day(text[..<r.lowerBound]) ?? Int64.min, (day(text[r.upperBound...]) ?? Int64.max - 86_400) + 86_400)
        }
        if text.hasPrefix(">=") { return (day(text.dropFirst(2)) ?? Int64.min, Int64.max) }
        if text.hasPrefix(">") { return ((day(text.dropFirst(1)) ?? Int64.min) + 86_400, Int64.max) }
        if text.hasPrefix("<=") { return (Int64.min, (day(text.dropFirst(2)) ?? Int64.max - 86_400) + 86_400) }
        if text.hasPrefix("<") { return (Int64.min, day(text.dropFirst(1)) ?? Int64.max) }
        let d = day(Substring(text)) ?? 0
        return (d, d + 86_400)
    }

    func issues(_ repo: SandboxRepository, _ request: SandboxRequest, page: GitHubPage, payloads p: GitHubPayloads) -> SandboxReply {
        struct Item { var number: Int; var created: Int64; var updated: Int64; var render: () -> SandboxJSON; var state: String }
        let state = request.query("state") ?? "open"
        let since = request.query("since").flatMap(SandboxTime.parseISO)
        var items: [Item] = repo.issues.map { i in
            Item(number: i.number, created: i.createdAt, updated: i.updatedAt, render: {
                p.issue(repo, number: i.number, id: i.id, title: i.title, body: i.body, user: i.user, state: i.state, labels: i.labels,
                        created: i.createdAt, updated: i.updatedAt, closed: i.closedAt, pullRequest: nil)
            }, state: i.state)
        }
        items += repo.pulls.map { pr in
            Item(number: pr.number, created: pr.createdAt, updated: pr.updatedAt, render: {
                p.issue(repo, number: pr.number, id: pr.id + 1_000_000_000, title: pr.title, body: pr.body, user: pr.user, state: pr.state,
                        labels: pr.labels, created: pr.createdAt, updated: pr.updatedAt, closed: pr.closedAt, pullRequest: pr)
            }, state: pr.state)
        }
        items = items.filter { item in (state == "all" || item.state == state) && (since.map { item.updated >= $0 } ?? true) }
        let sort = request.query("sort") ?? "created"
        let ascending = (request.query("direction") ?? "desc") == "asc"
        items.sort { a, b in
            let (x, y) = ascending ? (a, b) : (b, a)
            return sort == "updated" ? (x.updated, x.number) < (y.updated, y.number) : (x.created, x.number) < (y.created, y.number)
        }
        let (slice, link) = page.slice(items, request: request)
        return .json(.array(slice.map { $0.render() }), link: link)
    }
}

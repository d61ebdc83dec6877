/// Generates the Jira site: projects (`PAY`, `WEB`, `OPS`, …), issue types, statuses with
/// categories, sprints on boards, and issues with full changelogs — incidents linked to the
/// GitHub deployments in every way the DORA definitions read them (deployment field, PR
/// reference, PR URL, commit sha), unlinked ones 47 h and 50 h after a deployment, one before a
/// repository's first deployment, open and reopened ones, done → done moves.
struct JiraGenerator {
    static let projectKeys = ["PAY", "WEB", "OPS", "MOB", "DATA", "CORE", "INFRA", "SEC", "API", "QA"]
    static let projectNames = ["Payments", "Web Checkout", "Operations", "Mobile", "Data Platform", "Core Banking", "Infrastructure",
                               "Security", "Public API", "Quality"]

    static let statuses = [
        SandboxStatus(id: "10000", name: "To Do", categoryKey: "new"),
        SandboxStatus(id: "10001", name: "In Progress", categoryKey: "indeterminate"),
        SandboxStatus(id: "10002", name: "In Review", categoryKey: "indeterminate"),
        SandboxStatus(id: "10003", name: "Ready for Release", categoryKey: "done"),
        SandboxStatus(id: "10004", name: "Done", categoryKey: "done"),
        SandboxStatus(id: "10005", name: "Reopened", categoryKey: "new"),
        SandboxStatus(id: "10006", name: "Closed", categoryKey: "done"),
        SandboxStatus(id: "10007", name: "Investigating", categoryKey: "indeterminate"),
        SandboxStatus(id: "10008", name: "Mitigated", categoryKey: "indeterminate"),
    ]

    static let issueTypes = [
        SandboxIssueType(id: "10001", name: "Story", description: "Functionality or a feature expressed as a user goal.", subtask: false, hierarchyLevel: 0),
        SandboxIssueType(id: "10002", name: "Task", description: "A small, distinct piece of work.", subtask: false, hierarchyLevel: 0),
        SandboxIssueType(id: "10003", name: "Bug", description: "A problem or error.", subtask: false, hierarchyLevel: 0),
        SandboxIssueType(id: "10004", name: "Epic", description: "A collection of related bugs, stories, and tasks.", subtask: false, hierarchyLevel: 1),
        SandboxIssueType(id: "10005", name: "Sub-task", description: "A small piece of work that's part of a larger task.", subtask: true, hierarchyLevel: -1),
        SandboxIssueType(id: "10006", name: "Incident", description: "A production incident (service degradation or outage).", subtask: false, hierarchyLevel: 0),
    ]

    static let accounts: [SandboxAccount] = [
        ("Anna Schmidt", "anna"), ("José Müller", "jose"), ("Zoë 李", "zoe"), ("Sven Øberg", "sven"), ("Priya Kapoor", "priya"),
        ("田中 健二", "kenji"), ("Léa Dubois", "lea"), ("Pulse Bot", "bot"),
    ].enumerated().map { i, a in
        SandboxAccount(accountID: "712020:5b10a284-4c20-1657-00ed-e21\(String(i))a0\(String(i))f0", displayName: a.0, email: "\(a.1)@acme-pay.example")
    }

    let seed: UInt64
    let scale: SandboxConfiguration.Scale
    let reference: Int64
    let repositories: [SandboxRepository]
    var historyCounter: Int64 = 10_000
    var incidentCounter = 0

    mutating func generate() -> SandboxJira {
        let count = min(scale.jiraProjects, Self.projectKeys.count)
        var projects: [SandboxJiraProject] = []
        var boards: [SandboxBoard] = []
        var sprints: [SandboxSprint] = []
        var issues: [SandboxIssue] = []
        for p in 0..<count {
            let key = Self.projectKeys[p]
            projects.append(SandboxJiraProject(id: String(10_000 + p), key: key, name: Self.projectNames[p]))
            let board = SandboxBoard(id: p + 1, name: "\(key) board", type: "scrum", projectKey: key)
            boards.append(board)
            let projectSprints = makeSprints(board: board, index: p)
            sprints += projectSprints
            var rng = SandboxRandom(seed: seed, stream: 1_000 + UInt64(p))
            issues += makeIssues(project: key, index: p, sprints: projectSprints, rng: &rng)
        }
        boards.append(SandboxBoard(id: count + 1, name: "Ops kanban", type: "kanban", projectKey: Self.projectKeys[min(2, count - 1)]))
        var site = SandboxJira(projects: projects, issueTypes: Self.issueTypes, statuses: Self.statuses, accounts: Self.accounts,
                               boards: boards, sprints: sprints, issues: issues)
        site.reindex()
        return site
    }

    func makeSprints(board: SandboxBoard, index: Int) -> [SandboxSprint] {
        let first = reference - 350 * 86_400 + Int64(index) * 3_600
        let length: Int64 = 14 * 86_400
        let total = Int((reference - first) / length) + 1
        return (0..<(total + 1)).map { s in
            let start = first + Int64(s) * length, end = start + length
            let state = end <= reference ? "closed" : (start <= reference ? "active" : "future")
            return SandboxSprint(id: board.id * 1_000 + s + 1, boardID: board.id, name: "\(board.projectKey) Sprint \(s + 1)", state: state,
                                 goal: s % 3 == 0 ? "Ship the \(["refund", "ledger", "checkout"][s % 3]) milestone" : "",
                                 start: state == "future" ? nil : start, end: state == "future" ? nil : end,
                                 complete: state == "closed" ? end + 3_600 : nil)
        }
    }

    mutating func makeIssues(project: String, index p: Int, sprints: [SandboxSprint], rng: inout SandboxRandom) -> [SandboxIssue] {
        let count = max(scale.issuesPerProject, 1)
        let start = reference - 355 * 86_400
        let span = Double(350 * 86_400)
        var out: [SandboxIssue] = []
        var lastStory: String?
        for j in 1...count {
            let created = start + Int64(Double(j - 1) / Double(count) * span) + Int64(rng.int(0...7_200))
            let type: String
            switch j {
            case _ where j % 6 == 5: type = "Incident"
            case _ where j % 25 == 0: type = "Epic"
            case _ where j % 15 == 7 && lastStory != nil: type = "Sub-task"
            case _ where j % 6 == 1: type = "Bug"
            case _ where j % 6 == 3: type = "Task"
            default: type = "Story"
            }
            let reporter = rng.pick(Self.accounts)
            var issue = SandboxIssue(
                id: Int64(10_000 + p * 100_000 + j), key: "\(project)-\(j)", projectKey: project, typeName: type,
                summary: GitHubGenerator.title(number: j, rng: &rng), description: "Acceptance: works for EUR, GBP and ¥ — ✓ tested",
                statusID: "10000", priority: rng.pick(["Highest", "High", "Medium", "Low"]), labels: j % 4 == 0 ? ["backend"] : [],
                reporter: reporter, assignee: rng.chance(0.15) ? nil : rng.pick(Self.accounts), created: created, updated: created,
                resolutionDate: nil, statusCategoryChanged: created,
                storyPoints: type == "Story" || type == "Bug" ? rng.pick([1, 2, 3, 5, 8, 13]) : nil,
                parentKey: type == "Sub-task" ? lastStory : nil, sprintIDs: [], repository: nil, deployment: nil, histories: [])
            if type == "Incident" {
                makeIncident(&issue, projectIndex: p, rng: &rng)
            } else {
                var path = ["10001", "10002", "10003", "10004"]
                if type == "Bug" || type == "Sub-task" { path = ["10001", "10004"] }
                if type == "Epic" { path = ["10001"] + (j % 50 == 0 ? ["10004"] : []) }
                let recent = Double(j) / Double(count) > 0.9
                let steps = recent ? rng.int(0...path.count) : (rng.chance(0.85) ? path.count : rng.int(0...path.count))
                var t = created
                var from = "10000"
                for to in path.prefix(steps) {
                    t += Int64(rng.int(3_600...(3 * 86_400)))
                    transition(&issue, from: from, to: to, at: t)
                    from = to
                }
                if from == "10004" && j % 9 == 4 { transition(&issue, from: "10004", to: "10006", at: t + 86_400) }  // done → done
                if type == "Bug", j % 18 == 1, let repo = repositories.first, let pr = repo.pulls.first(where: { $0.merged }) {
                    issue.summary = "Refund totals wrong since \(repo.fullName)#\(pr.number)"
                }
                if j % 4 == 0, let points = issue.storyPoints {
                    record(&issue, at: created + 1_800, [SandboxChangeItem(field: "Story Points", fieldtype: "custom", fieldID: "customfield_10016",
                                                                           from: nil, fromString: "3", to: nil, toString: String(points))])
                }
                if j % 40 == 14 {  // a long changelog: more histories than a search embeds
                    for e in 0..<110 {
                        record(&issue, at: created + Int64(e) * 600 + 60, [SandboxChangeItem(field: "summary", fieldtype: "jira", fieldID: "summary",
                                                                                           from: nil, fromString: "Draft \(e)", to: nil, toString: "Draft \(e + 1)")])
                    }
                }
                if type != "Epic" && type != "Incident" {
                    let s = sprints.lastIndex { ($0.start ?? Int64.max) <= created } ?? 0
                    issue.sprintIDs = [sprints[s].id] + (j % 5 == 0 && s + 1 < sprints.count ? [sprints[s + 1].id] : [])
                }
            }
            if type == "Story" { lastStory = issue.key }
            issue.histories.sort { $0.created < $1.created }
            issue.histories.removeAll { $0.created >= reference - 60 }
            issue.updated = max(issue.created, issue.histories.last?.created ?? issue.created)
            Self.finishStatus(&issue)
            out.append(issue)
        }
        if let repo = repositories.indices.isEmpty ? nil : repositories[p % repositories.count],
           let first = repo.deployments.filter({ $0.environment == repo.productionEnvironment }).map(\.createdAt).min() {
            // An incident before the repository's first deployment: nothing to blame.
            let created = first - 10 * 86_400
            var issue = SandboxIssue(
                id: Int64(10_000 + p * 100_000 + count + 1), key: "\(project)-\(count + 1)", projectKey: project, typeName: "Incident",
                summary: "Card payments declined for Maestro — vor dem ersten Deployment", description: "Seen by support before any deployment.",
                statusID: "10007", priority: "High", labels: ["incident"], reporter: Self.accounts[0], assignee: Self.accounts[3],
                created: created, updated: created, resolutionDate: nil, statusCategoryChanged: created, storyPoints: nil, parentKey: nil,
                sprintIDs: [], repository: repo.fullName, deployment: nil, histories: [])
            transition(&issue, from: "10007", to: "10004", at: created + 7_200)
            issue.updated = issue.histories.last!.created
            Self.finishStatus(&issue)
            out.append(issue)
        }
        return out
    }

    /// An incident of one of the ways an incident can name (or not name) what broke.
    mutating func makeIncident(_ issue: inout SandboxIssue, projectIndex p: Int, rng: inout SandboxRandom) {
        let m = incidentCounter
        incidentCounter += 1
        issue.statusID = "10007"
        issue.labels = ["incident"]
        issue.priority = "Highest"
        guard !repositories.isEmpty else { return }
        let repo = repositories[(p + m) % repositories.count]
        let good = repo.deployments.filter {
            $0.environment == repo.productionEnvironment && $0.latestState == "success" && $0.updatedAt < reference - 5 * 86_400
        }
        guard !good.isEmpty else { return }
        let d = good[(m * 7 + p) % good.count]
        let finished = d.statuses.last!.createdAt
        var created = finished + Int64(rng.int(1_800...10_800))
        issue.repository = repo.fullName
        let shipped = repo.pulls.filter { $0.baseRef == repo.defaultBranch && ($0.mergedAt ?? Int64.max) < finished }.max { $0.mergedAt! < $1.mergedAt! }
        switch m % 8 {
        case 0:
            issue.deployment = "https://api.github.com/repos/\(repo.fullName)/deployments/\(d.id)"
            issue.summary = "Checkout returns 500 after the \(repo.name) deployment"
        case 1:
            issue.deployment = String(d.id)
            issue.summary = "Latency spike on \(repo.name) — p99 über 2 s"
        case 2 where shipped != nil:
            issue.summary = "Refunds failing since \(repo.fullName)#\(shipped!.number)"
        case 3 where shipped != nil:
            issue.summary = "Webhook signatures rejected"
            issue.description = "Started with https://github.com/\(repo.fullName)/pull/\(shipped!.number) — see logs."
        case 4:
            issue.summary = "Ledger totals drift"
            issue.description = "Bisected to commit \(d.sha) on \(repo.defaultBranch)."
        case 5:
            created = finished + 47 * 3_600
            issue.summary = "Intermittent 502s on \(repo.name) (no link)"
        case 6:
            created = finished + 50 * 3_600
            issue.summary = "Slow dashboard on \(repo.name) (no link, outside the window)"
        default:
            issue.repository = nil
            issue.summary = "Support reports login loops — ログインできない"
        }
        issue.description = issue.description ?? "Impact: customers cannot pay. Timeline in the incident channel."
        issue.created = created
        if m % 9 == 8 { return }  // still open
        var t = created + Int64(rng.int(900...7_200))
        transition(&issue, from: "10007", to: "10008", at: t)
        t += Int64(rng.int(1_800...(20 * 3_600)))
        transition(&issue, from: "10008", to: "10004", at: t)
        if m % 5 == 3 {  // reopened, then resolved again
            t += 86_400
            transition(&issue, from: "10004", to: "10005", at: t)
            t += 3_600
            transition(&issue, from: "10005", to: "10001", at: t)
            t += 4 * 3_600
            transition(&issue, from: "10001", to: "10004", at: t)
        }
    }

    mutating func transition(_ issue: inout SandboxIssue, from: String, to: String, at t: Int64) {
        let f = Self.statuses.first { $0.id == from }!, s = Self.statuses.first { $0.id == to }!
        record(&issue, at: t, [SandboxChangeItem(field: "status", fieldtype: "jira", fieldID: "status", from: from, fromString: f.name, to: to, toString: s.name)])
        if to == "10001" && issue.assignee == nil {
            let a = Self.accounts[Int(historyCounter % Int64(Self.accounts.count))]
            issue.histories[issue.histories.count - 1].items.append(SandboxChangeItem(
                field: "assignee", fieldtype: "jira", fieldID: "assignee", from: nil, fromString: nil, to: a.accountID, toString: a.displayName))
            issue.assignee = a
        }
    }

    mutating func record(_ issue: inout SandboxIssue, at t: Int64, _ items: [SandboxChangeItem]) {
        historyCounter += 1
        issue.histories.append(SandboxHistory(id: historyCounter, author: Self.accounts[Int(historyCounter % 7)], created: t, items: items))
    }

    /// Current status, resolution date (the last move from a non-done status into a done one)
    /// and status-category change time, from the changelog.
    static func finishStatus(_ issue: inout SandboxIssue) {
        var resolution: Int64?
        var categoryChanged = issue.created
        for h in issue.histories {
            for item in h.items where item.field == "status" {
                let from = Self.statuses.first { $0.id == item.from }!, to = Self.statuses.first { $0.id == item.to }!
                issue.statusID = to.id
                if from.categoryKey != to.categoryKey { categoryChanged = h.created }
                if to.categoryKey == "done" && from.categoryKey != "done" { resolution = h.created }
                if to.categoryKey != "done" { resolution = nil }
            }
        }
        issue.resolutionDate = resolution
        issue.statusCategoryChanged = categoryChanged
    }
}

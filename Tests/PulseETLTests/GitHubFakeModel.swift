import Foundation

/// A generated GitHub organisation for the connector tests (until the sandbox serves
/// one): repositories whose default branches hold merge, squash and rebase merges, direct
/// pushes, open and closed PRs, reviews (one pending), comments, deployments with statuses
/// (success, failure, one still in progress, a staging one), releases and workflow runs,
/// unicode and null authors. Deterministic; `mutate()` changes it like a day of work.
struct FakeOrganisation: Sendable {
    struct Commit: Sendable {
        var sha: String
        var message: String
        var author: String?
        var date: Date
        var parents: [String]
    }
    struct Review: Sendable {
        var id: Int64
        var user: String
        var state: String
        var submitted: Date?
    }
    struct Comment: Sendable {
        var id: Int64
        var user: String?
        var body: String
        var created: Date
    }
    struct Pull: Sendable {
        var number: Int
        var id: Int64
        var title: String
        var user: String?
        var state: String
        var merged: Bool
        var mergeCommitSHA: String?
        var labels: [String]
        var created: Date
        var updated: Date
        var mergedAt: Date?
        var closedAt: Date?
        var commits: [Commit]
        var reviews: [Review]
        var comments: [Comment]
    }
    struct Status: Sendable {
        var id: Int64
        var state: String
        var created: Date
    }
    struct Deployment: Sendable {
        var id: Int64
        var sha: String
        var environment: String
        var created: Date
        var statuses: [Status]
    }
    struct Release: Sendable {
        var id: Int64
        var tag: String
        var created: Date
        var draft: Bool
    }
    struct Run: Sendable {
        var id: Int64
        var sha: String
        var created: Date
        var updated: Date
        var conclusion: String?
    }
    struct Repository: Sendable {
        var id: Int64
        var name: String
        var defaultBranch: String
        /// Commits reachable from the default branch, oldest first.
        var main: [Commit] = []
        var pulls: [Pull] = []
        /// GitHub's commit -> PR association.
        var associations: [String: [Int]] = [:]
        var deployments: [Deployment] = []
        var releases: [Release] = []
        var runs: [Run] = []
        var head: String { main.last!.sha }
    }

    var organisation = "acme-pay"
    var repositories: [Repository] = []
    var counter: Int64 = 1000
    static let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    init(repositories count: Int = 2, pullsPerRepository: Int = 14) {
        for index in 0..<count {
            var repo = Repository(
                id: 5_000_000_000 + Int64(index), name: index == 0 ? "api" : "web-\(index)",
                defaultBranch: index == 1 ? "trunk" : "main")
            var time = Self.base.addingTimeInterval(Double(index) * 3600)
            commit(&repo, message: "Initial commit", author: "Ada", date: time, parents: [])
            for number in 1...pullsPerRepository {
                time = time.addingTimeInterval(3 * 3600)
                addPull(&repo, number: number, time: time)
                if number % 4 == 0 {
                    commit(&repo, message: "Direct push \(number) ünïcødé 🚀", author: number % 8 == 0 ? nil : "Bob",
                           date: time.addingTimeInterval(600), parents: [repo.head])
                }
                if number % 3 == 0 { deploy(&repo, time: time.addingTimeInterval(1200), outcome: number % 9 == 0 ? "failure" : "success") }
            }
            deploy(&repo, time: time.addingTimeInterval(1800), outcome: nil)  // still in progress
            deploy(&repo, time: time.addingTimeInterval(1900), outcome: "success", environment: "staging")
            repositories.append(repo)
        }
    }

    mutating func next() -> Int64 {
        counter += 1
        return counter
    }

    func sha(_ seed: Int64) -> String {
        let hex = String(seed, radix: 16)
        return "ab" + String(repeating: "0", count: 38 - hex.count) + hex
    }

    @discardableResult
    mutating func commit(_ repo: inout Repository, message: String, author: String?, date: Date, parents: [String]) -> Commit {
        let commit = Commit(sha: sha(next()), message: message, author: author, date: date, parents: parents)
        repo.main.append(commit)
        return commit
    }

    mutating func addPull(_ repo: inout Repository, number: Int, time: Date) {
        let kind = number % 5  // 0 merge, 1 squash, 2 rebase, 3 open, 4 closed
        var own: [Commit] = []
        var parent = repo.head
        for step in 0..<2 {
            let c = Commit(sha: sha(next()), message: "PR \(number) step \(step)", author: "Dev\(number % 3)",
                           date: time.addingTimeInterval(Double(step) * 60), parents: [parent])
            own.append(c)
            parent = c.sha
        }
        let merged = kind <= 2
        let mergedAt = time.addingTimeInterval(900)
        var mergeSHA: String?
        switch kind {
        case 0:
            repo.main.append(contentsOf: own)
            let merge = commit(&repo, message: "Merge pull request #\(number)", author: "Ada", date: mergedAt,
                               parents: [repo.main[repo.main.count - 3].sha, own[1].sha])
            mergeSHA = merge.sha
            for c in own { repo.associations[c.sha] = [number] }
        case 1:
            mergeSHA = commit(&repo, message: "Squashed #\(number)", author: "Dev\(number % 3)", date: mergedAt,
                              parents: [repo.head]).sha
        case 2:
            for c in own {
                let copy = commit(&repo, message: c.message, author: c.author, date: mergedAt, parents: [repo.head])
                repo.associations[copy.sha] = [number]
                mergeSHA = copy.sha
            }
        default:
            break
        }
        if let mergeSHA { repo.associations[mergeSHA] = [number] }
        var reviews: [Review] = []
        if number % 2 == 0 { reviews.append(Review(id: next(), user: "rev1", state: "APPROVED", submitted: time.addingTimeInterval(300))) }
        if number % 7 == 0 { reviews.append(Review(id: next(), user: "rev2", state: "PENDING", submitted: nil)) }
        var comments: [Comment] = []
        if number % 3 == 0 { comments.append(Comment(id: next(), user: number % 6 == 0 ? nil : "rev1", body: "Nit: “quotes” 👀", created: time.addingTimeInterval(200))) }
        repo.pulls.append(Pull(
            number: number, id: 9_000_000_000 + next(), title: number % 4 == 0 ? "Hotfix: ünïcødé \(number)" : "Change \(number)",
            user: number % 5 == 4 ? nil : "dev\(number % 3)", state: kind >= 3 && kind != 4 ? "open" : "closed", merged: merged,
            mergeCommitSHA: kind == 3 ? nil : (mergeSHA ?? sha(next())), labels: number % 4 == 0 ? ["hotfix"] : [],
            created: time, updated: merged ? mergedAt : time.addingTimeInterval(400), mergedAt: merged ? mergedAt : nil,
            closedAt: kind == 3 ? nil : mergedAt, commits: own, reviews: reviews, comments: comments))
    }

    mutating func deploy(_ repo: inout Repository, time: Date, outcome: String?, environment: String = "production") {
        var statuses = [Status(id: next(), state: "in_progress", created: time)]
        if let outcome { statuses.append(Status(id: next(), state: outcome, created: time.addingTimeInterval(120))) }
        repo.deployments.append(Deployment(id: next(), sha: repo.head, environment: environment, created: time, statuses: statuses))
        if repo.deployments.count % 2 == 0 { repo.releases.append(Release(id: next(), tag: "v1.\(repo.releases.count)", created: time, draft: false)) }
        repo.runs.append(Run(id: next(), sha: repo.head, created: time, updated: time.addingTimeInterval(300),
                             conclusion: outcome == nil ? nil : (outcome == "success" ? "success" : "failure")))
    }

    /// A day of changes at `now`: new PRs (merged and open), an open PR edited and
    /// reviewed, the unfinished deployment finished, a new deployment, release and run.
    mutating func mutate(now: Date) {
        for index in repositories.indices {
            var repo = repositories[index]
            var squash = repo.pulls.count + 1
            while squash % 5 != 1 { squash += 1 }
            var opened = squash + 1
            while opened % 5 != 3 { opened += 1 }
            addPull(&repo, number: squash, time: now.addingTimeInterval(-1800))
            addPull(&repo, number: opened, time: now.addingTimeInterval(-1700))
            if let open = repo.pulls.firstIndex(where: { $0.state == "open" }) {
                repo.pulls[open].title += " (edited)"
                repo.pulls[open].updated = now.addingTimeInterval(-600)
                repo.pulls[open].reviews.append(Review(id: next(), user: "rev3", state: "COMMENTED", submitted: now.addingTimeInterval(-600)))
            }
            if let unfinished = repo.deployments.firstIndex(where: { $0.statuses.count == 1 }) {
                repo.deployments[unfinished].statuses.append(Status(id: next(), state: "success", created: now.addingTimeInterval(-500)))
            }
            commit(&repo, message: "Direct push after the first sync", author: "Bob", date: now.addingTimeInterval(-400), parents: [repo.head])
            deploy(&repo, time: now.addingTimeInterval(-300), outcome: "success")
            repositories[index] = repo
        }
    }

    var pullCount: Int { repositories.reduce(0) { $0 + $1.pulls.count } }
    var commitCount: Int { repositories.reduce(0) { $0 + $1.main.count } }
    var deploymentCount: Int { repositories.reduce(0) { $0 + $1.deployments.count } }
}

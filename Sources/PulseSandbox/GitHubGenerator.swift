/// Generates one repository: its default-branch commit graph, pull requests (merge, squash,
/// rebase, other bases, closed unmerged, open), deployments with status histories, deploy
/// workflow runs and releases. Each repository draws from its own random stream, so one
/// repository's data does not depend on another's.
struct GitHubGenerator {
    static let organisation = "acme-pay"
    static let names = ["api", "web", "payments-service", "ledger", "mobile-app", "infra", "checkout", "notifications",
                        "fraud-detection", "reporting"]

    let seed: UInt64
    let index: Int
    let scale: SandboxConfiguration.Scale
    let reference: Int64
    let users: [SandboxUser]
    var rng: SandboxRandom

    init(seed: UInt64, index: Int, scale: SandboxConfiguration.Scale, reference: Int64, users: [SandboxUser]) {
        self.seed = seed
        self.index = index
        self.scale = scale
        self.reference = reference
        self.users = users
        self.rng = SandboxRandom(seed: seed, stream: UInt64(index) + 1)
    }

    static func repositoryName(_ index: Int) -> String {
        index < names.count ? names[index] : "service-\(String(index + 1))"
    }

    // Id spaces: unique per organisation, some above 2^31 (GitHub ids are 64-bit).
    var repoID: Int64 { 600_000_000 + Int64(index) * 7_919 }
    func pullID(_ n: Int) -> Int64 { 2_147_000_000 + Int64(index) * 100_000 + Int64(n) * 97 }
    func deploymentID(_ k: Int) -> Int64 { 2_100_000_000 + Int64(index) * 1_000_000 + Int64(k) * 11 }
    func statusID(_ k: Int) -> Int64 { 4_200_000_000 + Int64(index) * 10_000_000 + Int64(k) }
    func reviewID(_ k: Int) -> Int64 { 1_900_000_000 + Int64(index) * 10_000_000 + Int64(k) * 3 }
    func commentID(_ k: Int) -> Int64 { 1_500_000_000 + Int64(index) * 10_000_000 + Int64(k) * 5 }
    func runID(_ k: Int) -> Int64 { 9_000_000_000 + Int64(index) * 1_000_000 + Int64(k) * 13 }
    func releaseID(_ k: Int) -> Int64 { 150_000_000 + Int64(index) * 10_000 + Int64(k) }
    var workflowID: Int64 { 70_000_000 + Int64(index) }

    enum PullKind { case merge, squash, rebase, otherBase, closedUnmerged, open }

    mutating func generate() -> SandboxRepository {
        let name = Self.repositoryName(index)
        let defaultBranch = index % 3 == 2 ? "master" : "main"
        let start = reference - 365 * 86_400 + Int64(rng.int(0...20)) * 86_400
        let end = reference - 3_600

        // Decide every PR up front, so the number of direct pushes fills the commit target.
        let prCount = scale.pullRequestsPerRepository
        var kinds: [PullKind] = []
        for i in 0..<prCount {
            switch i % 20 {
            case 0, 3, 6, 9, 12, 15, 18, 19: kinds.append(.merge)
            case 1, 5, 10, 14, 17: kinds.append(.squash)
            case 2, 8, 13: kinds.append(.rebase)
            case 4: kinds.append(.otherBase)
            case 7, 16: kinds.append(.closedUnmerged)
            default: kinds.append(.open)
            }
        }
        for i in stride(from: kinds.count - 1, to: 0, by: -1) { kinds.swapAt(i, rng.int(0...i)) }
        let ownCounts = kinds.map { _ in rng.int(1...4) }
        var mainFromPulls = 0
        for (k, c) in zip(kinds, ownCounts) {
            switch k {
            case .merge: mainFromPulls += c + 1
            case .squash: mainFromPulls += 1
            case .rebase: mainFromPulls += c
            default: break
            }
        }
        let directCount = max(3, scale.commitsPerRepository - 1 - mainFromPulls)
        let events = prCount + directCount
        let step = Double(end - start - 2 * 86_400) / Double(max(events, 1))

        var chrono: [SandboxCommit] = []
        var other: [String: SandboxCommit] = [:]
        var pulls: [SandboxPullRequest] = []
        var commitPulls: [String: [Int]] = [:]
        var reviewCounter = 0, commentCounter = 0

        let root = commit(message: "Initial commit", parents: [], at: start, user: users[0])
        chrono.append(root)
        var remainingPR = prCount, remainingDirect = directCount
        var prIndex = 0
        var mergedToMain: [Int] = []  // indexes into pulls
        for e in 0..<events {
            let t = start + 86_400 + Int64(Double(e) * step) + Int64(rng.int(0...Int(max(step * 0.8, 1))))
            let head = chrono[chrono.count - 1]
            let takePR = remainingPR > 0 && (remainingDirect == 0 || rng.int(1...(remainingPR + remainingDirect)) <= remainingPR)
            if !takePR {
                remainingDirect -= 1
                let user = rng.chance(0.04) ? nil : rng.pick(users)
                var c = commit(message: rng.pick(Self.directMessages), parents: [head.sha], at: max(t, head.committedAt + 60), user: user)
                if user == nil { c.authorName = "Build Bot Ünlinked"; c.authorEmail = "ci-runner@build.local" }
                chrono.append(c)
                continue
            }
            remainingPR -= 1
            let kind = kinds[prIndex]
            let number = prIndex + 1
            prIndex += 1
            let author = rng.pick(users)
            let created = max(t - Int64(rng.int(3_600...(3 * 86_400))), start + 3_600)
            var own: [SandboxCommit] = []
            var parent = head.sha
            for j in 0..<ownCounts[number - 1] {
                let at = created - 1_800 + Int64(j) * Int64(rng.int(600...7_200))
                let c = commit(message: j == 0 ? "\(Self.topics[number % Self.topics.count]): first cut" : "Address review: \(Self.topics[(number + j) % Self.topics.count])",
                               parents: [parent], at: at, user: author)
                own.append(c)
                parent = c.sha
            }
            let title = Self.title(number: number, rng: &rng)
            var pr = SandboxPullRequest(
                id: pullID(number), number: number, title: title,
                body: "Implements \(title.lowercased()).\n\nRefs PAY-\(rng.int(1...max(scale.issuesPerProject, 1))) — naïve first pass ✓",
                user: author, state: "closed", draft: false, baseRef: defaultBranch, baseSha: head.sha,
                headRef: "feature/\(number)-\(Self.topics[number % Self.topics.count])", headSha: own.last!.sha, labels: [],
                createdAt: created, updatedAt: created, closedAt: nil, mergedAt: nil, mergeCommitSha: nil, mergeMethod: nil,
                mergedBy: nil, commits: own, reviews: [], comments: [],
                additions: rng.int(1...900), deletions: rng.int(0...400), changedFiles: rng.int(1...30))
            let mergeAt = max(t, own.last!.committedAt + 600, head.committedAt + 60)
            let merger = rng.pick(users)
            switch kind {
            case .merge:
                chrono.append(contentsOf: own)
                let m = commit(message: "Merge pull request #\(number) from \(Self.organisation)/\(pr.headRef)\n\n\(title)",
                               parents: [head.sha, own.last!.sha], at: mergeAt, user: merger)
                chrono.append(m)
                for c in own { commitPulls[c.sha, default: []].append(number) }
                commitPulls[m.sha, default: []].append(number)
                pr.mergeCommitSha = m.sha
            case .squash:
                own.forEach { other[$0.sha] = $0 }
                let s = commit(message: "\(title) (#\(number))", parents: [head.sha], at: mergeAt, user: author)
                chrono.append(s)
                commitPulls[s.sha, default: []].append(number)
                pr.mergeCommitSha = s.sha
            case .rebase:
                own.forEach { other[$0.sha] = $0 }
                var p = head.sha
                for (j, c) in own.enumerated() {
                    var r = c
                    r.sha = rng.sha()
                    r.parents = [p]
                    r.committedAt = mergeAt + Int64(j)
                    r.committer = merger
                    chrono.append(r)
                    commitPulls[r.sha, default: []].append(number)
                    p = r.sha
                }
                pr.mergeCommitSha = p
            case .otherBase:
                own.forEach { other[$0.sha] = $0 }
                pr.baseRef = index % 2 == 0 ? "release/2026.\(number % 4 + 1)" : "develop"
                let baseTip = rng.sha()
                let m = commit(message: "Merge pull request #\(number) into \(pr.baseRef)", parents: [baseTip, own.last!.sha], at: mergeAt, user: merger)
                other[m.sha] = m
                pr.baseSha = baseTip
                pr.mergeCommitSha = m.sha
                own.forEach { commitPulls[$0.sha, default: []].append(number) }
            case .closedUnmerged:
                own.forEach { other[$0.sha] = $0; commitPulls[$0.sha, default: []].append(number) }
                pr.closedAt = mergeAt
            case .open:
                own.forEach { other[$0.sha] = $0; commitPulls[$0.sha, default: []].append(number) }
                pr.state = "open"
                pr.draft = rng.chance(0.25)
            }
            if [.merge, .squash, .rebase, .otherBase].contains(kind) {
                pr.mergedAt = mergeAt
                pr.closedAt = mergeAt
                pr.mergedBy = merger
                pr.mergeMethod = kind == .merge || kind == .otherBase ? .merge : (kind == .squash ? .squash : .rebase)
            }
            // Reviews and their comments, between creation and close.
            let until = pr.closedAt ?? min(created + 5 * 86_400, end)
            if !pr.draft {
                for r in 0..<rng.int(0...3) {
                    let reviewer = users[(users.firstIndex(of: author)! + 1 + r) % users.count]
                    let at = min(created + Int64(rng.int(600...(2 * 86_400))), max(until - 60, created + 60))
                    reviewCounter += 1
                    let review = SandboxReview(id: reviewID(reviewCounter), user: reviewer,
                                               state: r == 0 && rng.chance(0.3) ? "CHANGES_REQUESTED" : (rng.chance(0.7) ? "APPROVED" : "COMMENTED"),
                                               body: rng.chance(0.5) ? "Looks good 👍" : "", submittedAt: at, commitID: pr.headSha)
                    pr.reviews.append(review)
                    for _ in 0..<rng.int(0...2) {
                        commentCounter += 1
                        pr.comments.append(SandboxReviewComment(
                            id: commentID(commentCounter), reviewID: review.id, user: reviewer,
                            body: rng.pick(["Could this be a constant?", "Nit: naming — prefer `amountInCents`", "Why not reuse the helper?", "Schön gelöst."]),
                            path: "Sources/\(Self.topics[number % Self.topics.count]).swift", line: rng.int(1...400),
                            commitID: pr.headSha, createdAt: at, updatedAt: at))
                    }
                }
                pr.reviews.sort { $0.submittedAt < $1.submittedAt }
            }
            pr.updatedAt = max(pr.closedAt ?? created, pr.reviews.map(\.submittedAt).max() ?? created)
            if kind == .merge || kind == .squash || kind == .rebase { mergedToMain.append(pulls.count) }
            pulls.append(pr)
        }
        // Hotfix and revert labels (labels decide, not titles).
        for (k, i) in mergedToMain.enumerated() where k > 0 {
            if k % 13 == 6 {
                pulls[i].labels = ["hotfix"]
                pulls[i].title = "Hotfix: " + pulls[i].title
            } else if k % 17 == 9 {
                let reverted = pulls[mergedToMain[k - 1]]
                pulls[i].labels = ["revert"]
                pulls[i].title = "Revert \"\(reverted.title)\""
                pulls[i].body = "Reverts \(Self.organisation)/\(name)#\(reverted.number)\n\nThis broke checkout in production."
            } else if k % 29 == 11 {
                pulls[i].labels = ["bug"]
                pulls[i].title = "Quick hotfix for the receipt typo"  // a title alone does not make a hotfix
            }
        }
        for i in pulls.indices where pulls[i].labels.isEmpty && pulls[i].number % 5 == 0 { pulls[i].labels = ["enhancement"] }

        var repository = SandboxRepository(
            id: repoID, name: name, owner: Self.organisation,
            description: "Acme Pay \(name) — généré par le bac à sable", defaultBranch: defaultBranch,
            productionEnvironment: index % 4 == 1 ? "prod" : "production",
            createdAt: start - 86_400, updatedAt: end, pushedAt: chrono.last!.committedAt,
            commits: chrono.reversed(), otherCommits: other, pulls: pulls, issues: [], commitPulls: commitPulls,
            deployments: [], releases: [], workflowRuns: [], commitIndex: [:])
        repository.reindex()
        var deployer = DeploymentGenerator(generator: self, chrono: chrono, start: start, end: end)
        deployer.generate(into: &repository)
        repository.issues = makeIssues(start: start, end: end, firstNumber: pulls.count + 1)
        rng = deployer.generator.rng
        return repository
    }

    mutating func commit(message: String, parents: [String], at: Int64, user: SandboxUser?) -> SandboxCommit {
        let name = user?.name ?? "Unlinked Author"
        return SandboxCommit(sha: rng.sha(), parents: parents, message: message, authorName: name,
                             authorEmail: user?.email ?? "unlinked@example.invalid", author: user, committer: user,
                             authoredAt: at, committedAt: at + Int64(rng.int(0...300)))
    }

    mutating func makeIssues(start: Int64, end: Int64, firstNumber: Int) -> [SandboxGitHubIssue] {
        (0..<max(2, scale.pullRequestsPerRepository / 10)).map { k in
            let created = start + Int64(rng.int(0...Int(end - start - 86_400)))
            let closed = rng.chance(0.6) ? created + Int64(rng.int(3_600...(20 * 86_400))) : nil
            return SandboxGitHubIssue(id: 3_000_000_000 + Int64(index) * 100_000 + Int64(k), number: firstNumber + k,
                                      title: rng.pick(["Crash on refund", "Löschen schlägt fehl", "Slow ledger export", "Docs: webhook retries"]),
                                      body: "Steps to reproduce…", user: rng.pick(users), state: closed == nil ? "open" : "closed",
                                      labels: ["bug"], createdAt: created, updatedAt: min(closed ?? created + 3_600, end), closedAt: closed.map { min($0, end) })
        }
    }

    static let directMessages = ["Bump dependencies", "Fix typo in README", "Hot patch: disable flaky retry", "Update CI cache key",
                                 "Tweak logging — réduire le bruit", "Release notes", "Config: raise pool size"]
    static let topics = ["refunds", "ledger", "webhooks", "checkout", "invoices", "auth", "payouts", "fx-rates", "reporting", "search"]

    static func title(number: Int, rng: inout SandboxRandom) -> String {
        let verbs = ["Add", "Fix", "Refactor", "Speed up", "Support", "Remove"]
        let things = ["refund retries", "ledger export", "webhook signatures", "currency rounding", "3-D Secure flow",
                      "payout batching", "Zahlungsabgleich", "invoice PDFs", "rate-limit handling", "idempotency keys"]
        return "\(rng.pick(verbs)) \(rng.pick(things))"
    }
}

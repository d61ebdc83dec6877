/// The GitHub half of a generated organisation, as plain values: what the sandbox serves and
/// what tests compare synced rows with. Times are epoch seconds (UTC).

/// A GitHub account. A class so the hundreds of thousands of commits of a large organisation
/// share one object per account instead of each carrying a copy.
public final class SandboxUser: Sendable, Hashable {
    public let login: String
    public let id: Int64
    /// The name commits carry (may hold non-ASCII letters).
    public let name: String
    public let email: String

    public init(login: String, id: Int64, name: String, email: String) {
        self.login = login
        self.id = id
        self.name = name
        self.email = email
    }

    public static func == (a: SandboxUser, b: SandboxUser) -> Bool { a.id == b.id && a.login == b.login }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// A git commit.
public struct SandboxCommit: Sendable {
    public var sha: String
    /// Parent shas: none for a root, two for a merge commit.
    public var parents: [String]
    public var message: String
    public var authorName: String
    public var authorEmail: String
    /// The GitHub account of the author; nil when the email is linked to none (`"author": null`).
    public var author: SandboxUser?
    public var committer: SandboxUser?
    public var authoredAt: Int64
    public var committedAt: Int64
}

/// How a pull request reached its base branch. GitHub itself has no such field.
public enum SandboxMergeMethod: String, Sendable, CaseIterable {
    case merge, squash, rebase
}

public struct SandboxReview: Sendable {
    public var id: Int64
    public var user: SandboxUser
    /// `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED`.
    public var state: String
    public var body: String
    public var submittedAt: Int64
    public var commitID: String
}

public struct SandboxReviewComment: Sendable {
    public var id: Int64
    public var reviewID: Int64
    public var user: SandboxUser
    public var body: String
    public var path: String
    public var line: Int
    public var commitID: String
    public var createdAt: Int64
    public var updatedAt: Int64
}

public struct SandboxPullRequest: Sendable {
    public var id: Int64
    public var number: Int
    public var title: String
    public var body: String
    public var user: SandboxUser
    /// `open` or `closed`.
    public var state: String
    public var draft: Bool
    public var baseRef: String
    public var baseSha: String
    public var headRef: String
    public var headSha: String
    public var labels: [String]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var closedAt: Int64?
    public var mergedAt: Int64?
    /// The merge commit (merge), the squash commit (squash) or the last rebased commit (rebase).
    public var mergeCommitSha: String?
    public var mergeMethod: SandboxMergeMethod?
    public var mergedBy: SandboxUser?
    /// The PR's own commits, oldest first (what `/pulls/{n}/commits` lists).
    public var commits: [SandboxCommit]
    public var reviews: [SandboxReview]
    public var comments: [SandboxReviewComment]
    public var additions: Int
    public var deletions: Int
    public var changedFiles: Int

    public var merged: Bool { mergedAt != nil }
}

public struct SandboxDeploymentStatus: Sendable {
    public var id: Int64
    /// `queued`, `in_progress`, `success`, `failure`, `error`.
    public var state: String
    public var description: String
    public var createdAt: Int64
}

public struct SandboxDeployment: Sendable {
    public var id: Int64
    public var sha: String
    public var ref: String
    public var environment: String
    public var description: String
    public var creator: SandboxUser
    public var createdAt: Int64
    public var updatedAt: Int64
    public var productionEnvironment: Bool
    public var transientEnvironment: Bool
    /// Every status, oldest first (the API lists them newest first).
    public var statuses: [SandboxDeploymentStatus]
    /// What the generator meant: `deploy`, `retry` (of a failed one), `rollback`, `redeploy`.
    public var kind: String

    public var latestState: String? { statuses.last?.state }
}

public struct SandboxRelease: Sendable {
    public var id: Int64
    public var tagName: String
    public var targetCommitish: String
    public var name: String
    public var body: String
    public var draft: Bool
    public var prerelease: Bool
    public var author: SandboxUser
    public var createdAt: Int64
    public var publishedAt: Int64?
}

public struct SandboxWorkflowRun: Sendable {
    public var id: Int64
    public var name: String
    /// `.github/workflows/deploy.yml` (as `path`, GitHub appends `@<branch>`).
    public var path: String
    public var workflowID: Int64
    public var runNumber: Int
    public var runAttempt: Int
    public var headBranch: String
    public var headSha: String
    public var event: String
    public var status: String
    public var conclusion: String?
    public var displayTitle: String
    public var actor: SandboxUser
    public var createdAt: Int64
    public var updatedAt: Int64
    public var runStartedAt: Int64
}

/// A GitHub issue that is not a pull request (the `/issues` listing mixes both).
public struct SandboxGitHubIssue: Sendable {
    public var id: Int64
    public var number: Int
    public var title: String
    public var body: String
    public var user: SandboxUser
    public var state: String
    public var labels: [String]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var closedAt: Int64?
}

public struct SandboxRepository: Sendable {
    public var id: Int64
    public var name: String
    public var owner: String
    public var description: String
    public var defaultBranch: String
    /// The production environment's name in this repository (`production` or `prod`).
    public var productionEnvironment: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var pushedAt: Int64
    /// Every commit reachable from the default branch's head, newest first.
    public var commits: [SandboxCommit]
    /// Commits not on the default branch (PR branches, other bases), by sha.
    public var otherCommits: [String: SandboxCommit]
    /// By number, ascending.
    public var pulls: [SandboxPullRequest]
    public var issues: [SandboxGitHubIssue]
    /// GitHub's commit → PR association (`/commits/{sha}/pulls`): PR numbers by sha.
    public var commitPulls: [String: [Int]]
    /// Oldest first.
    public var deployments: [SandboxDeployment]
    public var releases: [SandboxRelease]
    public var workflowRuns: [SandboxWorkflowRun]
    /// Index of `commits` by sha.
    public var commitIndex: [String: Int]

    public var fullName: String { "\(owner)/\(name)" }

    public func commit(_ sha: String) -> SandboxCommit? {
        if let i = commitIndex[sha] { return commits[i] }
        return otherCommits[sha]
    }

    public func pull(_ number: Int) -> SandboxPullRequest? {
        var lo = 0, hi = pulls.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if pulls[mid].number == number { return pulls[mid] }
            if pulls[mid].number < number { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    mutating func reindex() {
        commitIndex = Dictionary(uniqueKeysWithValues: commits.enumerated().map { ($1.sha, $0) })
    }
}

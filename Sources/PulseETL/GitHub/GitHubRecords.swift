import Foundation

/// What one page of the GitHub sync writes: plain values, checked before the transaction
/// (SHAs, required times) so a page either stores whole or not at all.
enum GitHubRecord {
    struct Repository: Sendable {
        var externalID: String
        var fullName: String
        var defaultBranch: String
        var url: String?
        var archived: Bool
        var updatedAt: Date?
        var pushedAt: Date?
    }

    struct Review: Sendable {
        var externalID: String
        var reviewer: String?
        var state: String
        var body: String?
        var submittedAt: Date
    }

    struct Comment: Sendable {
        var externalID: String
        var author: String?
        var body: String?
        var path: String?
        var commentedAt: Date
    }

    struct PullCommit: Sendable {
        var sha: String
        var authorName: String?
        var authoredAt: Date?
        var message: String?
    }

    struct Pull: Sendable {
        var externalID: String
        var number: Int
        var title: String
        var body: String?
        var author: String?
        var state: String
        var baseBranch: String?
        var headBranch: String?
        var mergeCommitSHA: String?
        var labels: [String]
        var additions: Int?
        var deletions: Int?
        var changedFiles: Int?
        var commitsCount: Int?
        var reviewCommentsCount: Int?
        var mergedBy: String?
        var createdAt: Date
        var updatedAt: Date
        var mergedAt: Date?
        var closedAt: Date?
        var reviews: [Review] = []
        var comments: [Comment] = []
        var commits: [PullCommit] = []

        var firstReviewAt: Date? { reviews.filter { $0.state != "PENDING" }.map(\.submittedAt).min() }
        var approvedAt: Date? { reviews.filter { $0.state == "APPROVED" }.map(\.submittedAt).min() }
    }

    struct Commit: Sendable {
        var sha: String
        var message: String?
        var authorName: String?
        var authorEmail: String?
        var authoredAt: Date?
        var committedAt: Date?
        var parents: [String]
    }

    struct Association: Sendable {
        var sha: String
        var number: Int
    }

    struct DeploymentStatus: Sendable {
        var externalID: String
        var state: String
        var description: String?
        var createdAt: Date
    }

    struct Deployment: Sendable {
        var externalID: String
        var environment: String
        var sha: String
        var ref: String?
        var url: String?
        var createdAt: Date
        var statuses: [DeploymentStatus]

        /// The latest status (newest `created_at`, then highest id): the deployment's state.
        var latest: DeploymentStatus? {
            statuses.max { a, b in
                a.createdAt != b.createdAt ? a.createdAt < b.createdAt : (Int64(a.externalID) ?? 0) < (Int64(b.externalID) ?? 0)
            }
        }
        var status: String { latest?.state ?? "pending" }
        /// When the latest status is a success: its time (what DORA orders deployments by).
        var finishedAt: Date? { latest.flatMap { $0.state == "success" ? $0.createdAt : nil } }
        /// Whether GitHub may still add statuses (re-polled by incremental syncs).
        static let nonTerminal: Set<String> = ["pending", "queued", "in_progress"]
    }

    struct Release: Sendable {
        var externalID: Int64
        var tagName: String
        var name: String?
        var targetCommitish: String?
        var draft: Bool
        var prerelease: Bool
        var author: String?
        var createdAt: Date
        var publishedAt: Date?
    }

    struct WorkflowRun: Sendable {
        var externalID: Int64
        var workflowID: Int64?
        var name: String?
        var path: String?
        var headBranch: String?
        var headSHA: String
        var event: String?
        var status: String?
        var conclusion: String?
        var runAttempt: Int
        var url: String?
        var runStartedAt: Date?
        var createdAt: Date
        var updatedAt: Date
    }
}

extension GitHubRecord.Pull {
    /// From the single-PR payload; nil (with the reason) when a stored field is unusable.
    static func from(_ pull: GitHubPayload.Pull) -> Result<Self, GitHubPayload.DecodingFailure> {
        let merged = pull.merged ?? (pull.mergedAt != nil)
        let state: String
        switch pull.state {
        case "open": state = "open"
        case "closed": state = merged ? "merged" : "closed"
        default: return .failure(.init(message: "PR #\(pull.number): unknown state \(pull.state.prefix(20))"))
        }
        var sha = pull.mergeCommitSha
        if let candidate = sha, !GitHubPayload.isSHA(candidate) { sha = nil }
        return .success(Self(
            externalID: String(pull.id), number: pull.number, title: pull.title, body: pull.body, author: pull.user?.login,
            state: state, baseBranch: pull.base?.ref, headBranch: pull.head?.ref, mergeCommitSHA: sha,
            labels: (pull.labels ?? []).map(\.name), additions: pull.additions, deletions: pull.deletions,
            changedFiles: pull.changedFiles, commitsCount: pull.commits, reviewCommentsCount: pull.reviewComments,
            mergedBy: pull.mergedBy?.login, createdAt: pull.createdAt, updatedAt: pull.updatedAt,
            mergedAt: merged ? pull.mergedAt : nil, closedAt: pull.closedAt))
    }
}

extension GitHubRecord.Commit {
    static func from(_ commit: GitHubPayload.Commit) -> Result<Self, GitHubPayload.DecodingFailure> {
        let sha = commit.sha.lowercased()
        guard GitHubPayload.isSHA(sha) else { return .failure(.init(message: "commit with an invalid sha \(commit.sha.prefix(45))")) }
        let parents = (commit.parents ?? []).map { $0.sha.lowercased() }
        if let bad = parents.first(where: { !GitHubPayload.isSHA($0) }) {
            return .failure(.init(message: "commit \(sha): invalid parent sha \(bad.prefix(45))"))
        }
        return .success(Self(
            sha: sha, message: commit.commit.message, authorName: commit.commit.author?.name,
            authorEmail: commit.commit.author?.email, authoredAt: commit.commit.author?.date,
            committedAt: commit.commit.committer?.date, parents: parents))
    }
}

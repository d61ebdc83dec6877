import Foundation

// The raw facts the DORA engine reads, as plain values (no database). The SQL loader
// (`DORAFactLoader`) fills them from the connectors' tables; tests build them by hand.

/// One commit of a repository's default-branch graph.
public struct CommitFact: Sendable, Equatable {
    public var sha: String
    public var authoredAt: Date?
    /// Parent shas in order (two for a merge commit).
    public var parents: [String]
    /// The database id of the commit row, if any (what deployment_changes references).
    public var id: Int64?

    public init(sha: String, authoredAt: Date?, parents: [String], id: Int64? = nil) {
        self.sha = sha
        self.authoredAt = authoredAt
        self.parents = parents
        self.id = id
    }
}

/// A pull request with the commits it carried.
public struct PullRequestFact: Sendable, Equatable {
    public var id: Int64
    public var number: Int
    public var title: String
    public var body: String?
    public var author: String?
    /// open, closed or merged.
    public var state: String
    public var baseBranch: String?
    public var mergedAt: Date?
    public var mergeCommitSha: String?
    public var labels: [String]
    /// The PR's own commits (prs_commits): sha and author date.
    public var commits: [(sha: String, authoredAt: Date?)]

    public init(id: Int64, number: Int, title: String = "", body: String? = nil, author: String? = nil, state: String,
                baseBranch: String?, mergedAt: Date?, mergeCommitSha: String?, labels: [String] = [],
                commits: [(sha: String, authoredAt: Date?)]) {
        self.id = id
        self.number = number
        self.title = title
        self.body = body
        self.author = author
        self.state = state
        self.baseBranch = baseBranch
        self.mergedAt = mergedAt
        self.mergeCommitSha = mergeCommitSha
        self.labels = labels
        self.commits = commits
    }

    public static func == (a: PullRequestFact, b: PullRequestFact) -> Bool {
        a.id == b.id && a.number == b.number && a.state == b.state && a.baseBranch == b.baseBranch
            && a.mergedAt == b.mergedAt && a.mergeCommitSha == b.mergeCommitSha && a.labels == b.labels
            && a.commits.map(\.sha) == b.commits.map(\.sha) && a.commits.map(\.authoredAt) == b.commits.map(\.authoredAt)
    }
}

/// One status of a deployment attempt.
public struct DeploymentStatusFact: Sendable, Equatable {
    public var state: String
    public var createdAt: Date
    public init(state: String, createdAt: Date) {
        self.state = state
        self.createdAt = createdAt
    }
}

/// Where a deployment attempt comes from.
public enum DeploymentSource: String, Sendable, Equatable, Codable {
    case githubDeployment = "github_deployment"
    case workflowRun = "workflow_run"
    case pushAPI = "push_api"
}

/// A deployment attempt (GitHub deployment with its status history, or a pushed one).
public struct DeploymentAttemptFact: Sendable, Equatable {
    public var id: Int64
    public var source: DeploymentSource
    public var environment: String
    public var sha: String
    public var url: String?
    public var externalID: String?
    /// All statuses in any order; the latest (by time, then position) decides.
    public var statuses: [DeploymentStatusFact]

    public init(id: Int64, source: DeploymentSource = .githubDeployment, environment: String, sha: String,
                url: String? = nil, externalID: String? = nil, statuses: [DeploymentStatusFact]) {
        self.id = id
        self.source = source
        self.environment = environment
        self.sha = sha
        self.url = url
        self.externalID = externalID
        self.statuses = statuses
    }
}

/// A GitHub Actions workflow run.
public struct WorkflowRunFact: Sendable, Equatable {
    public var id: Int64
    public var path: String?
    public var headBranch: String?
    public var headSha: String
    public var conclusion: String?
    public var updatedAt: Date
    public init(id: Int64, path: String?, headBranch: String?, headSha: String, conclusion: String?, updatedAt: Date) {
        self.id = id
        self.path = path
        self.headBranch = headBranch
        self.headSha = headSha
        self.conclusion = conclusion
        self.updatedAt = updatedAt
    }
}

/// Everything the engine reads about one repository.
public struct RepositoryFacts: Sendable, Equatable {
    public var id: Int
    /// owner/repo
    public var fullName: String
    public var defaultBranch: String
    public var commits: [CommitFact]
    public var pullRequests: [PullRequestFact]
    /// GitHub's commit -> PR association of default-branch commits: sha -> PR ids.
    public var commitPullRequests: [String: [Int64]]
    public var deploymentAttempts: [DeploymentAttemptFact]
    public var workflowRuns: [WorkflowRunFact]

    public init(id: Int, fullName: String, defaultBranch: String = "main", commits: [CommitFact] = [],
                pullRequests: [PullRequestFact] = [], commitPullRequests: [String: [Int64]] = [:],
                deploymentAttempts: [DeploymentAttemptFact] = [], workflowRuns: [WorkflowRunFact] = []) {
        self.id = id
        self.fullName = fullName
        self.defaultBranch = defaultBranch
        self.commits = commits
        self.pullRequests = pullRequests
        self.commitPullRequests = commitPullRequests
        self.deploymentAttempts = deploymentAttempts
        self.workflowRuns = workflowRuns
    }
}

/// An incident (Jira issue mapped to `incident`, or pushed) with what it names.
public struct IncidentFact: Sendable, Equatable {
    public var id: Int64
    public var externalID: String
    /// The repository it belongs to (resolved from its repository reference), if known.
    public var repositoryID: Int?
    public var title: String
    public var description: String?
    /// The integration's deployment field: a deployment URL or id.
    public var deploymentReference: String?
    public var startedAt: Date
    /// nil while open.
    public var resolvedAt: Date?

    public init(id: Int64, externalID: String = "", repositoryID: Int?, title: String = "", description: String? = nil,
                deploymentReference: String? = nil, startedAt: Date, resolvedAt: Date?) {
        self.id = id
        self.externalID = externalID.isEmpty ? "INC-\(id)" : externalID
        self.repositoryID = repositoryID
        self.title = title
        self.description = description
        self.deploymentReference = deploymentReference
        self.startedAt = startedAt
        self.resolvedAt = resolvedAt
    }
}

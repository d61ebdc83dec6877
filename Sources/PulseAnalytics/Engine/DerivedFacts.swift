import Foundation

/// Why a deployment counts as failed (in precedence order: the first that applies wins).
public enum FailureReason: String, Sendable, Equatable, Codable, CaseIterable {
    case incidentNamesDeployment = "incident_names_deployment"
    case incidentNamesPR = "incident_names_pr"
    case incidentNamesCommit = "incident_names_commit"
    case incidentWindow = "incident_window"
    case rollback
    case hotfix
    case revert
}

/// How a restoring deployment restored a failed one.
public enum RestoreKind: String, Sendable, Equatable, Codable {
    case rollback, hotfix, revert
}

/// A change: a PR merged into the default branch, or a direct-push commit.
public struct DerivedChange: Sendable, Equatable {
    public var prID: Int64?
    public var prNumber: Int?
    /// The direct-push commit (sha) when there is no PR.
    public var commitSha: String?
    public var commitID: Int64?
    /// The commit whose presence in a deployed sha means the change shipped.
    public var landingSha: String
    /// Earliest author date among the change's commits.
    public var firstCommitAt: Date?
    /// nil for changes of the repository's first deployment ever (excluded from lead time).
    public var leadTimeSeconds: Double?

    public init(prID: Int64? = nil, prNumber: Int? = nil, commitSha: String? = nil, commitID: Int64? = nil,
                landingSha: String, firstCommitAt: Date?, leadTimeSeconds: Double? = nil) {
        self.prID = prID
        self.prNumber = prNumber
        self.commitSha = commitSha
        self.commitID = commitID
        self.landingSha = landingSha
        self.firstCommitAt = firstCommitAt
        self.leadTimeSeconds = leadTimeSeconds
    }
}

/// A production deployment with everything derived about it.
public struct DerivedDeployment: Sendable, Equatable {
    public var id: Int64
    public var repositoryID: Int
    public var source: DeploymentSource
    public var environment: String
    public var sha: String
    public var finishedAt: Date
    public var previousID: Int64?
    public var firstEver: Bool
    public var changes: [DerivedChange]
    public var failed: Bool { failureReason != nil }
    public var failureReason: FailureReason?
    /// Incidents that made it failed (any rule), for the drill-down.
    public var incidentIDs: [Int64]
    /// The earliest deployment that restored it.
    public var restoredByID: Int64?
    public var recoverySeconds: Double?
    /// It restored a failed deployment (rollback, hotfix or revert within the window).
    public var restores: [Int64]
    public var restoreKind: RestoreKind?
    public var isRework: Bool { !restores.isEmpty }

    public init(id: Int64, repositoryID: Int, source: DeploymentSource = .githubDeployment, environment: String = "production",
                sha: String, finishedAt: Date, previousID: Int64? = nil, firstEver: Bool = false,
                changes: [DerivedChange] = [], failureReason: FailureReason? = nil, incidentIDs: [Int64] = [],
                restoredByID: Int64? = nil, recoverySeconds: Double? = nil, restores: [Int64] = [],
                restoreKind: RestoreKind? = nil) {
        self.id = id
        self.repositoryID = repositoryID
        self.source = source
        self.environment = environment
        self.sha = sha
        self.finishedAt = finishedAt
        self.previousID = previousID
        self.firstEver = firstEver
        self.changes = changes
        self.failureReason = failureReason
        self.incidentIDs = incidentIDs
        self.restoredByID = restoredByID
        self.recoverySeconds = recoverySeconds
        self.restores = restores
        self.restoreKind = restoreKind
    }
}

/// The rule that attributed an incident to a deployment.
public enum IncidentRule: String, Sendable, Equatable, Codable {
    case namesDeployment = "names_deployment"
    case namesPR = "names_pr"
    case namesCommit = "names_commit"
    case timeWindow = "time_window"
}

/// What an incident was attributed to, or why nothing.
public struct IncidentAttribution: Sendable, Equatable {
    public var incidentID: Int64
    public var deploymentID: Int64?
    public var rule: IncidentRule?
    public var prID: Int64?
    public var commitSha: String?
    /// Why there is no deployment (nil when attributed).
    public var unattributedReason: String?
}

/// The derived facts of one repository.
public struct RepositoryDerivation: Sendable, Equatable {
    public var repositoryID: Int
    public var deployments: [DerivedDeployment]
    public var incidents: [IncidentAttribution]
}

/// Seconds from `a` to `b`, rounded to the millisecond (Date arithmetic is binary floating
/// point; stored timestamps have microseconds, figures are reported in seconds).
func seconds(from a: Date, to b: Date) -> Double {
    (b.timeIntervalSince(a) * 1000).rounded() / 1000
}

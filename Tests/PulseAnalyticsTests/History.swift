import Foundation
import PulseAnalytics

/// Monday 2026-01-05 00:00 UTC: hour 0 of every hand-made history.
let t0 = Date(timeIntervalSince1970: 1_767_571_200)
func h(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
/// A 40-hex-digit sha whose first 8 characters are unique per n.
func sha(_ n: Int) -> String { "c0de" + String(format: "%04x", n) + String(repeating: "f", count: 32) }

/// A small hand-made repository history: commits on the default branch, PRs, deployments.
struct History {
    var repository = RepositoryFacts(id: 1, fullName: "acme/pay")
    var incidents: [IncidentFact] = []
    var settings = DORASettings.default

    /// A default-branch commit (direct push unless a PR claims it).
    mutating func commit(_ n: Int, parents: [Int], at hours: Double) {
        repository.commits.append(CommitFact(sha: sha(n), authoredAt: h(hours), parents: parents.map(sha), id: Int64(n)))
    }

    /// A PR; `merge` is its merge/squash commit (already added with `commit`), `associated`
    /// the default-branch commits GitHub associates with it.
    mutating func pr(_ number: Int, commits: [(Int, Double)], merge: Int?, mergedAt: Double?, base: String = "main",
                     labels: [String] = [], title: String = "", body: String? = nil, associated: [Int]? = nil,
                     state: String? = nil) {
        let id = Int64(1000 + number)
        repository.pullRequests.append(PullRequestFact(
            id: id, number: number, title: title, body: body, state: state ?? (mergedAt == nil ? "open" : "merged"),
            baseBranch: base, mergedAt: mergedAt.map(h), mergeCommitSha: merge.map(sha), labels: labels,
            commits: commits.map { (sha($0.0), h($0.1)) }))
        for n in associated ?? (merge.map { [$0] } ?? []) { repository.commitPullRequests[sha(n), default: []].append(id) }
    }

    /// A deployment attempt with its statuses (state, hour).
    mutating func attempt(_ id: Int64, _ n: Int, environment: String = "production", _ statuses: [(String, Double)],
                          source: DeploymentSource = .githubDeployment) {
        repository.deploymentAttempts.append(DeploymentAttemptFact(
            id: id, source: source, environment: environment, sha: sha(n),
            url: "https://api.github.com/repos/acme/pay/deployments/\(9000 + id)", externalID: "\(9000 + id)",
            statuses: statuses.map { DeploymentStatusFact(state: $0.0, createdAt: h($0.1)) }))
    }

    /// A successful production deployment of commit n finishing at `hours`.
    mutating func deploy(_ id: Int64, _ n: Int, at hours: Double) {
        attempt(id, n, [("in_progress", hours - 0.1), ("success", hours)])
    }

    mutating func incident(_ id: Int64, at hours: Double, resolved: Double? = nil, repository: Int? = 1, title: String = "Outage",
                           description: String? = nil, deployment: String? = nil) {
        incidents.append(IncidentFact(id: id, repositoryID: repository, title: title, description: description,
                                      deploymentReference: deployment, startedAt: h(hours), resolvedAt: resolved.map(h)))
    }

    func derive() throws -> RepositoryDerivation {
        try DeliveryDerivation(settings: settings).derive(repository, incidents: incidents)
    }
}

extension RepositoryDerivation {
    func deployment(_ id: Int64) -> DerivedDeployment? { deployments.first { $0.id == id } }
    func attribution(_ incident: Int64) -> IncidentAttribution? { incidents.first { $0.incidentID == incident } }
}

/// Period covering every hand-made history (Jan 5 .. Feb 3 2026).
let wholePeriod = DORAPeriod(start: t0, days: 30)

/// Hours as seconds (a Double: `#expect(x == hours(8))` would compare with an Int).
func hours(_ x: Double) -> Double { x * 3600 }

import Foundation

/// The pure DORA engine: raw facts of one repository (+ the client's incidents) -> production
/// deployments in finish order, the changes each shipped, failures, restores and incident
/// attributions, exactly as SPEC "DORA definitions" says. No database.
public struct DeliveryDerivation: Sendable {
    public let settings: DORASettings
    public let matcher: EnvironmentMatcher

    public init(settings: DORASettings) throws(DORASettingsError) {
        self.settings = settings
        self.matcher = try EnvironmentMatcher(pattern: settings.productionEnvironmentPattern)
    }

    /// Successful runs of the repository's configured deploy workflow on its default branch.
    public func deployWorkflowRuns(_ repository: RepositoryFacts) -> [WorkflowRunFact] {
        guard let path = settings.deployWorkflows[repository.fullName] else { return [] }
        return repository.workflowRuns.filter {
            $0.path == path && $0.headBranch == repository.defaultBranch && $0.conclusion?.lowercased() == "success"
        }
    }

    /// Production deployments (id, source, environment, sha, finish) in finish order.
    public func productionDeployments(_ repository: RepositoryFacts) -> [DerivedDeployment] {
        var result: [DerivedDeployment] = []
        for attempt in repository.deploymentAttempts {
            // The latest status decides; ties keep the later one in the list.
            var latest: DeploymentStatusFact?
            for status in attempt.statuses where latest == nil || status.createdAt >= latest!.createdAt { latest = status }
            guard let latest, latest.state.lowercased() == "success" else { continue }
            if attempt.source == .githubDeployment, !matcher.matches(attempt.environment) { continue }
            result.append(DerivedDeployment(id: attempt.id, repositoryID: repository.id, source: attempt.source,
                                            environment: attempt.environment, sha: attempt.sha, finishedAt: latest.createdAt))
        }
        for run in deployWorkflowRuns(repository) {
            result.append(DerivedDeployment(id: run.id, repositoryID: repository.id, source: .workflowRun,
                                            environment: run.path ?? "workflow", sha: run.headSha, finishedAt: run.updatedAt))
        }
        result.sort { ($0.finishedAt, $0.id) < ($1.finishedAt, $1.id) }
        return result
    }

    /// The repository's changes: PRs merged into the default branch and direct-push commits.
    public func changes(_ repository: RepositoryFacts, graph: CommitGraph) -> [DerivedChange] {
        let authored = Dictionary(repository.commits.map { ($0.sha, $0) }, uniquingKeysWith: { a, _ in a })
        var associated: [Int64: [String]] = [:]
        for (sha, prs) in repository.commitPullRequests { for pr in prs { associated[pr, default: []].append(sha) } }
        var belongsToPR: Set<String> = Set(repository.commitPullRequests.keys)
        var result: [DerivedChange] = []
        for pr in repository.pullRequests where pr.mergedAt != nil && pr.baseBranch == repository.defaultBranch {
            var candidates = (associated[pr.id] ?? []).filter(graph.contains)
            if let merge = pr.mergeCommitSha, graph.contains(merge) { candidates.append(merge) }
            for commit in pr.commits { belongsToPR.insert(commit.sha) }
            if let merge = pr.mergeCommitSha { belongsToPR.insert(merge) }
            // The merge/squash commit, or the last rebased commit: the highest in the graph.
            guard let landing = candidates.max(by: {
                (graph.generationNumber($0), $0) < (graph.generationNumber($1), $1)
            }) else { continue }
            var dates = pr.commits.compactMap(\.authoredAt)
            dates += (associated[pr.id] ?? []).compactMap { authored[$0]?.authoredAt }
            if dates.isEmpty, let date = authored[landing]?.authoredAt { dates.append(date) }
            result.append(DerivedChange(prID: pr.id, prNumber: pr.number, landingSha: landing, firstCommitAt: dates.min()))
        }
        for commit in repository.commits where !belongsToPR.contains(commit.sha) {
            result.append(DerivedChange(commitSha: commit.sha, commitID: commit.id, landingSha: commit.sha,
                                        firstCommitAt: commit.authoredAt))
        }
        return result
    }

    /// Everything derived for one repository. `incidents` may hold the whole client's
    /// incidents: only those of this repository or naming its deployments, PRs or commits
    /// are attributed here.
    public func derive(_ repository: RepositoryFacts, incidents: [IncidentFact]) -> RepositoryDerivation {
        let graph = CommitGraph(repository.commits)
        var deployments = productionDeployments(repository)
        var byLanding: [String: [DerivedChange]] = [:]
        for change in changes(repository, graph: graph) { byLanding[change.landingSha, default: []].append(change) }
        var shipped: Set<String> = []  // landing shas already attributed
        var commitShippedBy: [String: Int] = [:]  // commit sha -> index of the first deployment reaching it
        var prShippedBy: [Int64: Int] = [:]
        for index in deployments.indices {
            let previous = index > 0 ? deployments[index - 1] : nil
            deployments[index].previousID = previous?.id
            deployments[index].firstEver = index == 0
            let fresh = graph.newCommits(at: deployments[index].sha, since: previous?.sha)
            var shippedHere: [DerivedChange] = []
            for sha in fresh {
                if commitShippedBy[sha] == nil { commitShippedBy[sha] = index }
                guard let changes = byLanding[sha], shipped.insert(sha).inserted else { continue }
                for var change in changes {
                    if index > 0, let first = change.firstCommitAt {
                        change.leadTimeSeconds = seconds(from: first, to: deployments[index].finishedAt)
                    }
                    if let pr = change.prID { prShippedBy[pr] = index }
                    shippedHere.append(change)
                }
            }
            shippedHere.sort { ($0.prNumber ?? Int.max, $0.commitSha ?? "") < ($1.prNumber ?? Int.max, $1.commitSha ?? "") }
            deployments[index].changes = shippedHere
        }
        let context = FailureContext(repository: repository, graph: graph, commitShippedBy: commitShippedBy,
                                     prShippedBy: prShippedBy, settings: settings)
        let attributions = context.attribute(incidents: incidents, deployments: deployments)
        context.markFailures(&deployments, attributions: attributions, incidents: incidents)
        return RepositoryDerivation(repositoryID: repository.id, deployments: deployments, incidents: attributions)
    }
}

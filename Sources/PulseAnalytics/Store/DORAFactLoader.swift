import Foundation
import PulsePostgres

/// Reads a client's raw facts (what the connectors stored) into the engine's values.
/// Every query runs in the client's tenant scope and filters by client_id as well.
public enum DORAFactLoader {
    /// The client's DORA settings (system_settings key `dora`), defaults when unset.
    public static func settings(_ tx: PostgresTransaction, clientID: Int) async throws -> DORASettings {
        let rows = try await tx.query(
            "SELECT setting_value::text FROM system_settings WHERE client_id = $1 AND setting_key = 'dora'", [clientID])
        guard let first = rows.first, let text = try first.decode(String?.self, at: 0) else { return .default }
        return (try? JSONDecoder().decode(DORASettings.self, from: Data(text.utf8))) ?? .default
    }

    /// Repository ids of the client (optionally only those changed since `since`).
    public static func repositoryIDs(_ tx: PostgresTransaction, clientID: Int, touchedSince since: Date? = nil) async throws -> [Int] {
        let rows: PostgresRows
        if let since {
            rows = try await tx.query(
                """
                SELECT r.id FROM repositories r WHERE r.client_id = $1 AND (r.updated_at >= $2
                   OR EXISTS (SELECT 1 FROM commits c WHERE c.client_id = $1 AND c.repository_id = r.id AND c.updated_at >= $2)
                   OR EXISTS (SELECT 1 FROM prs p WHERE p.client_id = $1 AND p.repository_id = r.id AND p.updated_at >= $2)
                   OR EXISTS (SELECT 1 FROM deployments d WHERE d.client_id = $1 AND d.repository_id = r.id AND d.updated_at >= $2)
                   OR EXISTS (SELECT 1 FROM workflow_runs w WHERE w.client_id = $1 AND w.repository_id = r.id AND w.updated_at >= $2)
                   OR EXISTS (SELECT 1 FROM incidents i WHERE i.client_id = $1 AND i.repository_id = r.id AND i.updated_at >= $2))
                ORDER BY r.id
                """, [clientID, since])
        } else {
            rows = try await tx.query("SELECT id FROM repositories WHERE client_id = $1 ORDER BY id", [clientID])
        }
        return try rows.map { try $0.decode(Int.self, at: 0) }
    }

    /// One repository's facts. Deploy-workflow runs must already be materialised as
    /// deployments (source 'workflow_run', see `DORAFactWriter.materialiseWorkflowRuns`).
    public static func repository(_ tx: PostgresTransaction, clientID: Int, repositoryID: Int) async throws -> RepositoryFacts? {
        let repoRows = try await tx.query(
            "SELECT full_name, default_branch FROM repositories WHERE client_id = $1 AND id = $2", [clientID, repositoryID])
        guard let repo = repoRows.first else { return nil }
        var facts = RepositoryFacts(id: repositoryID, fullName: try repo.decode(String.self, at: 0),
                                    defaultBranch: try repo.decode(String.self, at: 1))
        var parents: [String: [String]] = [:]
        for row in try await tx.query(
            "SELECT sha, parent_sha FROM commit_parents WHERE client_id = $1 AND repository_id = $2 ORDER BY sha, position",
            [clientID, repositoryID]) {
            parents[try row.decode(String.self, at: 0), default: []].append(try row.decode(String.self, at: 1))
        }
        for row in try await tx.query(
            "SELECT id, sha, authored_at FROM commits WHERE client_id = $1 AND repository_id = $2",
            [clientID, repositoryID]) {
            let sha = try row.decode(String.self, at: 1)
            facts.commits.append(CommitFact(sha: sha, authoredAt: try row.decode(Date?.self, at: 2), parents: parents[sha] ?? [],
                                            id: try row.decode(Int64.self, at: 0)))
        }
        var prCommits: [Int64: [(sha: String, authoredAt: Date?)]] = [:]
        for row in try await tx.query(
            """
            SELECT pc.pr_id, pc.sha, pc.authored_at FROM prs_commits pc JOIN prs p ON p.client_id = pc.client_id AND p.id = pc.pr_id
            WHERE pc.client_id = $1 AND p.repository_id = $2
            """, [clientID, repositoryID]) {
            prCommits[try row.decode(Int64.self, at: 0), default: []].append((try row.decode(String.self, at: 1), try row.decode(Date?.self, at: 2)))
        }
        for row in try await tx.query(
            """
            SELECT id, number, title, body, author, state, base_branch, merged_at, merge_commit_sha, labels
            FROM prs WHERE client_id = $1 AND repository_id = $2
            """, [clientID, repositoryID]) {
            let id = try row.decode(Int64.self, at: 0)
            facts.pullRequests.append(PullRequestFact(
                id: id, number: try row.decode(Int.self, at: 1), title: try row.decode(String.self, at: 2),
                body: try row.decode(String?.self, at: 3), author: try row.decode(String?.self, at: 4),
                state: try row.decode(String.self, at: 5), baseBranch: try row.decode(String?.self, at: 6),
                mergedAt: try row.decode(Date?.self, at: 7), mergeCommitSha: try row.decode(String?.self, at: 8),
                labels: try row.decode([String].self, at: 9), commits: prCommits[id] ?? []))
        }
        for row in try await tx.query(
            "SELECT sha, pr_id FROM commit_pull_requests WHERE client_id = $1 AND repository_id = $2", [clientID, repositoryID]) {
            facts.commitPullRequests[try row.decode(String.self, at: 0), default: []].append(try row.decode(Int64.self, at: 1))
        }
        var statuses: [Int64: [DeploymentStatusFact]] = [:]
        for row in try await tx.query(
            """
            SELECT s.deployment_id, s.state, s.status_created_at FROM deployment_statuses s
            JOIN deployments d ON d.client_id = s.client_id AND d.id = s.deployment_id
            WHERE s.client_id = $1 AND d.repository_id = $2 ORDER BY s.status_created_at, s.id
            """, [clientID, repositoryID]) {
            statuses[try row.decode(Int64.self, at: 0), default: []].append(
                DeploymentStatusFact(state: try row.decode(String.self, at: 1), createdAt: try row.decode(Date.self, at: 2)))
        }
        for row in try await tx.query(
            """
            SELECT id, source, environment, sha, url, external_id, status, finished_at FROM deployments
            WHERE client_id = $1 AND repository_id = $2
            """, [clientID, repositoryID]) {
            let id = try row.decode(Int64.self, at: 0)
            let source = DeploymentSource(rawValue: try row.decode(String.self, at: 1)) ?? .githubDeployment
            var history = statuses[id] ?? []
            // Pushed deployments and materialised workflow runs carry their state on the row.
            if history.isEmpty, let finished = try row.decode(Date?.self, at: 7) {
                history = [DeploymentStatusFact(state: try row.decode(String.self, at: 6), createdAt: finished)]
            }
            facts.deploymentAttempts.append(DeploymentAttemptFact(
                id: id, source: source, environment: try row.decode(String.self, at: 2), sha: try row.decode(String.self, at: 3),
                url: try row.decode(String?.self, at: 4), externalID: try row.decode(String?.self, at: 5), statuses: history))
        }
        return facts
    }

    /// The client's incidents (all of them: an incident may name any repository's rows).
    public static func incidents(_ tx: PostgresTransaction, clientID: Int) async throws -> [IncidentFact] {
        try await tx.query(
            """
            SELECT id, external_id, repository_id, title, description, deployment_reference, started_at, resolved_at
            FROM incidents WHERE client_id = $1
            """, [clientID]
        ).map { row in
            IncidentFact(id: try row.decode(Int64.self, at: 0), externalID: try row.decode(String.self, at: 1),
                         repositoryID: try row.decode(Int?.self, at: 2), title: try row.decode(String.self, at: 3),
                         description: try row.decode(String?.self, at: 4), deploymentReference: try row.decode(String?.self, at: 5),
                         startedAt: try row.decode(Date.self, at: 6), resolvedAt: try row.decode(Date?.self, at: 7))
        }
    }
}

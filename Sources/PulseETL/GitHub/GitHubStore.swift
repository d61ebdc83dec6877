import Foundation
import PulsePostgres

/// The GitHub connector's writes: one multi-row statement per table per page
/// (`INSERT … SELECT FROM unnest($n::type[]) … ON CONFLICT DO UPDATE`), upserting on the
/// source's ids, inside the page's transaction.
struct GitHubStore: Sendable {
    let clientID: Int
    let integrationID: Int

    /// Upserts a repository by its GitHub id (a renamed repository keeps its row), else by
    /// name; returns its row id.
    func upsert(_ repo: GitHubRecord.Repository, in tx: PostgresTransaction) async throws -> Int {
        let rows = try await tx.query(
            """
            WITH updated AS (
                UPDATE repositories SET full_name = $4, default_branch = $5, url = $6, archived = $7,
                       source_updated_at = $8, pushed_at = $9
                WHERE client_id = $1 AND integration_id = $2 AND external_id = $3
                RETURNING id
            ), inserted AS (
                INSERT INTO repositories (client_id, integration_id, external_id, full_name, default_branch, url, archived,
                                          source_updated_at, pushed_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE NOT EXISTS (SELECT 1 FROM updated)
                ON CONFLICT (client_id, full_name) DO UPDATE SET integration_id = EXCLUDED.integration_id,
                    external_id = EXCLUDED.external_id, default_branch = EXCLUDED.default_branch, url = EXCLUDED.url,
                    archived = EXCLUDED.archived, source_updated_at = EXCLUDED.source_updated_at, pushed_at = EXCLUDED.pushed_at
                RETURNING id
            )
            SELECT id FROM updated UNION ALL SELECT id FROM inserted
            """,
            [clientID, integrationID, repo.externalID, repo.fullName, repo.defaultBranch, repo.url, repo.archived,
             repo.updatedAt, repo.pushedAt])
        return try rows[0].decode(Int.self, at: 0)
    }

    func writePulls(_ pulls: [GitHubRecord.Pull], repositoryID: Int, in tx: PostgresTransaction) async throws {
        guard !pulls.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO prs (client_id, repository_id, external_id, number, title, body, author, state, base_branch,
                             head_branch, merge_commit_sha, labels, additions, deletions, changed_files, commits_count,
                             review_comments_count, merged_by, source_created_at, source_updated_at, merged_at, closed_at,
                             first_review_at, approved_at)
            SELECT $1, $2, u.external_id, u.number, u.title, u.body, u.author, u.state, u.base_branch, u.head_branch,
                   u.merge_commit_sha, u.labels::text[], u.additions, u.deletions, u.changed_files, u.commits_count,
                   u.review_comments_count, u.merged_by, u.created, u.updated, u.merged, u.closed, u.first_review, u.approved
            FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                        $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], $16::int[], $17::int[], $18::text[],
                        $19::timestamptz[], $20::timestamptz[], $21::timestamptz[], $22::timestamptz[],
                        $23::timestamptz[], $24::timestamptz[])
                AS u(external_id, number, title, body, author, state, base_branch, head_branch, merge_commit_sha, labels,
                     additions, deletions, changed_files, commits_count, review_comments_count, merged_by, created,
                     updated, merged, closed, first_review, approved)
            ON CONFLICT (client_id, repository_id, number) DO UPDATE SET
                external_id = EXCLUDED.external_id, title = EXCLUDED.title, body = EXCLUDED.body, author = EXCLUDED.author,
                state = EXCLUDED.state, base_branch = EXCLUDED.base_branch, head_branch = EXCLUDED.head_branch,
                merge_commit_sha = EXCLUDED.merge_commit_sha, labels = EXCLUDED.labels, additions = EXCLUDED.additions,
                deletions = EXCLUDED.deletions, changed_files = EXCLUDED.changed_files,
                commits_count = EXCLUDED.commits_count, review_comments_count = EXCLUDED.review_comments_count,
                merged_by = EXCLUDED.merged_by, source_created_at = EXCLUDED.source_created_at,
                source_updated_at = EXCLUDED.source_updated_at, merged_at = EXCLUDED.merged_at,
                closed_at = EXCLUDED.closed_at, first_review_at = EXCLUDED.first_review_at,
                approved_at = EXCLUDED.approved_at
            """,
            [clientID, repositoryID, pulls.map(\.externalID), pulls.map(\.number), pulls.map(\.title), pulls.map(\.body),
             pulls.map(\.author), pulls.map(\.state), pulls.map(\.baseBranch), pulls.map(\.headBranch),
             pulls.map(\.mergeCommitSHA), try pulls.map { try $0.labels.postgresText() }, pulls.map(\.additions),
             pulls.map(\.deletions), pulls.map(\.changedFiles), pulls.map(\.commitsCount),
             pulls.map(\.reviewCommentsCount), pulls.map(\.mergedBy), pulls.map(\.createdAt), pulls.map(\.updatedAt),
             pulls.map(\.mergedAt), pulls.map(\.closedAt), pulls.map(\.firstReviewAt), pulls.map(\.approvedAt)])

        let reviews = pulls.flatMap { pull in pull.reviews.map { (pull.number, $0) } }
        if !reviews.isEmpty {
            try await tx.query(
                """
                INSERT INTO prs_reviews (client_id, pr_id, external_id, reviewer, state, body, submitted_at)
                SELECT $1, p.id, u.external_id, u.reviewer, u.state, u.body, u.submitted
                FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                    AS u(number, external_id, reviewer, state, body, submitted)
                JOIN prs p ON p.client_id = $1 AND p.repository_id = $2 AND p.number = u.number
                ON CONFLICT (client_id, pr_id, external_id) DO UPDATE SET reviewer = EXCLUDED.reviewer,
                    state = EXCLUDED.state, body = EXCLUDED.body, submitted_at = EXCLUDED.submitted_at
                """,
                [clientID, repositoryID, reviews.map(\.0), reviews.map(\.1.externalID), reviews.map(\.1.reviewer),
                 reviews.map(\.1.state), reviews.map(\.1.body), reviews.map(\.1.submittedAt)])
        }
        let comments = pulls.flatMap { pull in pull.comments.map { (pull.number, $0) } }
        if !comments.isEmpty {
            try await tx.query(
                """
                INSERT INTO prs_comments (client_id, pr_id, external_id, author, body, path, commented_at)
                SELECT $1, p.id, u.external_id, u.author, u.body, u.path, u.commented
                FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                    AS u(number, external_id, author, body, path, commented)
                JOIN prs p ON p.client_id = $1 AND p.repository_id = $2 AND p.number = u.number
                ON CONFLICT (client_id, pr_id, external_id) DO UPDATE SET author = EXCLUDED.author,
                    body = EXCLUDED.body, path = EXCLUDED.path, commented_at = EXCLUDED.commented_at
                """,
                [clientID, repositoryID, comments.map(\.0), comments.map(\.1.externalID), comments.map(\.1.author),
                 comments.map(\.1.body), comments.map(\.1.path), comments.map(\.1.commentedAt)])
        }
        let commits = pulls.flatMap { pull in pull.commits.map { (pull.number, $0) } }
        if !commits.isEmpty {
            try await tx.query(
                """
                INSERT INTO prs_commits (client_id, pr_id, commit_id, sha, author_name, authored_at, message)
                SELECT $1, p.id, c.id, u.sha, u.author_name, u.authored, u.message
                FROM unnest($3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                    AS u(number, sha, author_name, authored, message)
                JOIN prs p ON p.client_id = $1 AND p.repository_id = $2 AND p.number = u.number
                LEFT JOIN commits c ON c.client_id = $1 AND c.repository_id = $2 AND c.sha = u.sha
                ON CONFLICT (client_id, pr_id, sha) DO UPDATE SET commit_id = EXCLUDED.commit_id,
                    author_name = EXCLUDED.author_name, authored_at = EXCLUDED.authored_at, message = EXCLUDED.message
                """,
                [clientID, repositoryID, commits.map(\.0), commits.map(\.1.sha), commits.map(\.1.authorName),
                 commits.map(\.1.authoredAt), commits.map(\.1.message)])
        }
    }

    func writeCommits(_ commits: [GitHubRecord.Commit], associations: [GitHubRecord.Association], repositoryID: Int,
                      in tx: PostgresTransaction) async throws {
        guard !commits.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO commits (client_id, repository_id, sha, message, author_name, author_email, authored_at,
                                 committed_at, on_default_branch)
            SELECT $1, $2, u.sha, u.message, u.author_name, u.author_email, u.authored, u.committed, TRUE
            FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
                AS u(sha, message, author_name, author_email, authored, committed)
            ON CONFLICT (client_id, repository_id, sha) DO UPDATE SET message = EXCLUDED.message,
                author_name = EXCLUDED.author_name, author_email = EXCLUDED.author_email,
                authored_at = EXCLUDED.authored_at, committed_at = EXCLUDED.committed_at, on_default_branch = TRUE
            """,
            [clientID, repositoryID, commits.map(\.sha), commits.map(\.message), commits.map(\.authorName),
             commits.map(\.authorEmail), commits.map(\.authoredAt), commits.map(\.committedAt)])
        let edges = commits.flatMap { commit in commit.parents.enumerated().map { (commit.sha, $0.element, $0.offset) } }
        if !edges.isEmpty {
            try await tx.query(
                """
                INSERT INTO commit_parents (client_id, repository_id, sha, parent_sha, position)
                SELECT $1, $2, u.sha, u.parent, u.position
                FROM unnest($3::text[], $4::text[], $5::int2[]) AS u(sha, parent, position)
                ON CONFLICT (client_id, repository_id, sha, parent_sha) DO UPDATE SET position = EXCLUDED.position
                """, [clientID, repositoryID, edges.map(\.0), edges.map(\.1), edges.map(\.2)])
        }
        if !associations.isEmpty {
            try await tx.query(
                """
                INSERT INTO commit_pull_requests (client_id, repository_id, sha, pr_id)
                SELECT $1, $2, u.sha, p.id FROM unnest($3::text[], $4::int[]) AS u(sha, number)
                JOIN prs p ON p.client_id = $1 AND p.repository_id = $2 AND p.number = u.number
                ON CONFLICT DO NOTHING
                """, [clientID, repositoryID, associations.map(\.sha), associations.map(\.number)])
        }
    }

    /// Of `shas` (default-branch commits), those that need GitHub's commit→PR association:
    /// not a merged PR's merge commit and not one of a merged PR's own commits.
    func shasNeedingAssociation(_ shas: [String], repositoryID: Int, database: ClientScope) async throws -> [String] {
        guard !shas.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT u.sha FROM unnest($3::text[]) WITH ORDINALITY AS u(sha, n)
            WHERE NOT EXISTS (SELECT 1 FROM prs p WHERE p.client_id = $1 AND p.repository_id = $2
                                AND p.state = 'merged' AND p.merge_commit_sha = u.sha)
              AND NOT EXISTS (SELECT 1 FROM prs_commits pc JOIN prs p ON p.client_id = pc.client_id AND p.id = pc.pr_id
                              WHERE pc.client_id = $1 AND pc.sha = u.sha AND p.repository_id = $2 AND p.state = 'merged')
            ORDER BY u.n
            """, [clientID, repositoryID, shas])
        return try rows.map { try $0.decode(String.self, at: 0) }
    }

    /// After a repository's commits: link the PRs' commits to the stored commits and fill
    /// `prs.merge_method` where the graph tells it (PLAN: merge = 2 parents; rebase = several
    /// default-branch commits map to the PR, i.e. besides its merge_commit_sha (the last rebased
    /// commit) at least one more is associated with it; squash = 1 parent and not one of the
    /// PR's own commits). A one-commit rebase cannot be told from a squash and reads 'squash'.
    func finishCommits(repositoryID: Int, in tx: PostgresTransaction) async throws {
        try await tx.query(
            """
            UPDATE prs_commits pc SET commit_id = c.id
            FROM prs p, commits c
            WHERE pc.client_id = $1 AND p.client_id = $1 AND p.id = pc.pr_id AND p.repository_id = $2
              AND c.client_id = $1 AND c.repository_id = $2 AND c.sha = pc.sha AND pc.commit_id IS DISTINCT FROM c.id
            """, [clientID, repositoryID])
        try await tx.query(
            """
            UPDATE prs p SET merge_method = m.method FROM (
                SELECT p.id, CASE
                    WHEN parents.n >= 2 THEN 'merge'
                    WHEN associated.n >= 1 THEN 'rebase'
                    WHEN parents.n = 1 AND NOT EXISTS (SELECT 1 FROM prs_commits pc WHERE pc.client_id = $1
                                                       AND pc.pr_id = p.id AND pc.sha = p.merge_commit_sha) THEN 'squash'
                    ELSE NULL END AS method
                FROM prs p
                CROSS JOIN LATERAL (SELECT count(*) AS n FROM commit_parents cp WHERE cp.client_id = $1
                                    AND cp.repository_id = $2 AND cp.sha = p.merge_commit_sha) parents
                CROSS JOIN LATERAL (SELECT count(*) AS n FROM commit_pull_requests cpr WHERE cpr.client_id = $1
                                    AND cpr.repository_id = $2 AND cpr.pr_id = p.id
                                    AND cpr.sha <> p.merge_commit_sha) associated
                WHERE p.client_id = $1 AND p.repository_id = $2 AND p.state = 'merged' AND p.merge_commit_sha IS NOT NULL
            ) m
            WHERE p.client_id = $1 AND p.id = m.id AND p.merge_method IS DISTINCT FROM m.method
            """, [clientID, repositoryID])
    }

    func writeDeployments(_ deployments: [GitHubRecord.Deployment], repositoryID: Int, in tx: PostgresTransaction) async throws {
        guard !deployments.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, ref, url, status,
                                     finished_at, source_created_at)
            SELECT $1, $2, 'github_deployment', u.external_id, u.environment, u.sha, u.ref, u.url, u.status, u.finished,
                   u.created
            FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                        $10::timestamptz[]) AS u(external_id, environment, sha, ref, url, status, finished, created)
            ON CONFLICT (client_id, source, external_id) DO UPDATE SET repository_id = EXCLUDED.repository_id,
                environment = EXCLUDED.environment, sha = EXCLUDED.sha, ref = EXCLUDED.ref, url = EXCLUDED.url,
                status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, source_created_at = EXCLUDED.source_created_at
            """,
            [clientID, repositoryID, deployments.map(\.externalID), deployments.map(\.environment), deployments.map(\.sha),
             deployments.map(\.ref), deployments.map(\.url), deployments.map(\.status), deployments.map(\.finishedAt),
             deployments.map(\.createdAt)])
        let statuses = deployments.flatMap { deployment in deployment.statuses.map { (deployment.externalID, $0) } }
        if !statuses.isEmpty {
            try await tx.query(
                """
                INSERT INTO deployment_statuses (client_id, deployment_id, external_id, state, description, status_created_at)
                SELECT $1, d.id, u.external_id, u.state, u.description, u.created
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                    AS u(deployment, external_id, state, description, created)
                JOIN deployments d ON d.client_id = $1 AND d.source = 'github_deployment' AND d.external_id = u.deployment
                ON CONFLICT (client_id, deployment_id, external_id) DO UPDATE SET state = EXCLUDED.state,
                    description = EXCLUDED.description, status_created_at = EXCLUDED.status_created_at
                """,
                [clientID, statuses.map(\.0), statuses.map(\.1.externalID), statuses.map(\.1.state),
                 statuses.map(\.1.description), statuses.map(\.1.createdAt)])
        }
    }

    /// Deployments of a repository whose latest status may still change.
    func openDeployments(repositoryID: Int, database: ClientScope) async throws -> [String] {
        let rows = try await database.query(
            """
            SELECT external_id FROM deployments WHERE client_id = $1 AND repository_id = $2
              AND source = 'github_deployment' AND status = ANY($3::text[]) ORDER BY external_id
            """, [clientID, repositoryID, Array(GitHubRecord.Deployment.nonTerminal).sorted()])
        return try rows.map { try $0.decode(String.self, at: 0) }
    }

    func writeReleases(_ releases: [GitHubRecord.Release], repositoryID: Int, in tx: PostgresTransaction) async throws {
        guard !releases.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO releases (client_id, repository_id, external_id, tag_name, name, target_commitish, draft,
                                  prerelease, author, source_created_at, published_at)
            SELECT $1, $2, u.* FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::bool[],
                                          $9::text[], $10::timestamptz[], $11::timestamptz[])
                AS u(external_id, tag_name, name, target, draft, prerelease, author, created, published)
            ON CONFLICT (client_id, repository_id, external_id) DO UPDATE SET tag_name = EXCLUDED.tag_name,
                name = EXCLUDED.name, target_commitish = EXCLUDED.target_commitish, draft = EXCLUDED.draft,
                prerelease = EXCLUDED.prerelease, author = EXCLUDED.author,
                source_created_at = EXCLUDED.source_created_at, published_at = EXCLUDED.published_at
            """,
            [clientID, repositoryID, releases.map(\.externalID), releases.map(\.tagName), releases.map(\.name),
             releases.map(\.targetCommitish), releases.map(\.draft), releases.map(\.prerelease), releases.map(\.author),
             releases.map(\.createdAt), releases.map(\.publishedAt)])
    }

    func writeRuns(_ runs: [GitHubRecord.WorkflowRun], repositoryID: Int, in tx: PostgresTransaction) async throws {
        guard !runs.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO workflow_runs (client_id, repository_id, external_id, workflow_id, name, path, head_branch,
                                       head_sha, event, status, conclusion, run_attempt, url, run_started_at,
                                       source_created_at, source_updated_at)
            SELECT $1, $2, u.* FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
                                          $9::text[], $10::text[], $11::text[], $12::int[], $13::text[],
                                          $14::timestamptz[], $15::timestamptz[], $16::timestamptz[])
                AS u(external_id, workflow_id, name, path, head_branch, head_sha, event, status, conclusion, attempt,
                     url, started, created, updated)
            ON CONFLICT (client_id, repository_id, external_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id,
                name = EXCLUDED.name, path = EXCLUDED.path, head_branch = EXCLUDED.head_branch,
                head_sha = EXCLUDED.head_sha, event = EXCLUDED.event, status = EXCLUDED.status,
                conclusion = EXCLUDED.conclusion, run_attempt = EXCLUDED.run_attempt, url = EXCLUDED.url,
                run_started_at = EXCLUDED.run_started_at, source_created_at = EXCLUDED.source_created_at,
                source_updated_at = EXCLUDED.source_updated_at
            """,
            [clientID, repositoryID, runs.map(\.externalID), runs.map(\.workflowID), runs.map(\.name), runs.map(\.path),
             runs.map(\.headBranch), runs.map(\.headSHA), runs.map(\.event), runs.map(\.status), runs.map(\.conclusion),
             runs.map(\.runAttempt), runs.map(\.url), runs.map(\.runStartedAt), runs.map(\.createdAt),
             runs.map(\.updatedAt)])
    }

    func repositoryID(fullName: String, database: ClientScope) async throws -> Int? {
        let rows = try await database.query(
            "SELECT id FROM repositories WHERE client_id = $1 AND full_name = $2", [clientID, fullName])
        return try rows.first?.decode(Int.self, at: 0)
    }

    func watermark(repositoryID: Int, endpoint: String, database: ClientScope) async throws -> Date? {
        let rows = try await database.query(
            """
            SELECT watermark FROM github_sync_watermarks
            WHERE client_id = $1 AND integration_id = $2 AND repository_id = $3 AND endpoint = $4
            """, [clientID, integrationID, repositoryID, endpoint])
        return try rows.first?.decode(Date.self, at: 0)
    }

    func setWatermark(_ date: Date, repositoryID: Int, endpoint: String, in tx: PostgresTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO github_sync_watermarks (client_id, integration_id, repository_id, endpoint, watermark)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (client_id, integration_id, repository_id, endpoint)
            DO UPDATE SET watermark = GREATEST(github_sync_watermarks.watermark, EXCLUDED.watermark)
            """, [clientID, integrationID, repositoryID, endpoint, date])
    }
}

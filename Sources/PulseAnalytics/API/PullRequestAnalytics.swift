import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// F-GHA: `GET /api/v1/analytics/pull-requests?from&to[&repository][&group_by=repository|author|team]`.
/// PRs merged into their repository's default branch in the period: cycle time split into
/// coding (first commit -> opened), pickup (opened -> first review), review (first review ->
/// merge) and deploy (merge -> production deployment that shipped it); time to first review,
/// review depth (reviews + review comments), size (lines added + deleted); throughput and
/// merge rate (merged / closed, over PRs closed in the period).
struct PullRequestAnalytics {
    let database: PostgresDatabase

    struct PR {
        var group: String
        var merged: Bool
        var mergedInPeriod: Bool
        var coding: Double?, pickup: Double?, review: Double?, deploy: Double?
        var depth: Double, size: Double?
    }

    static func summary(_ values: [Double]) -> [String: Any] {
        let s = DurationSummary(values)
        return ["median": JSONDoc.value(s.median), "p75": JSONDoc.value(s.p75), "p90": JSONDoc.value(s.p90), "count": values.count]
    }

    static func figures(_ prs: [PR], days: Int) -> [String: Any] {
        let merged = prs.filter(\.mergedInPeriod)
        let closed = prs.count
        let mergedClosed = prs.filter(\.merged).count
        let totals = merged.compactMap { pr -> Double? in
            guard let c = pr.coding, let p = pr.pickup, let r = pr.review, let d = pr.deploy else { return nil }
            return c + p + r + d
        }
        return [
            "merged_prs": merged.count, "throughput_per_week": Double(merged.count) * 7 / Double(days),
            "closed_prs": closed, "merge_rate": closed == 0 ? NSNull() : Double(mergedClosed) / Double(closed) as Any,
            "cycle_time_seconds": [
                "coding": summary(merged.compactMap(\.coding)), "pickup": summary(merged.compactMap(\.pickup)),
                "review": summary(merged.compactMap(\.review)), "deploy": summary(merged.compactMap(\.deploy)),
                "total": summary(totals),
            ],
            "time_to_first_review_seconds": summary(merged.compactMap(\.pickup)),
            "review_depth": summary(merged.map(\.depth)), "pr_size_lines": summary(merged.compactMap(\.size)),
        ]
    }

    func answer(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        let groupBy = request.query("group_by") ?? "repository"
        guard ["repository", "author", "team"].contains(groupBy) else { throw badParameter("group_by", "one of repository, author, team") }
        return try await database.client(clientID).read(.analytics) { tx in
            let scope = try await AnalyticsScope.resolve(request, tx, clientID: clientID)
            var teamJoin = "NULL::text"
            if groupBy == "team" {
                let exists = try await tx.query("SELECT to_regclass('public.team_repositories') IS NOT NULL")
                guard try exists[0].decode(Bool.self, at: 0) else {
                    throw badParameter("group_by", "team grouping needs the teams tables (backend migration 0014), which this database does not have yet")
                }
                teamJoin = """
                    (SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM team_repositories tr JOIN teams t ON t.client_id = tr.client_id
                     AND t.id = tr.team_id WHERE tr.client_id = p.client_id AND tr.repository_id = p.repository_id)
                    """
            }
            // PRs into the default branch closed (merged or not) in the period.
            let rows = try await tx.query(
                """
                SELECT r.full_name, p.author, \(teamJoin), p.merged_at IS NOT NULL, p.merged_at >= $2 AND p.merged_at < $3,
                       extract(epoch FROM p.source_created_at - (SELECT min(pc.authored_at) FROM prs_commits pc
                                                                 WHERE pc.client_id = p.client_id AND pc.pr_id = p.id)),
                       extract(epoch FROM fr.first_review - p.source_created_at),
                       extract(epoch FROM p.merged_at - fr.first_review),
                       extract(epoch FROM (SELECT min(dd.finished_at) FROM deployment_changes dc
                                           JOIN dora_deployments dd ON dd.client_id = dc.client_id AND dd.deployment_id = dc.deployment_id
                                           WHERE dc.client_id = p.client_id AND dc.pr_id = p.id) - p.merged_at),
                       (SELECT count(*) FROM prs_reviews rv WHERE rv.client_id = p.client_id AND rv.pr_id = p.id)
                           + COALESCE(p.review_comments_count, 0),
                       p.additions + p.deletions
                FROM prs p JOIN repositories r ON r.client_id = p.client_id AND r.id = p.repository_id
                CROSS JOIN LATERAL (SELECT COALESCE(p.first_review_at, (SELECT min(rv.submitted_at) FROM prs_reviews rv
                                    WHERE rv.client_id = p.client_id AND rv.pr_id = p.id)) AS first_review) fr
                WHERE p.client_id = $1 AND p.base_branch = r.default_branch
                  AND COALESCE(p.merged_at, p.closed_at) >= $2 AND COALESCE(p.merged_at, p.closed_at) < $3
                  AND ($4::int[] IS NULL OR p.repository_id = ANY($4::int[]))
                """, [clientID, scope.period.start, scope.period.end, scope.repositoryIDs])
            var prs: [PR] = []
            for row in rows {
                let group: String
                switch groupBy {
                case "author": group = try row.decode(String?.self, at: 1) ?? "(unknown author)"
                case "team": group = try row.decode(String?.self, at: 2) ?? "(no team)"
                default: group = try row.decode(String.self, at: 0)
                }
                prs.append(PR(group: group, merged: try row.decode(Bool.self, at: 3), mergedInPeriod: try row.decode(Bool?.self, at: 4) ?? false,
                              coding: try row.decode(Double?.self, at: 5), pickup: try row.decode(Double?.self, at: 6),
                              review: try row.decode(Double?.self, at: 7), deploy: try row.decode(Double?.self, at: 8),
                              depth: try row.decode(Double?.self, at: 9) ?? 0, size: try row.decode(Double?.self, at: 10)))
            }
            var groups: [String: Any] = [:]
            for (name, list) in Dictionary(grouping: prs, by: \.group) { groups[name] = Self.figures(list, days: scope.period.days) }
            var object: [String: Any] = [
                "from": JSONDoc.day(scope.period.start), "to": JSONDoc.day(scope.period.end.addingTimeInterval(-86400)),
                "group_by": groupBy, "overall": Self.figures(prs, days: scope.period.days), "groups": groups,
            ]
            DORARoutes.stamp(&object, try await DORAReadModel.state(tx, clientID: clientID))
            return try JSONDoc.response(object)
        }
    }
}

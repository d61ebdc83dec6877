import Foundation
import PulsePostgres

/// The Jira connector's writes, one statement per table and page (arrays through
/// `unnest`), all upserts on the vendor's identity: projects by key, statuses and issue types
/// by name, sprints by id, work items by issue id (keys change on moves), changelogs by
/// history id. Called inside the page's transaction.
struct JiraWriter: Sendable {
    let integrationID: Int

    struct Project: Sendable, Equatable { var externalID: String; var key: String; var name: String; var type: String? }
    struct Status: Sendable, Equatable { var externalID: String; var name: String; var category: String? }
    struct IssueType: Sendable, Equatable { var externalID: String; var name: String; var description: String? }
    struct Sprint: Sendable, Equatable {
        var externalID: String; var boardID: String; var projectKey: String?; var name: String; var state: String
        var goal: String?; var startAt: Date?; var endAt: Date?; var completeAt: Date?
    }

    func upsertProjects(_ projects: [Project], in tx: PostgresTransaction) async throws {
        guard let clientID = tx.clientID, !projects.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO projects (client_id, integration_id, external_id, key, name, project_type)
            SELECT $1, $2, e, k, n, t FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(e, k, n, t)
            ON CONFLICT (client_id, key) DO UPDATE SET integration_id = EXCLUDED.integration_id,
                external_id = EXCLUDED.external_id, name = EXCLUDED.name, project_type = EXCLUDED.project_type, active = TRUE
            WHERE (projects.integration_id, projects.external_id, projects.name, projects.project_type, projects.active)
                IS DISTINCT FROM (EXCLUDED.integration_id, EXCLUDED.external_id, EXCLUDED.name, EXCLUDED.project_type, TRUE)
            """, [clientID, integrationID, projects.map(\.externalID), projects.map(\.key), projects.map(\.name), projects.map(\.type)])
    }

    /// Statuses with their Jira category key, and the default status mappings.
    func upsertStatuses(_ statuses: [Status], in tx: PostgresTransaction) async throws {
        var seen = Set<String>()
        let unique = statuses.filter { seen.insert($0.name).inserted }
        try await upsertByName(table: "statuses", column: "category", unique.map { ($0.externalID, $0.name, $0.category) }, in: tx)
        try await MappingDefaults.insertStatusDefaults(unique.map { ($0.name, $0.category) }, in: tx)
    }

    /// Issue types ("wits") and the default work item type mappings.
    func upsertIssueTypes(_ types: [IssueType], in tx: PostgresTransaction) async throws {
        var seen = Set<String>()
        let unique = types.filter { seen.insert($0.name).inserted }
        try await upsertByName(table: "wits", column: "description", unique.map { ($0.externalID, $0.name, $0.description) }, in: tx)
        try await MappingDefaults.insertWorkItemTypeDefaults(unique.map(\.name), in: tx)
    }

    /// `statuses` and `wits`: unique per integration by name, with an external id and one more column.
    private func upsertByName(table: StaticString, column: StaticString, _ rows: [(externalID: String, name: String, value: String?)],
                              in tx: PostgresTransaction) async throws {
        guard let clientID = tx.clientID, !rows.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO \(table) (client_id, integration_id, external_id, name, \(column))
            SELECT $1, $2, e, n, v FROM unnest($3::text[], $4::text[], $5::text[]) AS u(e, n, v)
            ON CONFLICT (client_id, integration_id, name) DO UPDATE SET external_id = EXCLUDED.external_id, \(column) = EXCLUDED.\(column)
            WHERE (\(table).external_id, \(table).\(column)) IS DISTINCT FROM (EXCLUDED.external_id, EXCLUDED.\(column))
            """, [clientID, integrationID, rows.map(\.externalID), rows.map(\.name), rows.map(\.value)])
    }

    func upsertSprints(_ sprints: [Sprint], in tx: PostgresTransaction) async throws {
        guard let clientID = tx.clientID, !sprints.isEmpty else { return }
        var seen = Set<String>()
        let unique = sprints.filter { seen.insert($0.externalID).inserted }
        try await tx.query(
            """
            INSERT INTO sprints (client_id, integration_id, project_id, external_id, board_external_id, name, state, goal,
                                 start_at, end_at, complete_at)
            SELECT $1, $2, p.id, e, b, n, s, g, sa, ea, ca
            FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::timestamptz[], $10::timestamptz[], $11::timestamptz[]) AS u(e, b, pk, n, s, g, sa, ea, ca)
            LEFT JOIN projects p ON p.client_id = $1 AND p.key = u.pk
            ON CONFLICT (client_id, integration_id, external_id) DO UPDATE SET project_id = EXCLUDED.project_id,
                board_external_id = EXCLUDED.board_external_id, name = EXCLUDED.name, state = EXCLUDED.state,
                goal = EXCLUDED.goal, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, complete_at = EXCLUDED.complete_at
            WHERE (sprints.project_id, sprints.board_external_id, sprints.name, sprints.state, sprints.goal, sprints.start_at,
                   sprints.end_at, sprints.complete_at) IS DISTINCT FROM (EXCLUDED.project_id, EXCLUDED.board_external_id,
                   EXCLUDED.name, EXCLUDED.state, EXCLUDED.goal, EXCLUDED.start_at, EXCLUDED.end_at, EXCLUDED.complete_at)
            """,
            [clientID, integrationID, unique.map(\.externalID), unique.map(\.boardID), unique.map(\.projectKey), unique.map(\.name),
             unique.map(\.state), unique.map(\.goal), unique.map(\.startAt), unique.map(\.endAt), unique.map(\.completeAt)])
    }

    /// One page of issues: work items (by issue id), their status changes and sprint
    /// memberships. The sprint memberships of each issue are replaced by what it says now.
    func upsertIssues(_ issues: [JiraIssueRecord], in tx: PostgresTransaction) async throws {
        guard let clientID = tx.clientID, !issues.isEmpty else { return }
        var seen = Set<String>()
        let page = issues.reversed().filter { seen.insert($0.externalID).inserted }.reversed() as [JiraIssueRecord]
        func json(_ items: [String]) -> String { JiraValue.strings(items).jsonText }
        let rows = try await tx.query(
            """
            INSERT INTO work_items (client_id, integration_id, project_id, external_id, key, summary, description, wit_name,
                status_name, status_category, priority, assignee, reporter, story_points, labels, components, fields,
                parent_key, sprint, source_created_at, source_updated_at, resolved_at)
            SELECT $1, $2, p.id, u.e, u.k, u.s, u.d, u.w, u.st, u.sc, u.pr, u.a, u.r, u.sp,
                   ARRAY(SELECT jsonb_array_elements_text(u.l::jsonb)), ARRAY(SELECT jsonb_array_elements_text(u.c::jsonb)),
                   u.f::jsonb, u.pa, u.spr, u.ca, u.ua, u.ra
            FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                        $11::text[], $12::text[], $13::text[], $14::float8[], $15::text[], $16::text[], $17::text[],
                        $18::text[], $19::text[], $20::timestamptz[], $21::timestamptz[], $22::timestamptz[])
                 AS u(e, k, pk, s, d, w, st, sc, pr, a, r, sp, l, c, f, pa, spr, ca, ua, ra)
            LEFT JOIN projects p ON p.client_id = $1 AND p.key = u.pk
            ON CONFLICT (client_id, integration_id, external_id) DO UPDATE SET project_id = EXCLUDED.project_id,
                key = EXCLUDED.key, summary = EXCLUDED.summary, description = EXCLUDED.description, wit_name = EXCLUDED.wit_name,
                status_name = EXCLUDED.status_name, status_category = EXCLUDED.status_category, priority = EXCLUDED.priority,
                assignee = EXCLUDED.assignee, reporter = EXCLUDED.reporter, story_points = EXCLUDED.story_points,
                labels = EXCLUDED.labels, components = EXCLUDED.components, fields = EXCLUDED.fields,
                parent_key = EXCLUDED.parent_key, sprint = EXCLUDED.sprint, source_created_at = EXCLUDED.source_created_at,
                source_updated_at = EXCLUDED.source_updated_at, resolved_at = EXCLUDED.resolved_at
            RETURNING id, external_id
            """,
            [clientID, integrationID, page.map(\.externalID), page.map(\.key), page.map(\.projectKey), page.map(\.summary),
             page.map(\.description), page.map(\.typeName), page.map(\.statusName), page.map(\.statusCategory),
             page.map(\.priority), page.map(\.assignee), page.map(\.reporter), page.map(\.storyPoints),
             page.map { json($0.labels) }, page.map { json($0.components) }, page.map(\.customFieldsJSON),
             page.map(\.parentKey), page.map(\.sprintName), page.map(\.createdAt), page.map(\.updatedAt), page.map(\.resolvedAt)])
        var rowID: [String: Int64] = [:]
        for row in rows { rowID[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0) }

        var itemIDs: [Int64] = [], history: [String] = [], fromName: [String?] = [], toName: [String?] = []
        var fromID: [String?] = [], toID: [String?] = [], author: [String?] = [], at: [Date] = []
        var sprintItem: [Int64] = [], sprintID: [String] = []
        for issue in page {
            guard let id = rowID[issue.externalID] else { continue }
            var histories = Set<String>()
            for change in issue.statusChanges.reversed() where histories.insert(change.externalID).inserted {
                itemIDs.append(id); history.append(change.externalID); fromName.append(change.fromName); toName.append(change.toName)
                fromID.append(change.fromID); toID.append(change.toID); author.append(change.author); at.append(change.changedAt)
            }
            for sprint in Set(issue.sprintIDs) { sprintItem.append(id); sprintID.append(sprint) }
        }
        if !itemIDs.isEmpty {
            try await tx.query(
                """
                INSERT INTO changelogs (client_id, work_item_id, external_id, field, from_value, to_value, from_id, to_id, author, changed_at)
                SELECT $1, w, h, 'status', fv, tv, fi, ti, au, ca
                FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
                     AS u(w, h, fv, tv, fi, ti, au, ca)
                ON CONFLICT (client_id, work_item_id, external_id, field) DO UPDATE SET from_value = EXCLUDED.from_value,
                    to_value = EXCLUDED.to_value, from_id = EXCLUDED.from_id, to_id = EXCLUDED.to_id, author = EXCLUDED.author,
                    changed_at = EXCLUDED.changed_at
                WHERE (changelogs.from_value, changelogs.to_value, changelogs.from_id, changelogs.to_id, changelogs.author,
                       changelogs.changed_at) IS DISTINCT FROM (EXCLUDED.from_value, EXCLUDED.to_value, EXCLUDED.from_id,
                       EXCLUDED.to_id, EXCLUDED.author, EXCLUDED.changed_at)
                """, [clientID, itemIDs.map { Int($0) }, history, fromName, toName, fromID, toID, author, at])
        }
        let ids = page.compactMap { rowID[$0.externalID] }.map { Int($0) }
        try await tx.query(
            """
            DELETE FROM sprint_work_items sw WHERE sw.client_id = $1 AND sw.work_item_id = ANY($2::bigint[])
              AND NOT EXISTS (SELECT 1 FROM unnest($3::bigint[], $4::text[]) AS u(w, e)
                              JOIN sprints s ON s.client_id = $1 AND s.integration_id = $5 AND s.external_id = u.e
                              WHERE u.w = sw.work_item_id AND s.id = sw.sprint_id)
            """, [clientID, ids, sprintItem.map { Int($0) }, sprintID, integrationID])
        if !sprintItem.isEmpty {
            try await tx.query(
                """
                INSERT INTO sprint_work_items (client_id, sprint_id, work_item_id)
                SELECT $1, s.id, u.w FROM unnest($2::bigint[], $3::text[]) AS u(w, e)
                JOIN sprints s ON s.client_id = $1 AND s.integration_id = $4 AND s.external_id = u.e
                ON CONFLICT DO NOTHING
                """, [clientID, sprintItem.map { Int($0) }, sprintID, integrationID])
        }
    }

    /// The newest `source_updated_at` stored for one project of this integration: the
    /// incremental watermark of that project.
    func watermark(project: String, in tx: PostgresTransaction) async throws -> Date? {
        let rows = try await tx.query(
            """
            SELECT max(w.source_updated_at) FROM work_items w JOIN projects p ON p.client_id = w.client_id AND p.id = w.project_id
            WHERE w.client_id = $1 AND w.integration_id = $2 AND p.key = $3
            """, [tx.clientID ?? 0, integrationID, project])
        return try rows.first?.decode(Date?.self, at: 0)
    }
}

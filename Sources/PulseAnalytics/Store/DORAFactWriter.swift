import Foundation
import PulsePostgres

/// Writes what the engine derived. Each repository is replaced in one transaction.
public enum DORAFactWriter {
    /// Successful default-branch runs of a repository's configured deploy workflow become
    /// deployments rows (source 'workflow_run'), so changes and failures can reference them;
    /// runs no longer configured are removed.
    public static func materialiseWorkflowRuns(_ tx: PostgresTransaction, clientID: Int, repositoryID: Int,
                                               settings: DORASettings) async throws {
        let repo = try await tx.query("SELECT full_name, default_branch FROM repositories WHERE client_id = $1 AND id = $2",
                                      [clientID, repositoryID])
        guard let row = repo.first else { return }
        let path = settings.deployWorkflows[try row.decode(String.self, at: 0)]
        try await tx.query(
            """
            DELETE FROM deployments d WHERE d.client_id = $1 AND d.repository_id = $2 AND d.source = 'workflow_run'
              AND NOT EXISTS (SELECT 1 FROM workflow_runs w WHERE w.client_id = $1 AND w.repository_id = $2
                              AND w.external_id::text = d.external_id AND w.path = $3 AND w.head_branch = $4
                              AND lower(w.conclusion) = 'success')
            """, [clientID, repositoryID, path, try row.decode(String.self, at: 1)])
        guard let path else { return }
        try await tx.query(
            """
            INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, ref, url, status,
                                     finished_at, source_created_at)
            SELECT w.client_id, w.repository_id, 'workflow_run', w.external_id::text, w.path, w.head_sha, w.head_branch, w.url,
                   'success', w.source_updated_at, w.source_created_at
            FROM workflow_runs w
            WHERE w.client_id = $1 AND w.repository_id = $2 AND w.path = $3 AND w.head_branch = $4 AND lower(w.conclusion) = 'success'
            ON CONFLICT (client_id, source, external_id) DO UPDATE
                SET sha = EXCLUDED.sha, finished_at = EXCLUDED.finished_at, url = EXCLUDED.url
            """, [clientID, repositoryID, path, try row.decode(String.self, at: 1)])
    }

    /// Derives `incidents` (source 'jira') from work items whose type maps to `incident`,
    /// and resolves pushed incidents' repository references. Returns how many were upserted.
    @discardableResult
    public static func deriveJiraIncidents(_ tx: PostgresTransaction, clientID: Int) async throws -> Int {
        var wits: [String: String] = [:]
        for row in try await tx.query("SELECT wit_from, wit_to FROM wits_mappings WHERE client_id = $1", [clientID]) {
            wits[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var statuses: [String: String] = [:]
        for row in try await tx.query("SELECT status_from, status_to FROM status_mappings WHERE client_id = $1", [clientID]) {
            statuses[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var fieldsByIntegration: [Int: (String?, String?)] = [:]
        for row in try await tx.query(
            """
            SELECT id, settings->>'incident_repository_field', settings->>'incident_deployment_field'
            FROM integrations WHERE client_id = $1
            """, [clientID]) {
            fieldsByIntegration[try row.decode(Int.self, at: 0)] = (try row.decode(String?.self, at: 1), try row.decode(String?.self, at: 2))
        }
        let incidentTypes = wits.filter { $0.value.lowercased() == "incident" }.map { $0.key.lowercased() }
        guard !incidentTypes.isEmpty else { return 0 }
        let items = try await tx.query(
            """
            SELECT w.id, w.key, w.wit_name, w.summary, w.description, w.source_created_at, w.components, w.integration_id,
                   w.fields::text
            FROM work_items w WHERE w.client_id = $1 AND lower(w.wit_name) = ANY($2)
            """, [clientID, incidentTypes])
        var transitions: [Int64: [StatusTransition]] = [:]
        for row in try await tx.query(
            """
            SELECT c.work_item_id, c.changed_at, c.from_value, c.to_value FROM changelogs c
            JOIN work_items w ON w.client_id = c.client_id AND w.id = c.work_item_id
            WHERE c.client_id = $1 AND c.field = 'status' AND lower(w.wit_name) = ANY($2) ORDER BY c.changed_at, c.id
            """, [clientID, incidentTypes]) {
            transitions[try row.decode(Int64.self, at: 0), default: []].append(StatusTransition(
                at: try row.decode(Date.self, at: 1), from: try row.decode(String?.self, at: 2), to: try row.decode(String?.self, at: 3) ?? ""))
        }
        var count = 0
        for row in items {
            let id = try row.decode(Int64.self, at: 0)
            let integration = try row.decode(Int?.self, at: 7)
            let (repositoryField, deploymentField) = integration.flatMap { fieldsByIntegration[$0] } ?? (nil, nil)
            let mappings = IncidentMappings(witsMappings: wits, statusMappings: statuses, repositoryField: repositoryField,
                                            deploymentField: deploymentField)
            let item = WorkItemFact(
                id: id, key: try row.decode(String.self, at: 1), type: try row.decode(String?.self, at: 2),
                summary: try row.decode(String.self, at: 3), description: try row.decode(String?.self, at: 4),
                createdAt: try row.decode(Date.self, at: 5), components: try row.decode([String].self, at: 6),
                fields: Self.textFields(try row.decode(String.self, at: 8)), transitions: transitions[id] ?? [])
            guard let incident = IncidentDerivation.incident(item, mappings: mappings) else { continue }
            try await tx.query(
                """
                INSERT INTO incidents (client_id, source, work_item_id, external_id, title, description, started_at, resolved_at,
                                       repository_reference, deployment_reference, repository_id)
                VALUES ($1, 'jira', $2, $3, $4, $5, $6, $7, $8::text, $9,
                        (SELECT id FROM repositories WHERE client_id = $1 AND lower(full_name) = lower($8::text)))
                ON CONFLICT (client_id, source, external_id) DO UPDATE SET
                    work_item_id = EXCLUDED.work_item_id, title = EXCLUDED.title, description = EXCLUDED.description,
                    started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at,
                    repository_reference = EXCLUDED.repository_reference, deployment_reference = EXCLUDED.deployment_reference,
                    repository_id = EXCLUDED.repository_id
                """, [clientID, id, incident.externalID, incident.title, incident.description, incident.startedAt,
                      incident.resolvedAt, incident.repositoryReference, incident.deploymentReference])
            count += 1
        }
        // Work items no longer mapped to incident: their incidents go.
        try await tx.query(
            """
            DELETE FROM incidents i WHERE i.client_id = $1 AND i.source = 'jira'
              AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.client_id = $1 AND w.id = i.work_item_id AND lower(w.wit_name) = ANY($2))
            """, [clientID, incidentTypes])
        try await tx.query(
            """
            UPDATE incidents i SET repository_id = r.id FROM repositories r
            WHERE i.client_id = $1 AND r.client_id = $1 AND i.repository_id IS NULL AND lower(r.full_name) = lower(i.repository_reference)
            """, [clientID])
        return count
    }

    /// A JSON object's values as text (strings as is; objects by their "value" or "name").
    static func textFields(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object {
            if let text = value as? String { result[key] = text }
            else if let number = value as? NSNumber { result[key] = number.stringValue }
            else if let dict = value as? [String: Any], let text = (dict["value"] ?? dict["name"]) as? String { result[key] = text }
            else if let list = value as? [Any], let first = list.first {
                if let text = first as? String { result[key] = text }
                else if let dict = first as? [String: Any], let text = (dict["value"] ?? dict["name"]) as? String { result[key] = text }
            }
        }
        return result
    }

    /// Replaces one repository's derived rows.
    public static func write(_ tx: PostgresTransaction, clientID: Int, derivation: RepositoryDerivation) async throws {
        let repositoryID = derivation.repositoryID
        try await tx.query(
            """
            DELETE FROM deployment_changes dc USING deployments d
            WHERE dc.client_id = $1 AND d.client_id = $1 AND d.id = dc.deployment_id AND d.repository_id = $2
            """, [clientID, repositoryID])
        try await tx.query("DELETE FROM dora_deployments WHERE client_id = $1 AND repository_id = $2", [clientID, repositoryID])
        try await tx.query("DELETE FROM dora_incident_attributions WHERE client_id = $1 AND repository_id = $2", [clientID, repositoryID])
        try await tx.query(
            """
            DELETE FROM incident_links l USING deployments d
            WHERE l.client_id = $1 AND d.client_id = $1 AND d.id = l.deployment_id AND d.repository_id = $2
            """, [clientID, repositoryID])
        let d = derivation.deployments
        guard !d.isEmpty || !derivation.incidents.isEmpty else { return }
        if !d.isEmpty {
            try await tx.query(
                """
                INSERT INTO dora_deployments (client_id, deployment_id, repository_id, finished_at, previous_deployment_id, first_ever,
                    failed, failure_reason, incident_ids, restored_by_deployment_id, recovery_seconds, is_rework, restore_kind, restores)
                SELECT $1, u.id, $2, u.finished, u.previous, u.first_ever, u.reason IS NOT NULL, u.reason,
                       COALESCE(string_to_array(NULLIF(u.incidents, ''), ',')::bigint[], '{}'), u.restored_by, u.recovery,
                       u.rework, u.kind, COALESCE(string_to_array(NULLIF(u.restores, ''), ',')::bigint[], '{}')
                FROM unnest($3::bigint[], $4::timestamptz[], $5::bigint[], $6::bool[], $7::text[], $8::text[], $9::bigint[],
                            $10::float8[], $11::bool[], $12::text[], $13::text[])
                     AS u(id, finished, previous, first_ever, reason, incidents, restored_by, recovery, rework, kind, restores)
                """,
                [clientID, repositoryID, d.map(\.id), d.map(\.finishedAt), d.map(\.previousID), d.map(\.firstEver),
                 d.map { $0.failureReason?.rawValue }, d.map { $0.incidentIDs.map(String.init).joined(separator: ",") },
                 d.map(\.restoredByID), d.map(\.recoverySeconds), d.map(\.isRework), d.map { $0.restoreKind?.rawValue },
                 d.map { $0.restores.map(String.init).joined(separator: ",") }])
            let changes = d.flatMap { deployment in deployment.changes.map { (deployment.id, $0) } }
            if !changes.isEmpty {
                try await tx.query(
                    """
                    INSERT INTO deployment_changes (client_id, deployment_id, pr_id, commit_id, first_commit_at, lead_time_seconds)
                    SELECT $1, u.deployment, u.pr, u.commit_id, u.first_at, u.lead
                    FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::float8[])
                         AS u(deployment, pr, commit_id, first_at, lead)
                    WHERE u.pr IS NOT NULL OR u.commit_id IS NOT NULL
                    ON CONFLICT DO NOTHING
                    """,
                    [clientID, changes.map(\.0), changes.map { $0.1.prID }, changes.map { $0.1.commitID },
                     changes.map { $0.1.firstCommitAt }, changes.map { $0.1.leadTimeSeconds }])
            }
        }
        let a = derivation.incidents
        if !a.isEmpty {
            try await tx.query(
                """
                INSERT INTO dora_incident_attributions (client_id, incident_id, repository_id, deployment_id, rule, pr_id, commit_sha,
                                                        unattributed_reason)
                SELECT $1, u.incident, $2, u.deployment, u.rule, u.pr, u.sha, u.reason
                FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[])
                     AS u(incident, deployment, rule, pr, sha, reason)
                ON CONFLICT (client_id, incident_id) DO UPDATE SET
                    repository_id = EXCLUDED.repository_id, deployment_id = EXCLUDED.deployment_id, rule = EXCLUDED.rule,
                    pr_id = EXCLUDED.pr_id, commit_sha = EXCLUDED.commit_sha, unattributed_reason = EXCLUDED.unattributed_reason
                WHERE dora_incident_attributions.deployment_id IS NULL AND EXCLUDED.deployment_id IS NOT NULL
                """,
                [clientID, repositoryID, a.map(\.incidentID), a.map(\.deploymentID), a.map { $0.rule?.rawValue }, a.map(\.prID),
                 a.map(\.commitSha), a.map(\.unattributedReason)])
            try await tx.query(
                """
                INSERT INTO incident_links (client_id, incident_id, deployment_id, pr_id, reason)
                SELECT $1, u.incident, u.deployment, u.pr, u.rule
                FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS u(incident, deployment, pr, rule)
                WHERE u.deployment IS NOT NULL
                """,
                [clientID, a.map(\.incidentID), a.map(\.deploymentID), a.map(\.prID), a.map { $0.rule?.rawValue }])
        }
    }
}

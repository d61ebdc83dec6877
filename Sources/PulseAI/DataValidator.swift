import Foundation
import PulseHTTP
import PulsePostgres

/// Findings on ingested data (F-VALIDATE), kept in `ai_validation_findings`: one row per
/// rule and subject, so a rerun adds only new findings and a dismissed one stays dismissed.
struct DataValidator: Sendable {
    let database: PostgresDatabase

    /// (rule, severity, subject type, SQL selecting subject_key and a JSON detail for client $1).
    static let rules: [(String, String, String, String)] = [
        ("work_item_resolved_before_created", "error", "work_item", """
            SELECT id::text, jsonb_build_object('key', key, 'created', source_created_at, 'resolved', resolved_at)
            FROM work_items WHERE client_id = $1 AND resolved_at < source_created_at
            """),
        ("work_item_in_the_future", "error", "work_item", """
            SELECT id::text, jsonb_build_object('key', key, 'created', source_created_at)
            FROM work_items WHERE client_id = $1 AND source_created_at > now() + interval '1 day'
            """),
        ("pr_merged_before_opened", "error", "pr", """
            SELECT id::text, jsonb_build_object('number', number, 'repository_id', repository_id, 'opened', source_created_at, 'merged', merged_at)
            FROM prs WHERE client_id = $1 AND merged_at < source_created_at
            """),
        ("pr_closed_before_opened", "error", "pr", """
            SELECT id::text, jsonb_build_object('number', number, 'repository_id', repository_id, 'opened', source_created_at, 'closed', closed_at)
            FROM prs WHERE client_id = $1 AND closed_at < source_created_at
            """),
        ("incident_resolved_before_started", "error", "incident", """
            SELECT id::text, jsonb_build_object('external_id', external_id, 'started', started_at, 'resolved', resolved_at)
            FROM incidents WHERE client_id = $1 AND resolved_at < started_at
            """),
        ("deployment_unknown_sha", "warning", "deployment", """
            SELECT d.id::text, jsonb_build_object('sha', d.sha, 'repository_id', d.repository_id, 'environment', d.environment)
            FROM deployments d WHERE d.client_id = $1
              AND NOT EXISTS (SELECT 1 FROM commits c WHERE c.client_id = d.client_id AND c.repository_id = d.repository_id AND c.sha = d.sha)
            """),
        ("incident_without_repository", "warning", "incident", """
            SELECT id::text, jsonb_build_object('external_id', external_id, 'title', left(title, 200), 'source', source)
            FROM incidents WHERE client_id = $1 AND repository_id IS NULL
            """),
        ("work_item_missing_parent", "warning", "work_item", """
            SELECT w.id::text, jsonb_build_object('key', w.key, 'parent_key', w.parent_key)
            FROM work_items w WHERE w.client_id = $1 AND w.parent_key IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM work_items p WHERE p.client_id = w.client_id AND p.key = w.parent_key)
            """),
        ("unmapped_status", "info", "status", """
            SELECT w.status_name, jsonb_build_object('status', w.status_name, 'work_items', count(*))
            FROM work_items w WHERE w.client_id = $1 AND w.status_name IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM status_mappings m WHERE m.client_id = w.client_id AND m.status_from = w.status_name)
            GROUP BY w.status_name
            """),
        ("unmapped_work_item_type", "info", "work_item_type", """
            SELECT w.wit_name, jsonb_build_object('type', w.wit_name, 'work_items', count(*))
            FROM work_items w WHERE w.client_id = $1 AND w.wit_name IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM wits_mappings m WHERE m.client_id = w.client_id AND m.wit_from = w.wit_name)
            GROUP BY w.wit_name
            """),
        // PR size outliers: modified z-score of additions + deletions above 10 (median/MAD over the client's PRs, at least 20 of them).
        ("pr_size_outlier", "info", "pr", """
            WITH sizes AS (SELECT id, number, coalesce(additions, 0) + coalesce(deletions, 0) AS size FROM prs
                           WHERE client_id = $1 AND additions IS NOT NULL),
                 m AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY size) AS median, count(*) AS n FROM sizes),
                 d AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(size - m.median)) AS mad FROM sizes, m)
            SELECT s.id::text, jsonb_build_object('number', s.number, 'size', s.size, 'median', m.median, 'mad', d.mad)
            FROM sizes s, m, d WHERE m.n >= 20 AND d.mad > 0 AND 0.6745 * (s.size - m.median) / d.mad > 10
            """),
    ]

    /// Runs every rule; returns how many new findings were stored.
    @discardableResult
    func run(clientID: Int) async throws -> Int {
        try await database.client(clientID).write { tx in
            var added = 0
            for (rule, severity, subject, sql) in Self.rules {
                added += try await tx.query("""
                    INSERT INTO ai_validation_findings (client_id, rule, severity, subject_type, subject_key, detail)
                    SELECT $1, '\(rule)', '\(severity)', '\(subject)', f.key, f.detail FROM (\(sql)) AS f(key, detail)
                    ON CONFLICT (client_id, rule, subject_type, subject_key) DO UPDATE SET detail = EXCLUDED.detail
                        WHERE ai_validation_findings.detail IS DISTINCT FROM EXCLUDED.detail
                    RETURNING (xmax = 0)
                    """, [clientID]).filter { (try? $0.decode(Bool.self, at: 0)) == true }.count
            }
            return added
        }
    }

    struct Finding: Sendable, Codable {
        var id: Int64
        var rule: String
        var severity: String
        var subjectType: String
        var subjectKey: String
        var detail: PostgresJSONValue
        var dismissedAt: Date?
        var dismissedBy: String?
        var createdAt: Date
    }

    func list(clientID: Int, includeDismissed: Bool, limit: Int) async throws -> [Finding] {
        let rows = try await database.client(clientID).query("""
            SELECT id, rule, severity, subject_type, subject_key, detail::text, dismissed_at, dismissed_by, created_at
            FROM ai_validation_findings WHERE client_id = $1 AND ($2 OR dismissed_at IS NULL) ORDER BY id LIMIT $3
            """, [clientID, includeDismissed, limit])
        return try rows.map { row in
            Finding(id: try row.decode(Int64.self, at: 0), rule: try row.decode(String.self, at: 1), severity: try row.decode(String.self, at: 2),
                    subjectType: try row.decode(String.self, at: 3), subjectKey: try row.decode(String.self, at: 4),
                    detail: PostgresJSONValue(text: try row.decode(String.self, at: 5)), dismissedAt: try row.decode(Date?.self, at: 6),
                    dismissedBy: try row.decode(String?.self, at: 7), createdAt: try row.decode(Date.self, at: 8))
        }
    }

    func dismiss(clientID: Int, id: Int64, by user: String) async throws -> Bool {
        try await database.client(clientID).query("""
            UPDATE ai_validation_findings SET dismissed_at = coalesce(dismissed_at, now()), dismissed_by = coalesce(dismissed_by, $3)
            WHERE client_id = $1 AND id = $2
            """, [clientID, id, user]).affectedRows == 1
    }
}

/// A JSON document stored as text, encoded as the JSON it holds.
struct PostgresJSONValue: Sendable, Codable {
    let value: JSONValue
    init(text: String) { value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
    init(from decoder: any Decoder) throws { value = try JSONValue(from: decoder) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value.
indirect enum JSONValue: Sendable, Codable, Equatable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
}

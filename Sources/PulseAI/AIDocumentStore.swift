import Foundation
import PulsePostgres

/// One item's text waiting to be embedded.
struct PendingDocument: Sendable {
    let ref: AIItemRef
    let text: String
    let contentHash: String
}

/// The `ai_documents` rows: the text of every embeddable item as it is embedded and
/// searched, refreshed from the source tables (work_items, prs, incidents, projects,
/// repositories), with what embedded each. Every query runs in the client's scope (RLS).
struct AIDocumentStore: Sendable {
    let database: PostgresDatabase

    /// The title/body/project/repository of each type, selected from its source table.
    static func sourceSelect(_ type: AIItemType) -> String {
        switch type {
        case .workItem:
            return """
                SELECT client_id, id, project_id, NULL::int AS repository_id, key AS item_key,
                       coalesce(summary, '') AS title, coalesce(description, '') AS body FROM work_items WHERE client_id = $1
                """
        case .pr:
            return """
                SELECT p.client_id, p.id, r.project_id, p.repository_id, r.full_name || '#' || p.number AS item_key,
                       coalesce(p.title, '') AS title, coalesce(p.body, '') AS body
                FROM prs p JOIN repositories r ON r.client_id = p.client_id AND r.id = p.repository_id WHERE p.client_id = $1
                """
        case .incident:
            return """
                SELECT i.client_id, i.id, r.project_id, i.repository_id, i.external_id AS item_key,
                       coalesce(i.title, '') AS title, coalesce(i.description, '') AS body
                FROM incidents i LEFT JOIN repositories r ON r.client_id = i.client_id AND r.id = i.repository_id WHERE i.client_id = $1
                """
        case .project:
            return """
                SELECT client_id, id, id AS project_id, NULL::int AS repository_id, key AS item_key,
                       name AS title, coalesce(key || ' ' || coalesce(project_type, ''), '') AS body FROM projects WHERE client_id = $1
                """
        case .repository:
            return """
                SELECT client_id, id, project_id, id AS repository_id, full_name AS item_key,
                       full_name AS title, coalesce(default_branch, '') AS body FROM repositories WHERE client_id = $1
                """
        }
    }

    /// Brings the client's documents in line with the source tables: new and changed text is
    /// stored (its hash changes, so it becomes pending), rows whose source is gone are deleted.
    /// Returns the deleted items (to drop from the indexes).
    func refresh(clientID: Int) async throws -> [AIItemRef] {
        try await database.client(clientID).write { tx in
            var removed: [AIItemRef] = []
            for type in AIItemType.allCases {
                try await tx.query("""
                    INSERT INTO ai_documents (client_id, item_type, item_id, project_id, repository_id, item_key, title, body, content_hash)
                    SELECT s.client_id, '\(type.rawValue)', s.id, s.project_id, s.repository_id, s.item_key, s.title, s.body,
                           encode(sha256(convert_to(s.title || E'\\n' || s.body, 'UTF8')), 'hex')
                    FROM (\(Self.sourceSelect(type))) s
                    ON CONFLICT (client_id, item_type, item_id) DO UPDATE SET
                        project_id = EXCLUDED.project_id, repository_id = EXCLUDED.repository_id, item_key = EXCLUDED.item_key,
                        title = EXCLUDED.title, body = EXCLUDED.body, content_hash = EXCLUDED.content_hash
                    WHERE ai_documents.content_hash <> EXCLUDED.content_hash
                       OR ai_documents.project_id IS DISTINCT FROM EXCLUDED.project_id
                       OR ai_documents.repository_id IS DISTINCT FROM EXCLUDED.repository_id
                       OR ai_documents.item_key IS DISTINCT FROM EXCLUDED.item_key
                    """, [clientID])
                let gone = try await tx.query("""
                    DELETE FROM ai_documents d WHERE d.client_id = $1 AND d.item_type = '\(type.rawValue)'
                      AND NOT EXISTS (SELECT 1 FROM \(type.table) t WHERE t.client_id = d.client_id AND t.id = d.item_id)
                    RETURNING item_id
                    """, [clientID])
                for row in gone { removed.append(AIItemRef(type: type, id: try row.decode(Int64.self, at: 0))) }
            }
            return removed
        }
    }

    /// Up to `limit` documents with text not yet embedded by `model` (new, changed, or
    /// embedded by another model).
    func pending(clientID: Int, model: String, limit: Int) async throws -> [PendingDocument] {
        let rows = try await database.client(clientID).query("""
            SELECT item_type, item_id, title, body, content_hash FROM ai_documents
            WHERE client_id = $1 AND (embedded_hash IS DISTINCT FROM content_hash OR model IS DISTINCT FROM $2)
              AND btrim(title || body) <> ''
            ORDER BY item_type, item_id LIMIT $3
            """, [clientID, model, limit])
        return try rows.compactMap { row in
            guard let type = AIItemType(rawValue: try row.decode(String.self, at: 0)) else { return nil }
            let title = try row.decode(String.self, at: 2), body = try row.decode(String.self, at: 3)
            // The model reads 256 tokens at most; a few thousand characters cover them.
            let text = String((body.isEmpty ? title : title + "\n" + body).prefix(4000))
            return PendingDocument(ref: AIItemRef(type: type, id: try row.decode(Int64.self, at: 1)), text: text,
                                   contentHash: try row.decode(String.self, at: 4))
        }
    }

    /// Documents whose text became empty but still carry a vector: cleared, returned for removal.
    func clearEmptied(clientID: Int) async throws -> [AIItemRef] {
        try await database.client(clientID).write { tx in
            let rows = try await tx.query("""
                UPDATE ai_documents SET model = NULL, dimension = NULL, embedded_hash = NULL, embedded_at = NULL
                WHERE client_id = $1 AND btrim(title || body) = '' AND embedded_hash IS NOT NULL RETURNING item_type, item_id
                """, [clientID])
            var refs: [AIItemRef] = []
            for row in rows {
                guard let type = AIItemType(rawValue: try row.decode(String.self, at: 0)) else { continue }
                let ref = AIItemRef(type: type, id: try row.decode(Int64.self, at: 1))
                try await tx.query("UPDATE \(type.table) SET embedding = NULL, embedding_model = NULL WHERE client_id = $1 AND id = $2",
                                   [clientID, ref.id])
                refs.append(ref)
            }
            return refs
        }
    }

    /// Stores vectors in the source tables' `embedding` columns (with `embedding_model`) and
    /// marks the documents embedded, in one transaction.
    func store(clientID: Int, model: String, dimension: Int, documents: [PendingDocument], vectors: [[Float]]) async throws {
        try await database.client(clientID).write { tx in
            for (document, vector) in zip(documents, vectors) {
                try await tx.query("UPDATE \(document.ref.type.table) SET embedding = $1, embedding_model = $2 WHERE client_id = $3 AND id = $4",
                                   [vector, model, clientID, document.ref.id])
                try await tx.query("""
                    UPDATE ai_documents SET model = $1, dimension = $2, embedded_hash = $3, embedded_at = now()
                    WHERE client_id = $4 AND item_type = $5 AND item_id = $6
                    """, [model, dimension, document.contentHash, clientID, document.ref.type.rawValue, document.ref.id])
            }
        }
    }

    /// Every stored vector of `model` with when it was embedded (to rebuild or reconcile an index).
    func vectors(clientID: Int, model: String) async throws -> [(ref: AIItemRef, vector: [Float], embeddedAt: Date)] {
        var result: [(ref: AIItemRef, vector: [Float], embeddedAt: Date)] = []
        for type in AIItemType.allCases {
            let rows = try await database.client(clientID).query("""
                SELECT d.item_id, t.embedding::real[], d.embedded_at FROM ai_documents d
                JOIN \(type.table) t ON t.client_id = d.client_id AND t.id = d.item_id
                WHERE d.client_id = $1 AND d.item_type = '\(type.rawValue)' AND d.model = $2 AND d.embedded_hash IS NOT NULL
                  AND t.embedding IS NOT NULL AND t.embedding_model = $2
                """, [clientID, model])
            for row in rows {
                result.append((AIItemRef(type: type, id: try row.decode(Int64.self, at: 0)), try row.decode([Float].self, at: 1),
                               try row.decode(Date.self, at: 2)))
            }
        }
        return result
    }

    /// The stored vector of one item under `model`, nil when it has none.
    func vector(clientID: Int, ref: AIItemRef, model: String) async throws -> [Float]? {
        let rows = try await database.client(clientID).query(
            "SELECT embedding::real[] FROM \(ref.type.table) WHERE client_id = $1 AND id = $2 AND embedding_model = $3 AND embedding IS NOT NULL",
            [clientID, ref.id, model])
        return try rows.first?.decode([Float].self, at: 0)
    }

    /// Counts for the progress API: documents, embedded by `model`, pending, without text.
    func counts(clientID: Int, model: String) async throws -> (total: Int, embedded: Int, pending: Int, empty: Int) {
        let rows = try await database.client(clientID).query("""
            SELECT count(*),
                   count(*) FILTER (WHERE model = $2 AND embedded_hash = content_hash),
                   count(*) FILTER (WHERE btrim(title || body) <> '' AND (model IS DISTINCT FROM $2 OR embedded_hash IS DISTINCT FROM content_hash)),
                   count(*) FILTER (WHERE btrim(title || body) = '')
            FROM ai_documents WHERE client_id = $1
            """, [clientID, model])
        let row = rows[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2), try row.decode(Int.self, at: 3))
    }
}

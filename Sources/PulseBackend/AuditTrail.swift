import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// The admin audit trail (issue 13 item 6): one row per admin change with who, what, the
/// representation before and after (never credentials), and when; read by the client's
/// admins at `GET /api/v1/audit`.
enum AuditTrail {
    static func record(_ tx: PostgresTransaction, clientID: Int, actor: Actor, action: String, resourceType: String,
                       resourceID: String?, before: JSONValue?, after: JSONValue?) async throws {
        try await tx.query(
            """
            INSERT INTO admin_audit_events (client_id, actor_subject, actor_client_id, action, resource_type, resource_id, before, after)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
            """, clientID, String(actor.subject.prefix(255)), actor.clientID, action, resourceType, resourceID.map { String($0.prefix(100)) },
            before?.text, after?.text)
    }

    static let itemSchema = Docs.object([
        "id": Docs.integer, "actor": Docs.string(255), "action": Docs.string(50), "resource_type": Docs.string(50),
        "resource_id": Docs.string(100), "before": Docs.anyObject, "after": Docs.anyObject, "occurred_at": Docs.timestamp,
    ], required: ["id", "actor", "action", "resource_type", "occurred_at"])

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        routes.add(.get, "/api/v1/audit", summary: "The client's admin audit trail, newest first (needs audit:read). Filter by resource_type.",
                   responses: [Docs.ok(Page.schema(of: itemSchema)), Docs.badRequest], queryParameters: Page.parameters + [
                       .init(name: "resource_type", in: "query", required: false, schema: Docs.string(50)),
                   ], middleware: [context.auth.require("audit:read")]) { request in
            let clientID = try request.tenantID()
            var page = try Page(request)
            if page.afterID == 0 { page.afterID = Int(Int64.max) }
            let type = request.query("resource_type")
            let rows = try await context.database.client(clientID).read { tx in
                try await tx.query(
                    """
                    SELECT id, actor_subject, action, resource_type, resource_id, before::text, after::text, occurred_at
                    FROM admin_audit_events WHERE client_id = $1 AND id < $2 AND ($3::text IS NULL OR resource_type = $3)
                    ORDER BY id DESC LIMIT $4
                    """, clientID, Int64(page.afterID), type, page.limit + 1)
            }
            let items = try rows.map { row -> (id: Int, value: JSONValue) in
                var members: [String: JSONValue] = [
                    "id": .int(try row.decode(Int.self, at: 0)), "actor": .string(try row.decode(String.self, at: 1)),
                    "action": .string(try row.decode(String.self, at: 2)), "resource_type": .string(try row.decode(String.self, at: 3)),
                    "occurred_at": .date(try row.decode(Date.self, at: 7)),
                ]
                if let id = try row.decode(String?.self, at: 4) { members["resource_id"] = .string(id) }
                if let before = try row.decode(String?.self, at: 5).flatMap({ JSONValue.parse(Array($0.utf8)) }) { members["before"] = before }
                if let after = try row.decode(String?.self, at: 6).flatMap({ JSONValue.parse(Array($0.utf8)) }) { members["after"] = after }
                return (try row.decode(Int.self, at: 0), .object(members))
            }
            return page.document(items).response()
        }
    }
}

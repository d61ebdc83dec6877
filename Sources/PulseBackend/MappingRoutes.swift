import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// `/api/v1/mappings/statuses` and `/api/v1/mappings/work-item-types` (issue 12 item 2,
/// F-MAPPING): the client's source → normalised mappings, replaced as a whole by `PUT`
/// (`[{"source": "Incident", "target": "incident"}]`), optionally for one integration
/// (`?integration_id=N`; without it, the client-wide list). Status targets are spelled
/// `to-do|in-progress|done` in the API and stored as `to_do|in_progress|done`.
enum MappingRoutes {
    struct Kind: Sendable {
        var path: String
        var table: String
        var fromColumn: String
        var toColumn: String
        var targets: [String]
        var resourceType: String
        /// API spelling → stored spelling.
        var store: @Sendable (String) -> String
        var load: @Sendable (String) -> String
    }

    static let statuses = Kind(path: "/api/v1/mappings/statuses", table: "status_mappings", fromColumn: "status_from", toColumn: "status_to",
                               targets: ["to-do", "in-progress", "done"], resourceType: "status_mappings",
                               store: { $0.replacingOccurrences(of: "-", with: "_") }, load: { $0.replacingOccurrences(of: "_", with: "-") })
    static let workItemTypes = Kind(path: "/api/v1/mappings/work-item-types", table: "wits_mappings", fromColumn: "wit_from", toColumn: "wit_to",
                                    targets: ["incident", "bug", "story", "task", "epic", "other"], resourceType: "wits_mappings",
                                    store: { $0 }, load: { $0 })

    static func itemSpec(_ kind: Kind) -> BodySpec {
        BodySpec([Field("source", .string(maxLength: 255, minLength: 1), required: true),
                  Field("target", .string(maxLength: 50, values: kind.targets), required: true)])
    }

    static func listSchema(_ kind: Kind) -> OpenAPIDocument.Schema {
        Docs.array(Docs.object(["source": Docs.string(255), "target": .init(type: "string", enum: kind.targets),
                                "integration_id": Docs.integer], required: ["source", "target"]))
    }

    static let integrationParameter = OpenAPIDocument.Parameter(
        name: "integration_id", in: "query", required: false, schema: .init(type: "integer", minimum: 1, maximum: Double(Int32.max)))

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        for kind in [statuses, workItemTypes] { register(kind, on: &routes, context: context) }
    }

    static func integrationID(_ request: HTTPRequest) throws -> Int? {
        guard let text = request.query("integration_id") else { return nil }
        guard let id = Int(text), id > 0, id <= Int(Int32.max) else { throw BodyProblem.invalid("integration_id", "must be a positive integer") }
        return id
    }

    static func load(_ tx: PostgresTransaction, _ kind: Kind, clientID: Int, integrationID: Int?) async throws -> JSONValue {
        let rows = try await tx.query(
            """
            SELECT \(kind.fromColumn), \(kind.toColumn), integration_id FROM \(kind.table)
            WHERE client_id = $1 AND integration_id IS NOT DISTINCT FROM $2 ORDER BY \(kind.fromColumn)
            """, clientID, integrationID)
        return .array(try rows.map { row in
            var members: [String: JSONValue] = ["source": .string(try row.decode(String.self, at: 0)),
                                                "target": .string(kind.load(try row.decode(String.self, at: 1)))]
            if let id = try row.decode(Int?.self, at: 2) { members["integration_id"] = .int(id) }
            return .object(members)
        })
    }

    static func checkIntegration(_ tx: PostgresTransaction, clientID: Int, integrationID: Int?) async throws {
        guard let integrationID else { return }
        guard try await tx.query("SELECT 1 FROM integrations WHERE client_id = $1 AND id = $2", clientID, integrationID).first != nil else {
            throw HTTPError(.notFound, detail: "no such integration")
        }
    }

    static func register(_ kind: Kind, on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        routes.add(.get, kind.path, summary: "The client's \(kind.resourceType.replacingOccurrences(of: "_", with: " ")) (needs settings:read).",
                   responses: [Docs.ok(listSchema(kind)), Docs.badRequest, Docs.notFound], queryParameters: [integrationParameter],
                   middleware: [context.auth.require("settings:read")]) { request in
            let clientID = try request.tenantID(), integrationID = try integrationID(request)
            let list = try await db.client(clientID).read { tx in
                try await checkIntegration(tx, clientID: clientID, integrationID: integrationID)
                return try await load(tx, kind, clientID: clientID, integrationID: integrationID)
            }
            return list.response(etag: list.etag)
        }
        routes.add(.put, kind.path,
                   summary: "Replaces the list (needs settings:write); answers the stored list. If-Match with the ETag refuses a stale edit with 412.",
                   responses: [Docs.ok(listSchema(kind)), Docs.badRequest, Docs.notFound, Docs.conflict, Docs.preconditionFailed, Docs.unsupported],
                   requestContentType: "application/json",
                   requestSchema: .init(type: "array", items: itemSpec(kind).schema, maxItems: 2000),
                   queryParameters: [integrationParameter], middleware: [context.auth.require("settings:write")]) { request in
            let clientID = try request.tenantID(), integrationID = try integrationID(request), actor = try request.actor()
            guard case .array(let items) = try request.jsonBody() else { throw BodyProblem.invalid("the document", "must be an array of {source, target}") }
            guard items.count <= 2000 else { throw BodyProblem.invalid("the document", "has more than 2000 items") }
            var seen = Set<String>()
            let pairs = try items.enumerated().map { index, item -> (String, String) in
                let members = try itemSpec(kind).validate(item, path: "[\(index)].")
                let source = members["source"]!.stringValue!
                guard seen.insert(source).inserted else { throw BodyProblem.invalid("[\(index)].source", "repeats '\(source)'") }
                return (source, kind.store(members["target"]!.stringValue!))
            }
            do {
                let stored = try await db.client(clientID).write { tx -> JSONValue in
                    try await checkIntegration(tx, clientID: clientID, integrationID: integrationID)
                    // Serialise concurrent replacements of one client's list.
                    try await tx.query("SELECT pg_advisory_xact_lock(hashtext($1), $2)", kind.table, clientID)
                    let before = try await load(tx, kind, clientID: clientID, integrationID: integrationID)
                    try ETags.check(request, current: before.etag)
                    try await tx.query("DELETE FROM \(kind.table) WHERE client_id = $1 AND integration_id IS NOT DISTINCT FROM $2", clientID, integrationID)
                    for (source, target) in pairs {
                        try await tx.query(
                            "INSERT INTO \(kind.table) (client_id, \(kind.fromColumn), \(kind.toColumn), integration_id) VALUES ($1, $2, $3, $4)",
                            clientID, source, target, integrationID)
                    }
                    let after = try await load(tx, kind, clientID: clientID, integrationID: integrationID)
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "replace", resourceType: kind.resourceType,
                                                resourceID: integrationID.map(String.init), before: .object(["items": before]),
                                                after: .object(["items": after]))
                    return after
                }
                return stored.response(etag: stored.etag)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw HTTPError(.conflict, detail: "a source in the list is already mapped in another list of this client (one mapping per source name)")
            }
        }
    }
}

import Foundation
import PulseAuth
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// `/api/v1/clients` for platform operators (F-TENANT): users of the platform client
/// (`clients.is_platform`) holding `clients:admin`. They create, configure, list, deactivate
/// and reactivate clients; they see the directory, never a client's data. A client admin
/// reads and changes its own client's settings at `/api/v1/settings`.
enum ClientRoutes {
    static let createSpec = BodySpec([
        Field("name", .string(maxLength: 255, minLength: 1), required: true),
        Field("slug", .string(maxLength: 63, minLength: 1), required: true),
        Field("settings", .object(ClientSettings.spec)),
        Field("feature_flags", .object(FeatureFlags.spec)),
    ])
    static let updateSpec = BodySpec([
        Field("name", .string(maxLength: 255, minLength: 1)),
        Field("settings", .object(ClientSettings.spec)),
        Field("feature_flags", .object(FeatureFlags.spec)),
    ])

    static let itemSchema = Docs.object([
        "id": Docs.integer, "name": Docs.string(255), "slug": Docs.string(63), "active": Docs.boolean,
        "settings": ClientSettings.schema, "feature_flags": FeatureFlags.schema, "created_at": Docs.timestamp, "updated_at": Docs.timestamp,
    ])
    static let listItemSchema = Docs.object(["id": Docs.integer, "name": Docs.string(255), "slug": Docs.string(63), "active": Docs.boolean,
                                             "created_at": Docs.timestamp, "updated_at": Docs.timestamp])

    /// Platform operators only: `clients:admin` from the platform client.
    struct RequireOperator: Middleware {
        let context: BackendContext
        func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
            let identity = try request.authenticatedIdentity()
            let clientID = Int(identity.clientID) ?? 0
            let platform = try await context.database.read { tx in
                try await tx.query("SELECT pulse_client_is_platform($1)", clientID).first?.decode(Bool.self, at: 0)
            }
            guard platform == true else {
                throw HTTPError(.forbidden, detail: "only platform operators manage clients", type: "urn:pulse:auth:forbidden")
            }
            return try await next.respond(to: request)
        }
    }

    /// A customer client's full representation (inside its scope); nil for none or the platform.
    static func load(_ tx: PostgresTransaction, id: Int) async throws -> JSONValue? {
        guard let row = try await tx.query("SELECT id, name, slug, active, created_at, updated_at, is_platform FROM clients WHERE id = $1", id).first,
              try row.decode(Bool.self, at: 6) == false else { return nil }
        return .object([
            "id": .int(try row.decode(Int.self, at: 0)), "name": .string(try row.decode(String.self, at: 1)),
            "slug": .string(try row.decode(String.self, at: 2)), "active": .bool(try row.decode(Bool.self, at: 3)),
            "created_at": .date(try row.decode(Date.self, at: 4)), "updated_at": .date(try row.decode(Date.self, at: 5)),
            "settings": try await ClientSettings.load(tx, clientID: id), "feature_flags": try await FeatureFlags.load(tx, clientID: id),
        ])
    }

    static func slugIsValid(_ slug: String) -> Bool {
        // `logo` is a path of its own under /api/v1/branding/.
        guard slug != "logo", let first = slug.utf8.first, (first >= 97 && first <= 122) || (first >= 48 && first <= 57) else { return false }
        return slug.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        let guards: [any Middleware] = [context.auth.require("clients:admin"), RequireOperator(context: context)]

        routes.add(.get, "/api/v1/clients", summary: "Every client (platform operators: clients:admin of the platform client).",
                   responses: [Docs.ok(Page.schema(of: listItemSchema)), Docs.badRequest], queryParameters: Page.parameters,
                   middleware: guards) { request in
            let page = try Page(request)
            let rows = try await db.read { tx in
                try await tx.query("SELECT id, name, slug, active, created_at, updated_at FROM pulse_operator_clients() WHERE id > $1 ORDER BY id LIMIT $2",
                                   page.afterID, page.limit + 1)
            }
            return page.document(try rows.map { row in
                (try row.decode(Int.self, at: 0), JSONValue.object([
                    "id": .int(try row.decode(Int.self, at: 0)), "name": .string(try row.decode(String.self, at: 1)),
                    "slug": .string(try row.decode(String.self, at: 2)), "active": .bool(try row.decode(Bool.self, at: 3)),
                    "created_at": .date(try row.decode(Date.self, at: 4)), "updated_at": .date(try row.decode(Date.self, at: 5)),
                ]))
            }).response()
        }

        routes.add(.post, "/api/v1/clients",
                   summary: "Creates a client with its built-in roles (admin, viewer, etl-admin); platform operators only.",
                   responses: [Docs.created(itemSchema), Docs.badRequest, Docs.conflict, Docs.unsupported],
                   requestContentType: "application/json", requestSchema: createSpec.schema, middleware: guards) { request in
            let actor = try request.actor()
            let body = try request.validatedBody(createSpec)
            let slug = body["slug"]!.stringValue!
            guard slugIsValid(slug) else { throw BodyProblem.invalid("slug", "must be lower-case letters, digits and '-', starting with a letter or digit") }
            let settings = body["settings"]?.objectValue ?? [:], flags = body["feature_flags"]?.objectValue ?? [:]
            try ClientSettings.check(settings)
            let id: Int
            do {
                id = try await db.write { tx in
                    try await tx.query("SELECT pulse_operator_create_client($1, $2)", body["name"]!.stringValue!, slug)[0].decode(Int.self, at: 0)
                }
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw HTTPError(.conflict, detail: "field 'slug': a client with this slug exists already")
            }
            let created = try await db.client(id).write { tx -> JSONValue in
                try await BuiltInRoles.install(tx, clientID: id)
                try await ClientSettings.save(tx, clientID: id, changes: settings)
                try await FeatureFlags.save(tx, clientID: id, changes: flags)
                let value = try await load(tx, id: id)!
                try await AuditTrail.record(tx, clientID: id, actor: actor, action: "create", resourceType: "client", resourceID: String(id),
                                            before: nil, after: value)
                return value
            }
            context.logger.info("Client created", metadata: ["client_id": "\(id)", "slug": "\(slug)"])
            return created.response(status: .created, etag: created.etag)
        }

        routes.add(.get, "/api/v1/clients/:id", summary: "One client with its settings and feature flags (platform operators only).",
                   responses: [Docs.ok(itemSchema), Docs.notFound], middleware: guards) { request in
            let id = try request.pathID(what: "client")
            let found = try await db.client(id).read { tx in try await load(tx, id: id) }
            guard let value = found else {
                throw HTTPError(.notFound, detail: "no such client")
            }
            return value.response(etag: value.etag)
        }

        routes.add(.patch, "/api/v1/clients/:id", summary: "Renames or configures a client (platform operators only; If-Match → 412 when stale).",
                   responses: [Docs.ok(itemSchema), Docs.badRequest, Docs.notFound, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: updateSpec.schema, middleware: guards) { request in
            let id = try request.pathID(what: "client"), actor = try request.actor()
            let body = try request.validatedBody(updateSpec)
            let settings = body["settings"]?.objectValue ?? [:], flags = body["feature_flags"]?.objectValue ?? [:]
            try ClientSettings.check(settings)
            let updated = try await db.client(id).write { tx -> JSONValue in
                guard try await tx.query("SELECT 1 FROM clients WHERE id = $1 AND NOT is_platform FOR UPDATE", id).first != nil,
                      let before = try await load(tx, id: id) else { throw HTTPError(.notFound, detail: "no such client") }
                try ETags.check(request, current: before.etag)
                if let name = body["name"]?.stringValue { try await tx.query("UPDATE clients SET name = $2 WHERE id = $1", id, name) }
                try await ClientSettings.save(tx, clientID: id, changes: settings)
                try await FeatureFlags.save(tx, clientID: id, changes: flags)
                let after = try await load(tx, id: id)!
                try await AuditTrail.record(tx, clientID: id, actor: actor, action: "update", resourceType: "client", resourceID: String(id),
                                            before: before, after: after)
                return after
            }
            return updated.response(etag: updated.etag)
        }

        for (action, active) in [("deactivate", false), ("reactivate", true)] {
            routes.add(.post, "/api/v1/clients/:id/\(action)",
                       summary: active ? "Reactivates a client: its users can sign in again, its data is as it was (platform operators only)."
                                       : "Deactivates a client: sign-in refused, every token revoked within a second, ETL jobs stop; data kept (platform operators only).",
                       responses: [Docs.ok(itemSchema), Docs.notFound], middleware: guards) { request in
                let id = try request.pathID(what: "client"), actor = try request.actor()
                let value = try await db.client(id).write { tx -> JSONValue in
                    guard try await tx.query("SELECT 1 FROM clients WHERE id = $1 AND NOT is_platform FOR UPDATE", id).first != nil,
                          let before = try await load(tx, id: id) else { throw HTTPError(.notFound, detail: "no such client") }
                    try await tx.query("UPDATE clients SET active = $2 WHERE id = $1", id, active)
                    if !active { try await revokeEverything(tx, clientID: id) }
                    let after = try await load(tx, id: id)!
                    try await AuditTrail.record(tx, clientID: id, actor: actor, action: action, resourceType: "client", resourceID: String(id),
                                                before: before, after: after)
                    return after
                }
                context.logger.notice("Client \(action)d", metadata: ["client_id": "\(id)"])
                return value.response(etag: value.etag)
            }
        }

        // The caller's own client's settings (client admins).
        routes.add(.get, "/api/v1/settings", summary: "The caller's client settings: time zone, working week, benchmark year (needs settings:read).",
                   responses: [Docs.ok(ClientSettings.schema)], middleware: [context.auth.require("settings:read")]) { request in
            let clientID = try request.tenantID()
            let value = try await db.client(clientID).read { tx in try await ClientSettings.load(tx, clientID: clientID) }
            return value.response(etag: value.etag)
        }
        routes.add(.patch, "/api/v1/settings", summary: "Changes the caller's client settings (needs settings:write; If-Match → 412 when stale).",
                   responses: [Docs.ok(ClientSettings.schema), Docs.badRequest, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: ClientSettings.spec.schema,
                   middleware: [context.auth.require("settings:write")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let changes = try request.validatedBody(ClientSettings.spec)
            try ClientSettings.check(changes, path: "")
            let value = try await SystemSettings.change(db, clientID: clientID, actor: actor, request: request, resourceType: "client_settings",
                                                        load: { try await ClientSettings.load($0, clientID: clientID) },
                                                        save: { try await ClientSettings.save($0, clientID: clientID, changes: changes) })
            return value.response(etag: value.etag)
        }
    }

    /// Revokes every session, refresh token and live access token of the client, pushing the
    /// revocations on pulse-auth's NOTIFY channel so every service refuses them within a second.
    static func revokeEverything(_ tx: PostgresTransaction, clientID: Int) async throws {
        let now = Date()
        let horizon = now.addingTimeInterval(3600 + 60)
        let sessions = try await tx.query(
            "UPDATE user_sessions SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING session_key",
            clientID, now)
        try await tx.query("UPDATE refresh_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL", clientID, now)
        var events: [RevocationEvent] = try sessions.map { .session(id: try $0.decode(UUID.self, at: 0).uuidString.lowercased(), until: horizon) }
        for row in try await tx.query("SELECT id FROM users WHERE client_id = $1", clientID) {
            events.append(.subject(clientID: String(clientID), subject: String(try row.decode(Int.self, at: 0)),
                                   issuedBefore: now.addingTimeInterval(1), until: horizon))
        }
        for row in try await tx.query("SELECT account_key FROM service_accounts WHERE client_id = $1", clientID) {
            events.append(.subject(clientID: String(clientID), subject: try row.decode(String.self, at: 0),
                                   issuedBefore: now.addingTimeInterval(1), until: horizon))
        }
        for event in events { try await tx.query("SELECT pg_notify($1, $2)", RevocationFeed.channel, event.payload) }
    }
}

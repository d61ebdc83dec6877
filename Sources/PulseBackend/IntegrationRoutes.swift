import Foundation
import Logging
import PulseETL
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseSecurity
import PulseService

/// `/api/v1/integrations` (issue 12 item 1, F-INTEG): list, create, get, update, delete and
/// the connection test. Credentials are sealed with `CredentialSealer` bound to (client,
/// integration), never returned and never logged; answers say only `has_credentials`.
/// Creating an integration never starts a sync.
enum IntegrationRoutes {
    static let columns = "id, provider, name, base_url, settings::text, active, last_sync_at, created_at, updated_at, credentials_encrypted IS NOT NULL"

    static let itemSchema = Docs.object([
        "id": Docs.integer, "provider": .init(type: "string", enum: IntegrationValidation.providers), "name": Docs.string(255),
        "base_url": Docs.string(2048), "settings": Docs.anyObject, "active": Docs.boolean, "has_credentials": Docs.boolean,
        "last_sync_at": Docs.timestamp, "created_at": Docs.timestamp, "updated_at": Docs.timestamp,
    ], required: ["id", "provider", "name", "settings", "active", "has_credentials", "created_at", "updated_at"])

    static func representation(_ row: PostgresRow) throws -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .int(try row.decode(Int.self, at: 0)), "provider": .string(try row.decode(String.self, at: 1)),
            "name": .string(try row.decode(String.self, at: 2)),
            "settings": JSONValue.parse(Array(try row.decode(String.self, at: 4).utf8)) ?? .object([:]),
            "active": .bool(try row.decode(Bool.self, at: 5)), "created_at": .date(try row.decode(Date.self, at: 7)),
            "updated_at": .date(try row.decode(Date.self, at: 8)), "has_credentials": .bool(try row.decode(Bool.self, at: 9)),
        ]
        if let url = try row.decode(String?.self, at: 3) { members["base_url"] = .string(url) }
        if let at = try row.decode(Date?.self, at: 6) { members["last_sync_at"] = .date(at) }
        return .object(members)
    }

    /// Connectors that can check a connection, by provider; any other provider (webhook,
    /// custom: nothing to call) answers 501.
    static let connectionCheckers: [String: any ConnectionCheckable.Type] = ["github": GitHubConnector.self, "jira": JiraConnector.self]

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let read = context.auth.require("integrations:read"), write = context.auth.require("integrations:write")
        let db = context.database

        routes.add(.get, "/api/v1/integrations", summary: "The client's integrations, never their credentials (needs integrations:read).",
                   responses: [Docs.ok(Page.schema(of: itemSchema)), Docs.badRequest], queryParameters: Page.parameters,
                   middleware: [read]) { request in
            let clientID = try request.tenantID()
            let page = try Page(request)
            let rows = try await db.client(clientID).read { tx in
                try await tx.query("SELECT \(columns) FROM integrations WHERE client_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                   clientID, page.afterID, page.limit + 1)
            }
            return page.document(try rows.map { (try $0.decode(Int.self, at: 0), try representation($0)) }).response()
        }

        routes.add(.post, "/api/v1/integrations",
                   summary: "Creates an integration (needs integrations:write). Credentials are sealed and never returned; no sync starts.",
                   responses: [Docs.created(itemSchema), Docs.badRequest, Docs.conflict, Docs.unsupported,
                               .init(503, "integrations.credentials_key is not configured", contentType: "application/problem+json", schema: Docs.problem)],
                   requestContentType: "application/json", requestSchema: IntegrationValidation.createSpec.schema,
                   middleware: [write]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let body = try request.validatedBody(IntegrationValidation.createSpec)
            let provider = body["provider"]!.stringValue!, name = body["name"]!.stringValue!
            let settings = body["settings"] ?? .object([:])
            try IntegrationValidation.checkSettings(settings, provider: provider)
            try IntegrationValidation.checkBaseURL(body["base_url"]?.stringValue, provider: provider, settings: settings)
            let credentials = body["credentials"]
            if let credentials { try IntegrationValidation.checkCredentials(credentials, provider: provider) }
            else if IntegrationValidation.credentialSpecs[provider] != nil, provider != "webhook" {
                throw BodyProblem.invalid("credentials", "is required for \(provider)")
            }
            let sealer = try credentials == nil ? nil : requireSealer(context)
            let created = try await uniqueName {
                try await db.client(clientID).write { tx in
                    let id = try await tx.query(
                        "INSERT INTO integrations (client_id, provider, name, base_url, settings, active) VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id",
                        clientID, provider, name, body["base_url"]?.stringValue, settings.text, body["active"]?.boolValue ?? true
                    )[0].decode(Int.self, at: 0)
                    if let credentials, let sealer {
                        let sealed = try sealer.seal(credentials.text, clientID: clientID, integrationID: id)
                        try await tx.query("UPDATE integrations SET credentials_encrypted = $2 WHERE id = $1", id, Data(sealed))
                    }
                    let value = try representation(try await tx.query("SELECT \(columns) FROM integrations WHERE id = $1", id)[0])
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "create", resourceType: "integration",
                                                resourceID: String(id), before: nil, after: value)
                    return value
                }
            }
            context.logger.info("Integration created", metadata: ["client_id": "\(clientID)", "provider": "\(provider)"])
            return created.response(status: .created, etag: created.etag)
        }

        routes.add(.get, "/api/v1/integrations/:id", summary: "One integration, never its credentials (needs integrations:read).",
                   responses: [Docs.ok(itemSchema), Docs.notFound], middleware: [read]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "integration")
            let value = try await db.client(clientID).read { tx in
                try await tx.query("SELECT \(columns) FROM integrations WHERE client_id = $1 AND id = $2", clientID, id).first.map(representation)
            }
            guard let value else { throw HTTPError(.notFound, detail: "no such integration") }
            return value.response(etag: value.etag)
        }

        for method in [HTTPMethod.patch, .put] {
        routes.add(method, "/api/v1/integrations/:id",
                   summary: method == .patch ? "Changes an integration (needs integrations:write; If-Match with the ETag refuses a stale edit with 412)."
                       : "The same as PATCH: the fields sent are changed, the others kept.",
                   responses: [Docs.ok(itemSchema), Docs.badRequest, Docs.notFound, Docs.conflict, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: IntegrationValidation.updateSpec.schema,
                   middleware: [write]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "integration"), actor = try request.actor()
            let body = try request.validatedBody(IntegrationValidation.updateSpec)
            let sealer = try body["credentials"] == nil ? nil : requireSealer(context)
            let updated = try await uniqueName {
                try await db.client(clientID).write { tx -> JSONValue in
                    guard let row = try await tx.query("SELECT \(columns) FROM integrations WHERE client_id = $1 AND id = $2 FOR UPDATE",
                                                       clientID, id).first else { throw HTTPError(.notFound, detail: "no such integration") }
                    let before = try representation(row)
                    try ETags.check(request, current: before.etag)
                    let provider = before["provider"]!.stringValue!
                    let settings = body["settings"] ?? before["settings"] ?? .object([:])
                    if body["settings"] != nil { try IntegrationValidation.checkSettings(settings, provider: provider) }
                    let baseURL: String? = body["base_url"].map { $0.stringValue } ?? before["base_url"]?.stringValue
                    if body["base_url"] != nil || body["settings"] != nil {
                        try IntegrationValidation.checkBaseURL(baseURL, provider: provider, settings: settings)
                    }
                    try await tx.query(
                        "UPDATE integrations SET name = $2, base_url = $3, settings = $4::jsonb, active = $5 WHERE id = $1",
                        id, body["name"]?.stringValue ?? before["name"]!.stringValue!, baseURL, settings.text,
                        body["active"]?.boolValue ?? before["active"]!.boolValue!)
                    if let credentials = body["credentials"], let sealer {
                        try IntegrationValidation.checkCredentials(credentials, provider: provider)
                        let sealed = try sealer.seal(credentials.text, clientID: clientID, integrationID: id)
                        try await tx.query("UPDATE integrations SET credentials_encrypted = $2 WHERE id = $1", id, Data(sealed))
                    }
                    let after = try representation(try await tx.query("SELECT \(columns) FROM integrations WHERE id = $1", id)[0])
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: "integration",
                                                resourceID: String(id), before: before, after: after)
                    return after
                }
            }
            return updated.response(etag: updated.etag)
        }
        }

        routes.add(.delete, "/api/v1/integrations/:id",
                   summary: "Deletes an integration that has no synced data yet; otherwise 409 (deactivate it instead). Needs integrations:write.",
                   responses: [Docs.noContent, Docs.notFound, Docs.conflict, Docs.preconditionFailed], middleware: [write]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "integration"), actor = try request.actor()
            do {
                try await db.client(clientID).write { tx in
                    guard let row = try await tx.query("SELECT \(columns) FROM integrations WHERE client_id = $1 AND id = $2 FOR UPDATE",
                                                       clientID, id).first else { throw HTTPError(.notFound, detail: "no such integration") }
                    let before = try representation(row)
                    try ETags.check(request, current: before.etag)
                    try await tx.query("DELETE FROM integrations WHERE id = $1", id)
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "delete", resourceType: "integration",
                                                resourceID: String(id), before: before, after: nil)
                }
            } catch let error as PostgresError where error.sqlState == "23503" {
                throw HTTPError(.conflict, detail: "the integration has synced data or jobs; set active to false instead of deleting it")
            }
            return HTTPResponse(status: .noContent)
        }

        routes.add(.post, "/api/v1/integrations/:id/test",
                   summary: "Checks the connection with one cheap vendor call (Jira /myself, GitHub /rate_limit) and says what is wrong. Needs integrations:write.",
                   responses: [Docs.ok(Docs.object(["ok": Docs.boolean, "message": Docs.string(2000), "status": Docs.integer,
                                                    "details": Docs.anyObject], required: ["ok", "message", "details"])),
                               Docs.notFound, .init(501, "The provider has no connection test (webhook, custom)", contentType: "application/problem+json", schema: Docs.problem)],
                   middleware: [write]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "integration")
            let row = try await db.client(clientID).read { tx in
                try await tx.query("SELECT provider, name, base_url, settings::text, credentials_encrypted FROM integrations WHERE client_id = $1 AND id = $2",
                                   clientID, id).first
            }
            guard let row else { throw HTTPError(.notFound, detail: "no such integration") }
            let provider = try row.decode(String.self, at: 0)
            guard let checker = connectionCheckers[provider] else {
                throw HTTPError(.notImplemented, detail: "a \(provider) integration has no connection to test (only github and jira have one)",
                                type: "urn:pulse:problem:not-implemented")
            }
            var credentials = "{}"
            if let sealed = try row.decode(Data?.self, at: 4) {
                do { credentials = try requireSealer(context).open(Array(sealed), clientID: clientID, integrationID: id) } catch let error as HTTPError {
                    throw error
                } catch {
                    return JSONValue.object(["ok": .bool(false), "message": .string("the stored credentials cannot be opened with the configured key; enter them again"),
                                             "details": .object([:])]).response()
                }
            }
            let integration = SyncIntegration(id: id, clientID: clientID, provider: provider, name: try row.decode(String.self, at: 1),
                                              baseURL: try row.decode(String?.self, at: 2) ?? "", settingsJSON: try row.decode(String.self, at: 3),
                                              credentialsJSON: credentials)
            let client = try HTTPClient(configuration: HTTPClientConfiguration(
                timeouts: .init(connect: .seconds(5), request: .seconds(10), overall: .seconds(15)), maximumRedirects: 0,
                maximumResponseBytes: 1 << 20))
            let check = await checker.checkConnection(integration: integration, client: client)
            client.shutdown()
            var members: [String: JSONValue] = ["ok": .bool(check.ok), "message": .string(check.message),
                                                "details": .object(check.details.mapValues(JSONValue.string))]
            if let status = check.status { members["status"] = .int(status) }
            return JSONValue.object(members).response()
        }
    }

    static func requireSealer(_ context: BackendContext) throws -> CredentialSealer {
        guard let sealer = context.sealer else {
            throw HTTPError(.serviceUnavailable, detail: "integrations.credentials_key is not configured on pulse-backend; credentials cannot be stored")
        }
        return sealer
    }

    /// Runs `body`, turning a duplicate (provider, name) into 409.
    static func uniqueName<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as PostgresError where error.sqlState == "23505" {
            throw HTTPError(.conflict, detail: "an integration of this provider with this name exists already (field 'name')")
        }
    }
}

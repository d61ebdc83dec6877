import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// Projects, repositories and teams (issue 13 item 5): what the ETL discovered, arranged by
/// admins for DORA scopes — display names, repositories grouped into projects and services,
/// excluded repositories, and teams with members and the repositories and projects they own.
enum CatalogRoutes {
    static let projectSpec = BodySpec([Field("display_name", .string(maxLength: 255, minLength: 1), nullable: true)])
    static let repositorySpec = BodySpec([
        Field("display_name", .string(maxLength: 255, minLength: 1), nullable: true),
        Field("project_id", .integer(minimum: 1), nullable: true),
        Field("service_name", .string(maxLength: 100, minLength: 1), nullable: true),
        Field("excluded", .boolean),
    ])
    static let idList = FieldType.array(.integer(minimum: 1), maxItems: 10_000)
    static let teamCreateSpec = BodySpec([
        Field("name", .string(maxLength: 255, minLength: 1), required: true),
        Field("description", .string(maxLength: 2000), nullable: true),
        Field("member_ids", idList), Field("repository_ids", idList), Field("project_ids", idList),
    ])
    static let teamUpdateSpec = BodySpec([
        Field("name", .string(maxLength: 255, minLength: 1)),
        Field("description", .string(maxLength: 2000), nullable: true),
        Field("member_ids", idList), Field("repository_ids", idList), Field("project_ids", idList),
    ])

    static let projectSchema = Docs.object(["id": Docs.integer, "key": Docs.string(50), "name": Docs.string(255),
                                            "display_name": Docs.string(255), "integration_id": Docs.integer, "active": Docs.boolean],
                                           required: ["id", "key", "name", "active"])
    static let repositorySchema = Docs.object([
        "id": Docs.integer, "full_name": Docs.string(255), "display_name": Docs.string(255), "project_id": Docs.integer,
        "service_name": Docs.string(100), "excluded": Docs.boolean, "archived": Docs.boolean, "default_branch": Docs.string(255),
        "integration_id": Docs.integer,
    ], required: ["id", "full_name", "excluded", "archived", "default_branch"])
    static let teamSchema = Docs.object([
        "id": Docs.integer, "name": Docs.string(255), "description": Docs.string(2000), "member_ids": Docs.array(Docs.integer),
        "repository_ids": Docs.array(Docs.integer), "project_ids": Docs.array(Docs.integer), "created_at": Docs.timestamp,
        "updated_at": Docs.timestamp,
    ], required: ["id", "name", "member_ids", "repository_ids", "project_ids", "created_at", "updated_at"])

    static func project(_ row: PostgresRow) throws -> JSONValue {
        var m: [String: JSONValue] = ["id": .int(try row.decode(Int.self, at: 0)), "key": .string(try row.decode(String.self, at: 1)),
                                      "name": .string(try row.decode(String.self, at: 2)), "active": .bool(try row.decode(Bool.self, at: 5))]
        if let v = try row.decode(String?.self, at: 3) { m["display_name"] = .string(v) }
        if let v = try row.decode(Int?.self, at: 4) { m["integration_id"] = .int(v) }
        return .object(m)
    }
    static let projectColumns = "id, key, name, display_name, integration_id, active"

    static func repository(_ row: PostgresRow) throws -> JSONValue {
        var m: [String: JSONValue] = ["id": .int(try row.decode(Int.self, at: 0)), "full_name": .string(try row.decode(String.self, at: 1)),
                                      "excluded": .bool(try row.decode(Bool.self, at: 5)), "archived": .bool(try row.decode(Bool.self, at: 6)),
                                      "default_branch": .string(try row.decode(String.self, at: 7))]
        if let v = try row.decode(String?.self, at: 2) { m["display_name"] = .string(v) }
        if let v = try row.decode(Int?.self, at: 3) { m["project_id"] = .int(v) }
        if let v = try row.decode(String?.self, at: 4) { m["service_name"] = .string(v) }
        if let v = try row.decode(Int?.self, at: 8) { m["integration_id"] = .int(v) }
        return .object(m)
    }
    static let repositoryColumns = "id, full_name, display_name, project_id, service_name, excluded, archived, default_branch, integration_id"

    static func team(_ tx: PostgresTransaction, id: Int) async throws -> JSONValue? {
        guard let row = try await tx.query("SELECT id, name, description, created_at, updated_at FROM teams WHERE id = $1", id).first else { return nil }
        func ids(_ sql: String) async throws -> JSONValue { .array(try await tx.query(sql, id).map { .int(try $0.decode(Int.self, at: 0)) }) }
        var m: [String: JSONValue] = [
            "id": .int(try row.decode(Int.self, at: 0)), "name": .string(try row.decode(String.self, at: 1)),
            "created_at": .date(try row.decode(Date.self, at: 3)), "updated_at": .date(try row.decode(Date.self, at: 4)),
            "member_ids": try await ids("SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id"),
            "repository_ids": try await ids("SELECT repository_id FROM team_repositories WHERE team_id = $1 ORDER BY repository_id"),
            "project_ids": try await ids("SELECT project_id FROM team_projects WHERE team_id = $1 ORDER BY project_id"),
        ]
        if let v = try row.decode(String?.self, at: 2) { m["description"] = .string(v) }
        return .object(m)
    }

    /// Replaces a team's links; an id of another client (or none) is a 400 naming the field.
    static func link(_ tx: PostgresTransaction, clientID: Int, team: Int, body: [String: JSONValue]) async throws {
        let links = [("member_ids", "team_members", "user_id", "users"), ("repository_ids", "team_repositories", "repository_id", "repositories"),
                     ("project_ids", "team_projects", "project_id", "projects")]
        for (field, table, column, target) in links {
            guard let list = body[field]?.arrayValue else { continue }
            let ids = Array(Set(list.compactMap(\.intValue))).sorted()
            let found = try await tx.query("SELECT count(*) FROM \(target) WHERE client_id = $1 AND id = ANY($2::int[])", clientID, ids)[0]
                .decode(Int.self, at: 0)
            guard found == ids.count else { throw BodyProblem.invalid(field, "names an id that does not exist") }
            try await tx.query("DELETE FROM \(table) WHERE team_id = $1", team)
            try await tx.query("INSERT INTO \(table) (client_id, team_id, \(column)) SELECT $1, $2, unnest($3::int[])", clientID, team, ids)
        }
    }

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        let readProjects = context.auth.require("projects:read"), writeProjects = context.auth.require("projects:write")
        let readTeams = context.auth.require("teams:read"), writeTeams = context.auth.require("teams:write")

        routes.add(.get, "/api/v1/projects", summary: "Projects the ETL discovered (needs projects:read).",
                   responses: [Docs.ok(Page.schema(of: projectSchema)), Docs.badRequest], queryParameters: Page.parameters,
                   middleware: [readProjects]) { request in
            let clientID = try request.tenantID(), page = try Page(request)
            let rows = try await db.client(clientID).read { tx in
                try await tx.query("SELECT \(projectColumns) FROM projects WHERE client_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                   clientID, page.afterID, page.limit + 1)
            }
            return page.document(try rows.map { (try $0.decode(Int.self, at: 0), try project($0)) }).response()
        }
        routes.add(.patch, "/api/v1/projects/:id", summary: "Sets a project's display name (needs projects:write; If-Match → 412).",
                   responses: [Docs.ok(projectSchema), Docs.badRequest, Docs.notFound, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: projectSpec.schema, middleware: [writeProjects]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "project"), actor = try request.actor()
            let body = try request.validatedBody(projectSpec)
            let value = try await db.client(clientID).write { tx -> JSONValue in
                guard let row = try await tx.query("SELECT \(projectColumns) FROM projects WHERE client_id = $1 AND id = $2 FOR UPDATE", clientID, id).first
                else { throw HTTPError(.notFound, detail: "no such project") }
                let before = try project(row)
                try ETags.check(request, current: before.etag)
                if let name = body["display_name"] { try await tx.query("UPDATE projects SET display_name = $2 WHERE id = $1", id, name.stringValue) }
                let after = try project(try await tx.query("SELECT \(projectColumns) FROM projects WHERE id = $1", id)[0])
                try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: "project",
                                            resourceID: String(id), before: before, after: after)
                return after
            }
            return value.response(etag: value.etag)
        }
        routes.add(.get, "/api/v1/repositories", summary: "Repositories the ETL discovered, with their project, service and exclusion (needs projects:read).",
                   responses: [Docs.ok(Page.schema(of: repositorySchema)), Docs.badRequest], queryParameters: Page.parameters,
                   middleware: [readProjects]) { request in
            let clientID = try request.tenantID(), page = try Page(request)
            let rows = try await db.client(clientID).read { tx in
                try await tx.query("SELECT \(repositoryColumns) FROM repositories WHERE client_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                   clientID, page.afterID, page.limit + 1)
            }
            return page.document(try rows.map { (try $0.decode(Int.self, at: 0), try repository($0)) }).response()
        }
        routes.add(.patch, "/api/v1/repositories/:id",
                   summary: "Sets a repository's display name, project, service or exclusion from DORA (needs projects:write; If-Match → 412).",
                   responses: [Docs.ok(repositorySchema), Docs.badRequest, Docs.notFound, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: repositorySpec.schema, middleware: [writeProjects]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "repository"), actor = try request.actor()
            let body = try request.validatedBody(repositorySpec)
            let value = try await db.client(clientID).write { tx -> JSONValue in
                guard let row = try await tx.query("SELECT \(repositoryColumns) FROM repositories WHERE client_id = $1 AND id = $2 FOR UPDATE",
                                                   clientID, id).first else { throw HTTPError(.notFound, detail: "no such repository") }
                let before = try repository(row)
                try ETags.check(request, current: before.etag)
                if let project = body["project_id"]?.intValue,
                   try await tx.query("SELECT 1 FROM projects WHERE client_id = $1 AND id = $2", clientID, project).first == nil {
                    throw BodyProblem.invalid("project_id", "names no project of this client")
                }
                if let v = body["display_name"] { try await tx.query("UPDATE repositories SET display_name = $2 WHERE id = $1", id, v.stringValue) }
                if let v = body["service_name"] { try await tx.query("UPDATE repositories SET service_name = $2 WHERE id = $1", id, v.stringValue) }
                if let v = body["project_id"] { try await tx.query("UPDATE repositories SET project_id = $2 WHERE id = $1", id, v.intValue) }
                if let v = body["excluded"]?.boolValue { try await tx.query("UPDATE repositories SET excluded = $2 WHERE id = $1", id, v) }
                let after = try repository(try await tx.query("SELECT \(repositoryColumns) FROM repositories WHERE id = $1", id)[0])
                try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: "repository",
                                            resourceID: String(id), before: before, after: after)
                return after
            }
            return value.response(etag: value.etag)
        }

        routes.add(.get, "/api/v1/teams", summary: "Teams with members and owned repositories and projects (needs teams:read).",
                   responses: [Docs.ok(Page.schema(of: teamSchema)), Docs.badRequest], queryParameters: Page.parameters,
                   middleware: [readTeams]) { request in
            let clientID = try request.tenantID(), page = try Page(request)
            let items = try await db.client(clientID).read { tx -> [(id: Int, value: JSONValue)] in
                var items: [(id: Int, value: JSONValue)] = []
                for row in try await tx.query("SELECT id FROM teams WHERE client_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                              clientID, page.afterID, page.limit + 1) {
                    let id = try row.decode(Int.self, at: 0)
                    if let value = try await team(tx, id: id) { items.append((id, value)) }
                }
                return items
            }
            return page.document(items).response()
        }
        routes.add(.post, "/api/v1/teams", summary: "Creates a team (needs teams:write).",
                   responses: [Docs.created(teamSchema), Docs.badRequest, Docs.conflict], requestContentType: "application/json",
                   requestSchema: teamCreateSpec.schema, middleware: [writeTeams]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let body = try request.validatedBody(teamCreateSpec)
            do {
                let value = try await db.client(clientID).write { tx -> JSONValue in
                    let id = try await tx.query("INSERT INTO teams (client_id, name, description) VALUES ($1, $2, $3) RETURNING id",
                                                clientID, body["name"]!.stringValue!, body["description"]?.stringValue)[0].decode(Int.self, at: 0)
                    try await link(tx, clientID: clientID, team: id, body: body)
                    let value = try await team(tx, id: id)!
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "create", resourceType: "team",
                                                resourceID: String(id), before: nil, after: value)
                    return value
                }
                return value.response(status: .created, etag: value.etag)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw HTTPError(.conflict, detail: "field 'name': a team with this name exists already")
            }
        }
        routes.add(.get, "/api/v1/teams/:id", summary: "One team (needs teams:read).", responses: [Docs.ok(teamSchema), Docs.notFound],
                   middleware: [readTeams]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "team")
            let found = try await db.client(clientID).read { tx in try await team(tx, id: id) }
            guard let value = found else {
                throw HTTPError(.notFound, detail: "no such team")
            }
            return value.response(etag: value.etag)
        }
        routes.add(.patch, "/api/v1/teams/:id", summary: "Changes a team; id lists replace the current ones (needs teams:write; If-Match → 412).",
                   responses: [Docs.ok(teamSchema), Docs.badRequest, Docs.notFound, Docs.conflict, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: teamUpdateSpec.schema, middleware: [writeTeams]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "team"), actor = try request.actor()
            let body = try request.validatedBody(teamUpdateSpec)
            do {
                let value = try await db.client(clientID).write { tx -> JSONValue in
                    guard try await tx.query("SELECT 1 FROM teams WHERE client_id = $1 AND id = $2 FOR UPDATE", clientID, id).first != nil,
                          let before = try await team(tx, id: id) else { throw HTTPError(.notFound, detail: "no such team") }
                    try ETags.check(request, current: before.etag)
                    if let name = body["name"]?.stringValue { try await tx.query("UPDATE teams SET name = $2 WHERE id = $1", id, name) }
                    if let d = body["description"] { try await tx.query("UPDATE teams SET description = $2 WHERE id = $1", id, d.stringValue) }
                    try await link(tx, clientID: clientID, team: id, body: body)
                    let after = try await team(tx, id: id)!
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: "team",
                                                resourceID: String(id), before: before, after: after)
                    return after
                }
                return value.response(etag: value.etag)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw HTTPError(.conflict, detail: "field 'name': a team with this name exists already")
            }
        }
        routes.add(.delete, "/api/v1/teams/:id", summary: "Deletes a team (needs teams:write).",
                   responses: [Docs.noContent, Docs.notFound, Docs.preconditionFailed], middleware: [writeTeams]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "team"), actor = try request.actor()
            try await db.client(clientID).write { tx in
                guard try await tx.query("SELECT 1 FROM teams WHERE client_id = $1 AND id = $2 FOR UPDATE", clientID, id).first != nil,
                      let before = try await team(tx, id: id) else { throw HTTPError(.notFound, detail: "no such team") }
                try ETags.check(request, current: before.etag)
                try await tx.query("DELETE FROM teams WHERE id = $1", id)
                try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "delete", resourceType: "team",
                                            resourceID: String(id), before: before, after: nil)
            }
            return HTTPResponse(status: .noContent)
        }
    }
}

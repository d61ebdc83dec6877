import Foundation
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseService

/// User administration for client admins (F-USERS, `users:admin`). Reading (search, cursor
/// pages) is a plain tenant-scoped query; every change goes to pulse-auth's admin API with
/// the caller's own credentials, so RBAC stays in pulse-auth (it refuses grants beyond the
/// caller's permissions and keeps the last active admin) and the backend holds none of it.
enum UserAdminRoutes {
    static let createSpec = BodySpec([
        Field("email", .string(maxLength: 255, minLength: 3), required: true),
        Field("password", .string(maxLength: 1024, minLength: 8), required: true),
        Field("role", .string(maxLength: 100, minLength: 1)),
    ])
    static let roleSpec = BodySpec([Field("role", .string(maxLength: 100, minLength: 1), required: true)])

    static let userSchema = Docs.object([
        "id": Docs.integer, "email": Docs.string(255), "first_name": Docs.string(255), "last_name": Docs.string(255),
        "active": Docs.boolean, "roles": Docs.array(Docs.string(100)), "last_login_at": Docs.timestamp, "created_at": Docs.timestamp,
    ], required: ["id", "email", "active", "roles", "created_at"])

    static let selectUsers = """
        SELECT u.id, u.email, u.first_name, u.last_name, u.active, u.last_login_at, u.created_at,
               COALESCE(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS roles
        FROM users u LEFT JOIN user_roles ur ON ur.client_id = u.client_id AND ur.user_id = u.id
        LEFT JOIN roles r ON r.client_id = ur.client_id AND r.id = ur.role_id
        """

    static func user(_ row: PostgresRow) throws -> JSONValue {
        var m: [String: JSONValue] = [
            "id": .int(try row.decode(Int.self, at: 0)), "email": .string(try row.decode(String.self, at: 1)),
            "active": .bool(try row.decode(Bool.self, at: 4)), "created_at": .date(try row.decode(Date.self, at: 6)),
            "roles": .array(try row.decode([String].self, at: 7).map(JSONValue.string)),
        ]
        if let v = try row.decode(String?.self, at: 2) { m["first_name"] = .string(v) }
        if let v = try row.decode(String?.self, at: 3) { m["last_name"] = .string(v) }
        if let v = try row.decode(Date?.self, at: 5) { m["last_login_at"] = .date(v) }
        return .object(m)
    }

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        let admin = context.auth.require("users:admin")
        routes.add(.get, "/api/v1/users", summary: "Users of the caller's client; `q` searches email and names, `active` filters (needs users:admin).",
                   responses: [Docs.ok(Page.schema(of: userSchema)), Docs.badRequest],
                   queryParameters: Page.parameters + [
                       .init(name: "q", in: "query", required: false, schema: Docs.string(255)),
                       .init(name: "active", in: "query", required: false, schema: .init(type: "boolean")),
                   ], middleware: [admin]) { request in
            let clientID = try request.tenantID(), page = try Page(request)
            let q = request.query("q") ?? ""
            guard q.count <= 255, !q.contains("\0") else { throw BodyProblem.invalid("q", "is longer than 255 characters") }
            var active: Bool?
            if let text = request.query("active") {
                guard let flag = ["true": true, "false": false][text] else { throw BodyProblem.invalid("active", "must be true or false") }
                active = flag
            }
            let pattern = "%" + q.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            let rows = try await db.client(clientID).read { tx in
                try await tx.query(
                    selectUsers + """
                     WHERE u.client_id = $1 AND u.id > $2 AND ($3 = '%%' OR u.email ILIKE $3 OR u.first_name ILIKE $3 OR u.last_name ILIKE $3)
                       AND ($4::boolean IS NULL OR u.active = $4)
                    GROUP BY u.id ORDER BY u.id LIMIT $5
                    """, clientID, page.afterID, pattern, active, page.limit + 1)
            }
            return page.document(try rows.map { (try $0.decode(Int.self, at: 0), try user($0)) }).response()
        }
        routes.add(.get, "/api/v1/users/:id", summary: "One user of the caller's client (needs users:admin).",
                   responses: [Docs.ok(userSchema), Docs.notFound], middleware: [admin]) { request in
            let clientID = try request.tenantID(), id = try request.pathID(what: "user")
            let row = try await db.client(clientID).read { tx in
                try await tx.query(selectUsers + " WHERE u.client_id = $1 AND u.id = $2 GROUP BY u.id", clientID, id).first
            }
            guard let row else { throw HTTPError(.notFound, detail: "no such user") }
            let value = try user(row)
            return value.response(etag: value.etag)
        }

        let created = Docs.object(["id": Docs.integer, "email": Docs.string(255)])
        proxy(&routes, context, .post, "/api/v1/users", to: { _ in "/auth/admin/users" }, spec: createSpec,
              summary: "Creates a local user (email, password, optional role) through pulse-auth (needs users:admin; only roles whose permissions the caller holds).",
              responses: [Docs.created(created), Docs.badRequest, Docs.conflict, Docs.unsupported], action: "create")
        proxy(&routes, context, .post, "/api/v1/users/:id/roles", to: { "/auth/admin/users/\(try $0.pathID(what: "user"))/roles" }, spec: roleSpec,
              summary: "Gives a user a role through pulse-auth (needs users:admin; nobody grants more than they hold).",
              responses: [Docs.ok(Docs.object(["user_id": Docs.integer, "role": Docs.string(100)])), Docs.badRequest, Docs.notFound], action: "assign_role")
        proxy(&routes, context, .delete, "/api/v1/users/:id/roles/:role",
              to: { "/auth/admin/users/\(try $0.pathID(what: "user"))/roles/\(percentEncoded($0.pathParameters["role"] ?? ""))" }, spec: nil,
              summary: "Takes a role from a user through pulse-auth (never the last active admin's admin role).",
              responses: [Docs.noContent, Docs.notFound, Docs.conflict], action: "remove_role")
        proxy(&routes, context, .post, "/api/v1/users/:id/disable", to: { "/auth/admin/users/\(try $0.pathID(what: "user"))/disable" }, spec: nil,
              summary: "Disables a user and revokes its tokens through pulse-auth (never the client's last active admin).",
              responses: [Docs.noContent, Docs.notFound, Docs.conflict], action: "disable")
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// A change forwarded to pulse-auth with the caller's credentials; its answer is passed
    /// back, and a success is recorded in the backend's audit trail too.
    static func proxy(_ routes: inout ServiceRoutes, _ context: BackendContext, _ method: HTTPMethod, _ pattern: String,
                      to target: @escaping @Sendable (HTTPRequest) throws -> String, spec: BodySpec?, summary: String,
                      responses: [RouteDescription.Response], action: String) {
        routes.add(method, pattern, summary: summary, responses: responses, requestContentType: spec == nil ? nil : "application/json",
                   requestSchema: spec?.schema, middleware: [context.auth.require("users:admin")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let path = try target(request)
            var body: [UInt8] = []
            if let spec {
                let members = try request.validatedBody(spec)
                body = JSONValue.object(members).bytes
            }
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if !body.isEmpty { headers["Content-Type"] = "application/json" }
            for name in ["Authorization", "Cookie", "X-CSRF-Token", "User-Agent"] {
                if let value = request.headers[name] { headers[name] = value }
            }
            if let id = request.requestID { headers["X-Request-Id"] = id }
            let answer: HTTPClientResponse
            do {
                answer = try await context.auth.client.execute(HTTPClientRequest(method: method, url: context.auth.settings.authURL + path,
                                                                                 headers: headers, body: body))
            } catch {
                throw HTTPError(.serviceUnavailable, detail: "the auth service cannot be reached", headers: ["Retry-After": "1"])
            }
            if answer.status.code < 300 {
                let after = JSONValue.parse(answer.body) ?? JSONValue.object(["path": .string(path)])
                try await context.database.client(clientID).write { tx in
                    try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: action, resourceType: "user",
                                                resourceID: request.pathParameters["id"] ?? after["id"]?.intValue.map(String.init),
                                                before: nil, after: after.objectValue == nil ? .object(["result": after]) : after)
                }
            }
            var response = HTTPResponse(status: answer.status, body: .bytes(answer.body))
            if let type = answer.headers["Content-Type"] { response.headers["Content-Type"] = type }
            return response
        }
    }
}

import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// `/api/v1/me/profile` and `/api/v1/me/preferences` (F-USERS): the signed-in user reads and
/// changes its own name, avatar, time zone and locale, and its theme and default dashboard
/// scope and period. Service accounts have neither (404).
enum ProfileRoutes {
    static let periods = ["7d", "14d", "30d", "90d", "180d", "365d"]

    static let profileSpec = BodySpec([
        Field("first_name", .string(maxLength: 255), nullable: true),
        Field("last_name", .string(maxLength: 255), nullable: true),
        Field("avatar_url", .string(maxLength: 2048), nullable: true),
        Field("time_zone", .string(maxLength: 64, minLength: 1), nullable: true),
        Field("locale", .string(maxLength: 35, minLength: 2), nullable: true),
    ])
    static let preferencesSpec = BodySpec([
        Field("theme_mode", .string(maxLength: 10, values: ["light", "dark", "system"])),
        Field("default_dashboard_scope", .string(maxLength: 100, minLength: 1), nullable: true),
        Field("default_dashboard_period", .string(maxLength: 20, values: periods), nullable: true),
    ])

    static let profileSchema = Docs.object([
        "id": Docs.integer, "email": Docs.string(255), "first_name": Docs.string(255), "last_name": Docs.string(255),
        "avatar_url": Docs.string(2048), "time_zone": Docs.string(64), "locale": Docs.string(35),
    ], required: ["id", "email"])
    static let preferencesSchema = Docs.object([
        "theme_mode": .init(type: "string", enum: ["light", "dark", "system"]), "default_dashboard_scope": Docs.string(100),
        "default_dashboard_period": .init(type: "string", enum: periods),
    ], required: ["theme_mode"])

    static func userID(_ request: HTTPRequest) throws -> Int {
        let identity = try request.authenticatedIdentity()
        guard identity.kind == .user, let id = Int(identity.subject) else {
            throw HTTPError(.notFound, detail: "a service account has no user profile")
        }
        return id
    }

    static func loadProfile(_ tx: PostgresTransaction, userID: Int) async throws -> JSONValue? {
        guard let row = try await tx.query("SELECT id, email, first_name, last_name, avatar_url, time_zone, locale FROM users WHERE id = $1", userID).first
        else { return nil }
        var members: [String: JSONValue] = ["id": .int(try row.decode(Int.self, at: 0)), "email": .string(try row.decode(String.self, at: 1))]
        for (index, name) in ["first_name", "last_name", "avatar_url", "time_zone", "locale"].enumerated() {
            if let value = try row.decode(String?.self, at: index + 2) { members[name] = .string(value) }
        }
        return .object(members)
    }

    static func loadPreferences(_ tx: PostgresTransaction, userID: Int) async throws -> JSONValue? {
        guard let row = try await tx.query("SELECT theme_mode, default_dashboard_scope, default_dashboard_period FROM users WHERE id = $1", userID).first
        else { return nil }
        var members: [String: JSONValue] = ["theme_mode": .string(try row.decode(String.self, at: 0))]
        if let scope = try row.decode(String?.self, at: 1) { members["default_dashboard_scope"] = .string(scope) }
        if let period = try row.decode(String?.self, at: 2) { members["default_dashboard_period"] = .string(period) }
        return .object(members)
    }

    /// `client`, or `project:<id>`, `repository:<id>`, `team:<id>`.
    static func checkScope(_ scope: String) throws {
        if scope == "client" { return }
        let parts = scope.split(separator: ":")
        guard parts.count == 2, ["project", "repository", "team"].contains(parts[0]), let id = Int(parts[1]), id > 0 else {
            throw BodyProblem.invalid("default_dashboard_scope", "must be client, project:<id>, repository:<id> or team:<id>")
        }
    }

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        let signedIn = SignedIn(context: context)
        let unauthorized = RouteDescription.Response(401, "Not signed in", contentType: "application/problem+json", schema: Docs.problem)

        routes.add(.get, "/api/v1/me/profile", summary: "The signed-in user's profile.",
                   responses: [Docs.ok(profileSchema), unauthorized, Docs.notFound], middleware: [signedIn]) { request in
            let clientID = try request.tenantID(), id = try userID(request)
            let found = try await db.client(clientID).read { tx in try await loadProfile(tx, userID: id) }
            guard let value = found else {
                throw HTTPError(.notFound, detail: "no such user")
            }
            return value.response(etag: value.etag)
        }
        for method in [HTTPMethod.patch, .put] {
        routes.add(method, "/api/v1/me/profile", summary: (method == .put ? "PUT is the same as PATCH. " : "") + "Changes the signed-in user's name, avatar URL, time zone or locale (If-Match → 412 when stale).",
                   responses: [Docs.ok(profileSchema), unauthorized, Docs.badRequest, Docs.notFound, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: profileSpec.schema, middleware: [signedIn]) { request in
            let clientID = try request.tenantID(), id = try userID(request)
            let body = try request.validatedBody(profileSpec)
            if let zone = body["time_zone"]?.stringValue, TimeZone(identifier: zone) == nil {
                throw BodyProblem.invalid("time_zone", "is not an IANA time zone (e.g. Europe/Berlin)")
            }
            if let locale = body["locale"]?.stringValue,
               !locale.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                throw BodyProblem.invalid("locale", "must be a BCP 47 tag such as en-GB")
            }
            if let url = body["avatar_url"]?.stringValue, !(url.hasPrefix("https://") || url.hasPrefix("/api/v1/")) || URL(string: url) == nil {
                throw BodyProblem.invalid("avatar_url", "must be an https:// URL")
            }
            let value = try await db.client(clientID).write { tx -> JSONValue in
                guard try await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", id).first != nil,
                      let before = try await loadProfile(tx, userID: id) else { throw HTTPError(.notFound, detail: "no such user") }
                try ETags.check(request, current: before.etag)
                for (name, value) in body.sorted(by: { $0.key < $1.key }) {
                    try await tx.query("UPDATE users SET \(name) = $2 WHERE id = $1", id, value.stringValue)
                }
                return try await loadProfile(tx, userID: id)!
            }
            return value.response(etag: value.etag)
        }
        }
        routes.add(.get, "/api/v1/me/preferences", summary: "The signed-in user's preferences (theme, default dashboard scope and period).",
                   responses: [Docs.ok(preferencesSchema), unauthorized, Docs.notFound], middleware: [signedIn]) { request in
            let clientID = try request.tenantID(), id = try userID(request)
            let found = try await db.client(clientID).read { tx in try await loadPreferences(tx, userID: id) }
            guard let value = found else {
                throw HTTPError(.notFound, detail: "no such user")
            }
            return value.response(etag: value.etag)
        }
        for method in [HTTPMethod.patch, .put] {
        routes.add(method, "/api/v1/me/preferences", summary: (method == .put ? "PUT is the same as PATCH. " : "") + "Changes the signed-in user's preferences (If-Match → 412 when stale).",
                   responses: [Docs.ok(preferencesSchema), unauthorized, Docs.badRequest, Docs.notFound, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: preferencesSpec.schema, middleware: [signedIn]) { request in
            let clientID = try request.tenantID(), id = try userID(request)
            let body = try request.validatedBody(preferencesSpec)
            if let scope = body["default_dashboard_scope"]?.stringValue { try checkScope(scope) }
            let value = try await db.client(clientID).write { tx -> JSONValue in
                guard try await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", id).first != nil,
                      let before = try await loadPreferences(tx, userID: id) else { throw HTTPError(.notFound, detail: "no such user") }
                try ETags.check(request, current: before.etag)
                for (name, value) in body.sorted(by: { $0.key < $1.key }) {
                    try await tx.query("UPDATE users SET \(name) = $2 WHERE id = $1", id, value.stringValue)
                }
                return try await loadPreferences(tx, userID: id)!
            }
            return value.response(etag: value.etag)
        }
        }
    }
}

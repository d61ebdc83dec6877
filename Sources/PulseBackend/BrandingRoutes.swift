import Foundation
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// Branding (F-BRAND): display name, logo and light/dark colour schemes in
/// `client_color_settings`, with a WCAG AA contrast report. `GET /api/v1/branding/{slug}`
/// and the logo it names are public (the sign-in page shows them before anyone signs in);
/// everything else needs a signed-in admin (`branding:write`).
enum BrandingRoutes {
    static let colorNames = ["primary", "on_primary", "background", "surface", "text", "accent"]
    static let schemeSpec = BodySpec(colorNames.map { Field($0, .string(maxLength: 7, minLength: 4)) })
    static let updateSpec = BodySpec([
        Field("display_name", .string(maxLength: 255, minLength: 1), nullable: true),
        Field("name", .string(maxLength: 255, minLength: 1), nullable: true),
        Field("light", .object(schemeSpec)),
        Field("dark", .object(schemeSpec)),
    ])

    static let schemeSchema = Docs.object(Dictionary(uniqueKeysWithValues: colorNames.map { ($0, Docs.string(7)) }), required: [])
    static let contrastSchema = OpenAPIDocument.Schema(type: "object")
    static let brandingSchema = Docs.object([
        "client_slug": Docs.string(63), "display_name": Docs.string(255), "name": Docs.string(255), "logo_url": Docs.string(300),
        "light": schemeSchema, "dark": schemeSchema,
        "contrast": Docs.object(["light": contrastSchema, "dark": contrastSchema]),
    ], required: ["client_slug", "display_name", "light", "dark", "contrast"])

    static func load(_ tx: PostgresTransaction, clientID: Int) async throws -> JSONValue {
        let client = try await tx.query("SELECT slug, name FROM clients WHERE id = $1", clientID)[0]
        let slug = try client.decode(String.self, at: 0)
        var displayName = try client.decode(String.self, at: 1)
        var schemes: [String: JSONValue] = ["light": .object([:]), "dark": .object([:])]
        var logo: String?
        for row in try await tx.query(
            "SELECT theme_mode, colors::text, logo_url, display_name FROM client_color_settings WHERE client_id = $1 AND color_schema = 'default'",
            clientID) {
            schemes[try row.decode(String.self, at: 0)] = JSONValue.parse(Array(try row.decode(String.self, at: 1).utf8)) ?? .object([:])
            logo = try row.decode(String?.self, at: 2) ?? logo
            if let name = try row.decode(String?.self, at: 3) { displayName = name }
        }
        var members: [String: JSONValue] = [
            "client_slug": .string(slug), "display_name": .string(displayName), "name": .string(displayName), "light": schemes["light"]!, "dark": schemes["dark"]!,
            "contrast": .object(["light": Contrast.report(schemes["light"]!.objectValue ?? [:]),
                                 "dark": Contrast.report(schemes["dark"]!.objectValue ?? [:])]),
        ]
        if let logo { members["logo_url"] = .string(logo) }
        return .object(members)
    }

    static func publicClientID(_ request: HTTPRequest, database: PostgresDatabase) async throws -> Int {
        guard let slug = request.pathParameters["client_slug"], slug.utf8.count <= 63, ClientRoutes.slugIsValid(slug) else {
            throw HTTPError(.notFound, detail: "no such client")
        }
        let id = try await database.read { tx in try await tx.query("SELECT pulse_client_id_for_slug($1)", slug).first?.decode(Int?.self, at: 0) }
        guard let id = id ?? nil else { throw HTTPError(.notFound, detail: "no such client") }
        return id
    }

    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        routes.add(.get, "/api/v1/branding/:client_slug", summary: "A client's branding for its sign-in page (public: name, logo URL, colours, contrast).",
                   responses: [Docs.ok(brandingSchema), Docs.notFound]) { request in
            let clientID = try await publicClientID(request, database: db)
            let value = try await db.client(clientID).read { tx in try await load(tx, clientID: clientID) }
            var response = value.response(etag: value.etag)
            response.headers["Cache-Control"] = "public, max-age=60"
            return response
        }
        routes.add(.get, "/api/v1/branding/:client_slug/logo/:hash", summary: "A client's logo by its content hash (public, immutable).",
                   responses: [.init(200, "The logo", contentType: "image/png", schema: .init(type: "string", format: "binary")), Docs.notFound]) { request in
            let clientID = try await publicClientID(request, database: db)
            guard let hash = request.pathParameters["hash"], hash.utf8.count == 64 else { throw HTTPError(.notFound, detail: "no such logo") }
            let row = try await db.client(clientID).read { tx in
                try await tx.query("SELECT content_type, bytes FROM client_logos WHERE client_id = $1 AND content_hash = $2", clientID, hash).first
            }
            guard let row else { throw HTTPError(.notFound, detail: "no such logo") }
            var response = HTTPResponse.bytes(Array(try row.decode(Data.self, at: 1)), contentType: try row.decode(String.self, at: 0))
            response.headers.add(name: "Cache-Control", value: "public, max-age=31536000, immutable")
            response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
            response.headers.add(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; sandbox")
            return response
        }

        for path in ["/api/v1/settings/branding", "/api/v1/branding"] {
        routes.add(.get, path, summary: "The caller's client branding (needs settings:read).",
                   responses: [Docs.ok(brandingSchema)], middleware: [context.auth.require("settings:read")]) { request in
            let clientID = try request.tenantID()
            let value = try await db.client(clientID).read { tx in try await load(tx, clientID: clientID) }
            return value.response(etag: value.etag)
        }
        routes.add(.put, path,
                   summary: "Sets the display name and light/dark colours (#rrggbb; needs branding:write; If-Match → 412). The answer reports WCAG AA contrast.",
                   responses: [Docs.ok(brandingSchema), Docs.badRequest, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: updateSpec.schema,
                   middleware: [context.auth.require("branding:write")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let body = try request.validatedBody(updateSpec)
            for mode in ["light", "dark"] {
                for (name, value) in body[mode]?.objectValue ?? [:] where Contrast.luminance(value.stringValue ?? "") == nil || !(value.stringValue ?? "").hasPrefix("#") {
                    throw BodyProblem.invalid("\(mode).\(name)", "must be a colour like #1a2b3c")
                }
            }
            let value = try await db.client(clientID).write { tx -> JSONValue in
                try await tx.query("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", clientID)
                let before = try await load(tx, clientID: clientID)
                try ETags.check(request, current: before.etag)
                for mode in ["light", "dark"] {
                    let colors = body[mode] ?? before[mode] ?? .object([:])
                    // `name` is accepted as another spelling of `display_name`.
                    let name: String? = (body["display_name"] ?? body["name"]).map { $0.stringValue } ?? before["display_name"]?.stringValue
                    try await tx.query(
                        """
                        INSERT INTO client_color_settings (client_id, theme_mode, color_schema, colors, display_name, logo_url)
                        VALUES ($1, $2, 'default', $3::jsonb, $4, $5)
                        ON CONFLICT (client_id, theme_mode, color_schema) DO UPDATE SET colors = EXCLUDED.colors, display_name = EXCLUDED.display_name
                        """, clientID, mode, colors.text, name, before["logo_url"]?.stringValue)
                }
                let after = try await load(tx, clientID: clientID)
                try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: "branding",
                                            resourceID: nil, before: before, after: after)
                return after
            }
            return value.response(etag: value.etag)
        }
        routes.add(.post, path + "/logo",
                   summary: "Uploads the logo: the raw file as the body with Content-Type image/png, image/svg+xml or image/webp (or multipart/form-data with one file part), at most 512 KiB; SVG with scripts, event handlers or external references is refused. Needs branding:write.",
                   responses: [Docs.created(Docs.object(["logo_url": Docs.string(300), "content_type": Docs.string(50), "bytes": Docs.integer])),
                               Docs.badRequest, .init(413, "Too large", contentType: "application/problem+json", schema: Docs.problem), Docs.unsupported],
                   requestContentType: "image/png", requestSchema: .init(type: "string", format: "binary"),
                   middleware: [context.auth.require("branding:write")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let (bytes, declared) = try LogoValidation.file(request)
            let type = try LogoValidation.check(bytes, contentType: declared)
            let hash = SHA256.hash(bytes).map { String(format: "%02x", $0) }.joined()
            let url = try await db.client(clientID).write { tx -> String in
                let slug = try await tx.query("SELECT slug FROM clients WHERE id = $1", clientID)[0].decode(String.self, at: 0)
                let url = "/api/v1/branding/\(slug)/logo/\(hash)"
                let before = try await load(tx, clientID: clientID)
                try await tx.query(
                    "INSERT INTO client_logos (client_id, content_hash, content_type, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (client_id, content_hash) DO NOTHING",
                    clientID, hash, type, Data(bytes))
                for mode in ["light", "dark"] {
                    try await tx.query(
                        """
                        INSERT INTO client_color_settings (client_id, theme_mode, color_schema, logo_url) VALUES ($1, $2, 'default', $3)
                        ON CONFLICT (client_id, theme_mode, color_schema) DO UPDATE SET logo_url = EXCLUDED.logo_url
                        """, clientID, mode, url)
                }
                try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "upload_logo", resourceType: "branding", resourceID: hash,
                                            before: before, after: try await load(tx, clientID: clientID))
                return url
            }
            return JSONValue.object(["logo_url": .string(url), "content_type": .string(type), "bytes": .int(bytes.count)]).response(status: .created)
        }
        }
    }
}

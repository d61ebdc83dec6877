import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// The `/ai/...` HTTP API. Reads need `ai:read`, writes (settings, feedback, acknowledge,
/// dismiss, runs) `ai:write`; every query runs in the caller's tenant scope, so another
/// client's id is a 404 and its items never appear.
public struct AIRoutes: Sendable {
    let engine: AIEngine
    let auth: ServiceAuthentication

    public init(engine: AIEngine, auth: ServiceAuthentication) {
        self.engine = engine
        self.auth = auth
    }

    public static let readPermission = "ai:read"
    public static let writePermission = "ai:write"

    typealias Handler = @Sendable (HTTPRequest, Int) async throws -> HTTPResponse

    func add(_ routes: inout ServiceRoutes, _ method: HTTPMethod, _ path: String, _ summary: String, write: Bool = false,
             _ handler: @escaping Handler) {
        let permission = write ? Self.writePermission : Self.readPermission
        routes.add(method, path, summary: summary + " Needs \(permission).",
                   responses: [.init(200, "OK"), .init(400, "Bad input", contentType: "application/problem+json"),
                               .init(404, "Not found", contentType: "application/problem+json")],
                   requestContentType: method == .post || method == .put ? "application/json" : nil,
                   middleware: [auth.require(permission)]) { request in
            try await handler(request, try request.tenantID())
        }
    }

    public func register(on routes: inout ServiceRoutes) {
        registerSearch(on: &routes)
        registerAdmin(on: &routes)
        registerPredictions(on: &routes)
        registerMonitoring(on: &routes)
    }

    func registerSearch(on routes: inout ServiceRoutes) {
        let engine = self.engine
        add(&routes, .get, "/ai/search", "Hybrid search (vector similarity + full-text, fused by reciprocal rank) over the client's items.") { request, clientID in
            let q = request.query("q") ?? ""
            let text = q.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw HTTPError(.badRequest, detail: "q is required and must not be blank") }
            guard text.count <= SearchQuery.maximumLength else {
                throw HTTPError(.badRequest, detail: "q is longer than \(SearchQuery.maximumLength) characters")
            }
            var query = SearchQuery(text: text)
            query.types = try AIItemType.parseList(request.query("types"))
            query.limit = try Self.intParameter(request, "limit", default: 20, range: 1...SearchQuery.maximumLimit)
            if let mode = request.query("mode") {
                guard let parsed = SearchQuery.Mode(rawValue: mode) else { throw HTTPError(.badRequest, detail: "mode must be hybrid, keyword or vector") }
                query.mode = parsed
            }
            query.projectID = try await Self.project(request.query("project"), clientID: clientID, database: engine.database)
            query.repositoryID = try await Self.repository(request.query("repository"), clientID: clientID, database: engine.database)
            return try .json(try await engine.search.search(clientID: clientID, query))
        }
        add(&routes, .get, "/ai/similar/:type/:id", "Items nearest to one item (itself excluded).") { request, clientID in
            guard let type = AIItemType(rawValue: request.pathParameters["type"] ?? "") else {
                throw HTTPError(.notFound, detail: "unknown item type")
            }
            guard let id = Int64(request.pathParameters["id"] ?? ""), id > 0 else { throw HTTPError(.notFound, detail: "unknown id") }
            let limit = try Self.intParameter(request, "limit", default: 10, range: 1...SearchQuery.maximumLimit)
            let types = try AIItemType.parseList(request.query("types"))
            let results = try await engine.search.similar(clientID: clientID, ref: AIItemRef(type: type, id: id), types: types, limit: limit)
            return try .json(SimilarAnswer(item: AIItemRef(type: type, id: id), results: results))
        }
        add(&routes, .get, "/ai/duplicates", "Likely duplicate work items (pairs at or above the threshold, with their similarity).") { request, clientID in
            let projectID = try await Self.project(request.query("project"), clientID: clientID, database: engine.database)
            let configured = try await engine.settings.settings(clientID: clientID).duplicateThreshold
            var threshold = configured
            if let text = request.query("threshold") {
                guard let value = Double(text), value > 0, value <= 1 else { throw HTTPError(.badRequest, detail: "threshold must be in (0, 1]") }
                threshold = value
            }
            let limit = try Self.intParameter(request, "limit", default: 50, range: 1...500)
            let pairs = try await engine.search.duplicates(clientID: clientID, projectID: projectID, threshold: threshold, limit: limit)
            return try .json(DuplicatesAnswer(threshold: threshold, configuredThreshold: configured, pairs: pairs))
        }
    }

    struct DuplicatesAnswer: Encodable {
        var threshold: Double
        var configuredThreshold: Double
        var pairs: [DuplicatePair]
    }

    /// `limit`-style integer parameters: absent → default, else within `range` or a 400.
    static func intParameter(_ request: HTTPRequest, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.query(name) else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw HTTPError(.badRequest, detail: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return parsed
    }

    /// A project given by id or key, in the caller's client; unknown → 404.
    static func project(_ text: String?, clientID: Int, database: PostgresDatabase) async throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        let rows = try await database.client(clientID).query(
            "SELECT id FROM projects WHERE client_id = $1 AND (id::text = $2 OR key = $2) ORDER BY id LIMIT 1", [clientID, String(text.prefix(255))])
        guard let row = rows.first else { throw HTTPError(.notFound, detail: "no project '\(text.prefix(60))'") }
        return try row.decode(Int.self, at: 0)
    }

    /// A repository given by id or owner/name, in the caller's client; unknown → 404.
    static func repository(_ text: String?, clientID: Int, database: PostgresDatabase) async throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        let rows = try await database.client(clientID).query(
            "SELECT id FROM repositories WHERE client_id = $1 AND (id::text = $2 OR full_name = $2) ORDER BY id LIMIT 1",
            [clientID, String(text.prefix(255))])
        guard let row = rows.first else { throw HTTPError(.notFound, detail: "no repository '\(text.prefix(60))'") }
        return try row.decode(Int.self, at: 0)
    }
}

struct SimilarAnswer: Encodable {
    var item: AIItemRef
    var results: [SearchHit]
}

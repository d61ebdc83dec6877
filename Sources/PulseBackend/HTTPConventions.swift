import Foundation
import PulseHTTP
import PulseSecurity
import PulseService

/// Entity tags and `If-Match` (issue 13 item 6): a strong tag of the representation; an
/// update with a stale `If-Match` is refused with 412, so two admins cannot silently
/// overwrite each other. The check runs inside the update's transaction, on the locked row.
enum ETags {
    static func of(_ bytes: [UInt8]) -> String {
        "\"" + SHA256.hash(bytes).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// Throws 412 when the request's `If-Match` names neither `current` nor `*`.
    static func check(_ request: HTTPRequest, current: String) throws {
        guard let header = request.headers["If-Match"] else { return }
        let tags = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if tags.contains("*") || tags.contains(current) { return }
        throw HTTPError(.preconditionFailed, detail: "If-Match does not match the current version (it was changed meanwhile); reload and retry",
                        type: "urn:pulse:problem:precondition-failed", headers: ["ETag": current])
    }
}

/// Cursor pagination (`limit`, `cursor`): the cursor is an opaque token over the last id.
struct Page {
    var limit: Int
    /// Rows after this id.
    var afterID: Int

    static let defaultLimit = 50, maximumLimit = 200

    init(_ request: HTTPRequest) throws {
        limit = Self.defaultLimit
        afterID = 0
        if let text = request.query("limit") {
            guard let value = Int(text), value >= 1, value <= Self.maximumLimit else {
                throw BodyProblem.invalid("limit", "must be an integer from 1 to \(Self.maximumLimit)")
            }
            limit = value
        }
        if let text = request.query("cursor"), !text.isEmpty {
            guard text.utf8.count <= 40, let bytes = try? Base64URL.decode(text), let decoded = String(bytes: bytes, encoding: .utf8),
                  decoded.hasPrefix("id:"), let id = Int(decoded.dropFirst(3)), id >= 0 else {
                throw BodyProblem.invalid("cursor", "is not a cursor this API returned")
            }
            afterID = id
        }
    }

    static func cursor(after id: Int) -> String { Base64URL.encode(Array("id:\(id)".utf8)) }

    /// `{"items": [...], "next_cursor": "..."}` (no `next_cursor` on the last page). `rows`
    /// holds up to `limit + 1` items so a next page is known without counting.
    func document(_ items: [(id: Int, value: JSONValue)]) -> JSONValue {
        var members: [String: JSONValue] = ["items": .array(items.prefix(limit).map(\.value))]
        if items.count > limit, let last = items.prefix(limit).last { members["next_cursor"] = .string(Self.cursor(after: last.id)) }
        return .object(members)
    }

    static let parameters: [OpenAPIDocument.Parameter] = [
        .init(name: "limit", in: "query", required: false, schema: .init(type: "integer", minimum: 1, maximum: Double(maximumLimit))),
        .init(name: "cursor", in: "query", required: false, schema: .init(type: "string", maxLength: 40)),
    ]

    static func schema(of item: OpenAPIDocument.Schema) -> OpenAPIDocument.Schema {
        .init(type: "object", properties: ["items": .init(type: "array", items: item), "next_cursor": .init(type: "string")],
              required: ["items"])
    }
}

extension HTTPRequest {
    /// The `:id` path parameter as a positive 32-bit id, or 404 (a malformed id names nothing).
    func pathID(_ name: String = "id", what: String) throws -> Int {
        guard let text = pathParameters[name], let id = Int(text), id > 0, id <= Int(Int32.max) else {
            throw HTTPError(.notFound, detail: "no such \(what)")
        }
        return id
    }

    /// Who is acting, for the audit trail.
    func actor() throws -> Actor {
        let identity = try authenticatedIdentity()
        return Actor(subject: identity.kind == .user ? "user:\(identity.subject)" : "service_account:\(identity.subject)",
                     clientID: Int(identity.clientID), userID: identity.kind == .user ? Int(identity.subject) : nil)
    }
}

/// The caller as the audit trail records it.
struct Actor: Sendable {
    var subject: String
    var clientID: Int?
    var userID: Int?
}

/// Response documentation shorthands.
enum Docs {
    static let problem = OpenAPIDocument.problemSchema

    static func ok(_ schema: OpenAPIDocument.Schema, _ text: String = "OK") -> RouteDescription.Response {
        .init(200, text, schema: schema)
    }

    static func created(_ schema: OpenAPIDocument.Schema) -> RouteDescription.Response { .init(201, "Created", schema: schema) }
    static let noContent = RouteDescription.Response(204, "Done", contentType: nil)
    static let badRequest = RouteDescription.Response(400, "Invalid field (named in detail)", contentType: "application/problem+json", schema: problem)
    static let notFound = RouteDescription.Response(404, "Not found (or another client's)", contentType: "application/problem+json", schema: problem)
    static let conflict = RouteDescription.Response(409, "Conflicts with what exists", contentType: "application/problem+json", schema: problem)
    static let preconditionFailed = RouteDescription.Response(412, "If-Match does not match", contentType: "application/problem+json", schema: problem)
    static let unsupported = RouteDescription.Response(415, "Not JSON", contentType: "application/problem+json", schema: problem)

    static func string(_ max: Int) -> OpenAPIDocument.Schema { .init(type: "string", maxLength: max) }
    static let integer = OpenAPIDocument.Schema(type: "integer")
    static let boolean = OpenAPIDocument.Schema(type: "boolean")
    static let timestamp = OpenAPIDocument.Schema(type: "string", format: "date-time")
    static let anyObject = OpenAPIDocument.Schema(type: "object")

    static func object(_ properties: [String: OpenAPIDocument.Schema], required: [String]? = nil) -> OpenAPIDocument.Schema {
        .init(type: "object", properties: properties, required: required ?? properties.keys.sorted())
    }

    static func array(_ item: OpenAPIDocument.Schema) -> OpenAPIDocument.Schema { .init(type: "array", items: item) }
}

import PulseHTTP
import PulseSecurity

/// The protected endpoints every service answers so single sign-on can be checked end to
/// end: `GET <path>` returns the caller's identity and `POST <path>/ping` confirms the
/// caller may write (cookie callers must send the CSRF token). Both need `permission`, the
/// service's basic read permission (the demo admin role holds each of them).
public enum SessionRoutes {
    public static func register(on routes: inout ServiceRoutes, path: String, auth: ServiceAuthentication, service: String,
                                permission: String) {
        let require = auth.require(permission)
        routes.add(.get, path, summary: "The signed-in identity as this service sees it (bearer token or session cookie; needs \(permission)).",
                   responses: [.init(200, "The identity", schema: schema)], middleware: [require]) { request in
            try document(request, service: service)
        }
        routes.add(.post, path + "/ping", summary: "Checks an authenticated write (cookie callers need X-CSRF-Token; needs \(permission)); changes nothing.",
                   responses: [.init(200, "The identity", schema: schema)], requestContentType: "application/json",
                   requestSchema: OpenAPIDocument.Schema(type: "object", description: "Ignored"), middleware: [require]) { request in
            try document(request, service: service)
        }
    }

    /// The JSON Schema of `Document`.
    static let schema: OpenAPIDocument.Schema = {
        let string = OpenAPIDocument.Schema(type: "string"), strings = OpenAPIDocument.Schema(type: "array", items: string)
        return OpenAPIDocument.Schema(
            type: "object",
            properties: ["service": string, "kind": string, "user": string, "client_id": string, "roles": strings, "permissions": strings,
                         "session_id": string, "credential": .init(type: "string", enum: ["bearer", "session_cookie"])],
            required: ["service", "kind", "user", "client_id", "roles", "permissions", "credential"])
    }()

    struct Document: Encodable {
        var service: String
        var kind: String
        var user: String
        var client_id: String
        var roles: [String]
        var permissions: [String]
        var session_id: String?
        var credential: String
    }

    static func document(_ request: HTTPRequest, service: String) throws -> HTTPResponse {
        let identity = try request.authenticatedIdentity()
        let document = Document(service: service, kind: identity.kind.rawValue, user: identity.subject, client_id: identity.clientID,
                                roles: identity.roles.sorted(), permissions: identity.permissions.sorted(), session_id: identity.sessionID,
                                credential: (request.context[CredentialKindKey.self] ?? .bearer).rawValue)
        var response = HTTPResponse.bytes(Array(try ServiceApplication.encoder.encode(document)), contentType: "application/json")
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }
}

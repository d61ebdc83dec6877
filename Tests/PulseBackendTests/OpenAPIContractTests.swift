import Foundation
import PulseBackend
import PulseService
import PulseTestSupport
import Testing

extension BackendTests {
/// `/openapi.json` stays true: every documented operation is called on the live service and
/// answers one of its documented statuses, with a body that fits the documented schema;
/// every non-public operation refuses an anonymous caller with 401; every write documents
/// its request schema.
@Suite("Backend OpenAPI contract", .timeLimit(.minutes(3)))
struct OpenAPIContractTests {
    static let publicPaths: Set<String> = ["/api/v1/branding/{client_slug}", "/api/v1/branding/{client_slug}/logo/{hash}"]

    @Test func everyDocumentedOperationAnswersAsDocumented() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            let op = try await h.signedIn(try await h.platformClient(), roles: ["operator"])
            let integration = try await h.request("POST", "/api/v1/integrations", session: admin, json: IntegrationAndMappingTests.github)
            let integrationID = try #require(integration.json["id"] as? Int)
            let team = try await h.request("POST", "/api/v1/teams", session: admin, json: ["name": "payments"])
            let teamID = try #require(team.json["id"] as? Int)
            let managed = try await h.createClient()  // the client the /clients/{id} operations (deactivate!) act on
            let stranger = try await h.signedIn(try await h.createClient(), roles: ["admin"])  // another client's admin
            let nobody = try await h.signedIn(tenant, roles: [])  // signed in, no permission

            let spec = try await h.request("GET", "/openapi.json")
            #expect(spec.status == 200)
            let document = try JSONDecoder().decode(OpenAPIDocument.self, from: Data(spec.body))
            let operations = document.paths.flatMap { path, methods in methods.map { (path, $0.key, $0.value) } }
                .filter { $0.0.hasPrefix("/api/v1/") }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            #expect(operations.count >= 40)
            for (path, method, operation) in operations {
                let name = "\(method.uppercased()) \(path)"
                // Every documented body has its schema; PUT and PATCH always take one.
                if let requestBody = operation.requestBody {
                    #expect(requestBody.content.values.first?.schema != nil, "\(name) documents no request schema")
                } else {
                    #expect(!["put", "patch"].contains(method), "\(name) documents no request body")
                }
                for (status, response) in operation.responses where status.hasPrefix("2") && status != "204" {
                    #expect(response.content?.values.first?.schema != nil, "\(name) \(status) documents no schema")
                }
                var target = path.replacingOccurrences(of: "{client_slug}", with: tenant.slug)
                    .replacingOccurrences(of: "{hash}", with: String(repeating: "0", count: 64))
                    .replacingOccurrences(of: "{role}", with: "viewer")
                if path.hasPrefix("/api/v1/integrations/") { target = target.replacingOccurrences(of: "{id}", with: String(integrationID)) }
                if path.hasPrefix("/api/v1/teams/") { target = target.replacingOccurrences(of: "{id}", with: String(teamID)) }
                if path.hasPrefix("/api/v1/clients/") { target = target.replacingOccurrences(of: "{id}", with: String(managed.id)) }
                target = target.replacingOccurrences(of: "{id}", with: "999999")
                let session = path.hasPrefix("/api/v1/clients") ? op : admin
                var json: Any? = nil
                var body: [UInt8] = []
                var headers: [(String, String)] = []
                if let content = operation.requestBody?.content {
                    if content["image/png"] != nil {
                        body = ProfileBrandingFlagTests.png
                        headers = [("Content-Type", "image/png")]
                    } else if content["application/json"]?.schema?.type == "array" { json = [Any]() }
                    else { json = [String: Any]() }
                }
                if method == "delete", path.hasPrefix("/api/v1/integrations/") { continue }  // called last, below
                let answer = try await h.request(method.uppercased(), target, session: session, json: json, body: body, headers: headers)
                #expect(answer.status != 401 && answer.status != 403, "\(name) refused the admin: \(answer.bodyText)")
                #expect(operation.responses[String(answer.status)] != nil, "\(name) answered \(answer.status), not documented: \(answer.bodyText)")
                #expect(answer.status < 500 || answer.status == 501 && path.hasSuffix("/test"), "\(name): \(answer.bodyText)")
                let content = operation.responses[String(answer.status)]?.content
                if let schema = (content?["application/json"] ?? content?["application/problem+json"])?.schema, !answer.body.isEmpty {
                    let value = try #require(JSONValue.parse(answer.body))
                    let problems = SchemaCheck.problems(value, schema, at: "")
                    #expect(problems.isEmpty, "\(name) \(answer.status): \(problems.joined(separator: "; "))")
                }
                // Without the permission: 403 wherever a permission is documented.
                if operation.responses["403"] != nil, !path.hasPrefix("/api/v1/clients") {
                    let refused = try await h.request(method.uppercased(), target, session: nobody, json: json, body: body, headers: headers)
                    #expect(refused.status == 403, "\(name) answered a caller without the permission \(refused.status)")
                }
                // Another client's id: 404, never 403, never its data.
                if path.contains("{id}"), path.hasPrefix("/api/v1/integrations") || path.hasPrefix("/api/v1/teams") {
                    let foreign = try await h.request(method.uppercased(), target, session: stranger, json: json, body: body, headers: headers)
                    #expect(foreign.status == 404, "\(name) answered another client's admin \(foreign.status)")
                    #expect(!foreign.bodyText.contains("acme-pay") && !foreign.bodyText.contains("payments"))
                }
                if !Self.publicPaths.contains(path) {
                    let anonymous = try await h.request(method.uppercased(), target, json: json, body: body, headers: headers)
                    #expect(anonymous.status == 401, "\(name) answered an anonymous caller \(anonymous.status)")
                    #expect(SchemaCheck.problems(try #require(JSONValue.parse(anonymous.body)), OpenAPIDocument.problemSchema, at: "").isEmpty)
                }
            }
            let deleted = try await h.request("DELETE", "/api/v1/integrations/\(integrationID)", session: admin)
            #expect(deleted.status == 204, "\(deleted.bodyText)")
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}

/// Checks a decoded JSON value against the documented schema subset.
enum SchemaCheck {
    static func problems(_ value: JSONValue, _ schema: OpenAPIDocument.Schema, at path: String) -> [String] {
        let here = path.isEmpty ? "$" : path
        switch (schema.type, value) {
        case ("object", .object(let object)):
            var out = (schema.required ?? []).filter { object[$0] == nil }.map { "\(here).\($0) is missing" }
            for (key, member) in object {
                guard let property = schema.properties?[key] else {
                    if let properties = schema.properties, !properties.isEmpty { out.append("\(here).\(key) is undocumented") }
                    continue
                }
                out += problems(member, property, at: "\(here).\(key)")
            }
            return out
        case ("array", .array(let array)):
            guard let item = schema.items?.schema else { return [] }
            return array.enumerated().flatMap { problems($0.element, item, at: "\(here)[\($0.offset)]") }
        case ("string", .string(let text)):
            if let values = schema.enum, !values.contains(text) { return ["\(here) = \(text) is not one of \(values)"] }
            if let max = schema.maxLength, text.count > max { return ["\(here) is longer than \(max)"] }
            return []
        case ("integer", .int), ("boolean", .bool), ("number", .int), ("number", .double):
            return []
        default:
            return ["\(here) is not a\(schema.type == "integer" || schema.type == "object" || schema.type == "array" ? "n" : "") \(schema.type)"]
        }
    }
}
}

/// What the OpenAPI document says about one route. Routes are registered through
/// ``ServiceRoutes``, which records one of these for each, so `/openapi.json` cannot drift from
/// the router.
public struct RouteDescription: Sendable, Equatable {
    /// One documented response.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var description: String
        /// Media type of the body, nil for none.
        public var contentType: String?
        /// JSON Schema of the body, nil when undocumented.
        public var schema: OpenAPIDocument.Schema?

        public init(_ status: Int, _ description: String, contentType: String? = "application/json", schema: OpenAPIDocument.Schema? = nil) {
            self.status = status
            self.description = description
            self.contentType = contentType
            self.schema = schema
        }
    }

    public var method: String
    /// The router pattern (`/users/:id`).
    public var pattern: String
    public var summary: String
    public var responses: [Response]
    /// Media type of the request body, nil when the route takes none.
    public var requestContentType: String?
    /// JSON Schema of the request body, nil when undocumented.
    public var requestSchema: OpenAPIDocument.Schema?
    /// Query parameters (all optional).
    public var queryParameters: [OpenAPIDocument.Parameter] = []

    public init(method: String, pattern: String, summary: String, responses: [Response] = [Response(200, "OK")],
                requestContentType: String? = nil, requestSchema: OpenAPIDocument.Schema? = nil,
                queryParameters: [OpenAPIDocument.Parameter] = []) {
        self.method = method
        self.pattern = pattern
        self.summary = summary
        self.responses = responses
        self.requestContentType = requestContentType
        self.requestSchema = requestSchema
        self.queryParameters = queryParameters
    }

    /// The OpenAPI path: `:name` → `{name}`, `*` → `{segmentN}`, `**` → `{path}`.
    public var openAPIPath: String {
        var wildcard = 0
        let segments = pattern.split(separator: "/").map { segment -> String in
            if segment == "**" { return "{path}" }
            if segment == "*" {
                wildcard += 1
                return "{segment\(wildcard)}"
            }
            if segment.hasPrefix(":") { return "{\(segment.dropFirst())}" }
            return String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    /// Names of the path parameters, in order.
    var parameterNames: [String] {
        openAPIPath.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}

/// An OpenAPI 3.1 document, built from route descriptions (Codable so tests can read it back).
public struct OpenAPIDocument: Codable, Sendable, Equatable {
    public struct Info: Codable, Sendable, Equatable {
        public var title: String
        public var version: String
        public var description: String?
    }

    /// A JSON Schema (the subset Pulse documents: types, formats, enums, lengths, ranges,
    /// objects with required and closed properties, arrays).
    public struct Schema: Codable, Sendable, Equatable {
        public var type: String
        public var format: String?
        public var description: String?
        public var `enum`: [String]?
        public var minLength: Int?
        public var maxLength: Int?
        public var minimum: Double?
        public var maximum: Double?
        public var pattern: String?
        public var properties: [String: Schema]?
        public var required: [String]?
        public var additionalProperties: Bool?
        public var items: SchemaBox?
        public var minItems: Int?
        public var maxItems: Int?

        public init(type: String, format: String? = nil, description: String? = nil, enum values: [String]? = nil,
                    minLength: Int? = nil, maxLength: Int? = nil, minimum: Double? = nil, maximum: Double? = nil,
                    pattern: String? = nil, properties: [String: Schema]? = nil, required: [String]? = nil,
                    additionalProperties: Bool? = nil, items: Schema? = nil, minItems: Int? = nil, maxItems: Int? = nil) {
            self.type = type
            self.format = format
            self.description = description
            self.enum = values
            self.minLength = minLength
            self.maxLength = maxLength
            self.minimum = minimum
            self.maximum = maximum
            self.pattern = pattern
            self.properties = properties
            self.required = required
            self.additionalProperties = additionalProperties
            self.items = items.map(SchemaBox.init)
            self.minItems = minItems
            self.maxItems = maxItems
        }
    }

    /// An RFC 9457 problem document (every error answer).
    public static let problemSchema = Schema(
        type: "object",
        properties: ["type": Schema(type: "string"), "title": Schema(type: "string"), "status": Schema(type: "integer"),
                     "detail": Schema(type: "string"), "instance": Schema(type: "string")],
        required: ["type", "title", "status"])

    /// An array's item schema (a box: a struct cannot hold itself).
    public final class SchemaBox: Codable, Sendable, Equatable {
        public let schema: Schema
        public init(_ schema: Schema) { self.schema = schema }
        public required init(from decoder: any Decoder) throws { schema = try Schema(from: decoder) }
        public func encode(to encoder: any Encoder) throws { try schema.encode(to: encoder) }
        public static func == (a: SchemaBox, b: SchemaBox) -> Bool { a.schema == b.schema }
    }

    public struct Parameter: Codable, Sendable, Equatable {
        public var name: String
        public var `in`: String
        public var required: Bool
        public var schema: Schema

        public init(name: String, in location: String, required: Bool, schema: Schema) {
            self.name = name
            self.in = location
            self.required = required
            self.schema = schema
        }
    }

    public struct MediaType: Codable, Sendable, Equatable {
        public var schema: Schema?
    }

    public struct Response: Codable, Sendable, Equatable {
        public var description: String
        public var content: [String: MediaType]?
    }

    public struct RequestBody: Codable, Sendable, Equatable {
        public var required: Bool
        public var content: [String: MediaType]
    }

    public struct Operation: Codable, Sendable, Equatable {
        public var operationId: String
        public var summary: String
        public var tags: [String]
        public var parameters: [Parameter]?
        public var requestBody: RequestBody?
        public var responses: [String: Response]
    }

    public var openapi: String
    public var info: Info
    /// Path → lower-case method → operation.
    public var paths: [String: [String: Operation]]

    /// Builds the document for `service` from its routes.
    public init(title: String, version: String, description: String? = nil, tag: String, routes: [RouteDescription]) {
        openapi = "3.1.0"
        info = Info(title: title, version: version, description: description)
        var paths: [String: [String: Operation]] = [:]
        for route in routes {
            let names = route.parameterNames
            let operation = Operation(
                operationId: Self.operationID(method: route.method, path: route.openAPIPath),
                summary: route.summary, tags: [tag],
                parameters: names.isEmpty && route.queryParameters.isEmpty ? nil : names.map {
                    Parameter(name: $0, in: "path", required: true, schema: Schema(type: "string"))
                } + route.queryParameters,
                requestBody: route.requestContentType.map {
                    RequestBody(required: true, content: [$0: MediaType(schema: route.requestSchema)])
                },
                responses: Dictionary(uniqueKeysWithValues: route.responses.map { response in
                    (String(response.status), Response(
                        description: response.description,
                        content: response.contentType.map { [$0: MediaType(schema: response.schema)] }))
                }))
            paths[route.openAPIPath, default: [:]][route.method.lowercased()] = operation
        }
        self.paths = paths
    }

    /// `get /users/{id}` → `getUsersId`.
    static func operationID(method: String, path: String) -> String {
        let words = path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return method.lowercased() + (words.isEmpty ? "Root" : words.joined())
    }
}

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

        public init(_ status: Int, _ description: String, contentType: String? = "application/json") {
            self.status = status
            self.description = description
            self.contentType = contentType
        }
    }

    public var method: String
    /// The router pattern (`/users/:id`).
    public var pattern: String
    public var summary: String
    public var responses: [Response]
    /// Media type of the request body, nil when the route takes none.
    public var requestContentType: String?

    public init(method: String, pattern: String, summary: String, responses: [Response] = [Response(200, "OK")],
                requestContentType: String? = nil) {
        self.method = method
        self.pattern = pattern
        self.summary = summary
        self.responses = responses
        self.requestContentType = requestContentType
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

    public struct Schema: Codable, Sendable, Equatable {
        public var type: String
    }

    public struct Parameter: Codable, Sendable, Equatable {
        public var name: String
        public var `in`: String
        public var required: Bool
        public var schema: Schema
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
                parameters: names.isEmpty ? nil : names.map {
                    Parameter(name: $0, in: "path", required: true, schema: Schema(type: "string"))
                },
                requestBody: route.requestContentType.map {
                    RequestBody(required: true, content: [$0: MediaType(schema: nil)])
                },
                responses: Dictionary(uniqueKeysWithValues: route.responses.map { response in
                    (String(response.status), Response(
                        description: response.description,
                        content: response.contentType.map { [$0: MediaType(schema: nil)] }))
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

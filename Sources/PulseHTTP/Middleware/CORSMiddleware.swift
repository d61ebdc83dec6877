/// Cross-origin resource sharing: answers preflights (204) and adds the CORS headers to
/// responses for allowed origins. Requests from other origins pass through untouched (the
/// browser then refuses them).
public struct CORSMiddleware: Middleware {
    public struct Configuration: Sendable {
        /// Allowed origins, exactly as browsers send them (`https://app.example.com`); `["*"]` allows any.
        public var allowedOrigins: [String]
        public var allowedMethods: [HTTPMethod]
        public var allowedHeaders: [String]
        public var exposedHeaders: [String]
        public var allowCredentials: Bool
        /// Preflight cache lifetime in seconds.
        public var maxAge: Int

        public init(
            allowedOrigins: [String],
            allowedMethods: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete],
            allowedHeaders: [String] = ["Authorization", "Content-Type", "X-Request-ID"],
            exposedHeaders: [String] = ["X-Request-ID"],
            allowCredentials: Bool = false,
            maxAge: Int = 600
        ) {
            self.allowedOrigins = allowedOrigins
            self.allowedMethods = allowedMethods
            self.allowedHeaders = allowedHeaders
            self.exposedHeaders = exposedHeaders
            self.allowCredentials = allowCredentials
            self.maxAge = maxAge
        }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        guard let origin = request.headers["Origin"], let allowOrigin = allowed(origin) else {
            return try await next.respond(to: request)
        }
        if request.method == .options, request.headers.contains("Access-Control-Request-Method") {
            var response = HTTPResponse(status: .noContent)
            response.headers["Access-Control-Allow-Origin"] = allowOrigin
            response.headers["Access-Control-Allow-Methods"] = configuration.allowedMethods.map(\.rawValue).joined(separator: ", ")
            response.headers["Access-Control-Allow-Headers"] = configuration.allowedHeaders.joined(separator: ", ")
            response.headers["Access-Control-Max-Age"] = String(configuration.maxAge)
            if configuration.allowCredentials { response.headers["Access-Control-Allow-Credentials"] = "true" }
            response.headers["Vary"] = "Origin"
            return response
        }
        var response = try await next.respond(to: request)
        response.headers["Access-Control-Allow-Origin"] = allowOrigin
        if !configuration.exposedHeaders.isEmpty {
            response.headers["Access-Control-Expose-Headers"] = configuration.exposedHeaders.joined(separator: ", ")
        }
        if configuration.allowCredentials { response.headers["Access-Control-Allow-Credentials"] = "true" }
        if allowOrigin != "*" { response.headers.add(name: "Vary", value: "Origin") }
        return response
    }

    private func allowed(_ origin: String) -> String? {
        if configuration.allowedOrigins.contains("*") { return configuration.allowCredentials ? origin : "*" }
        return configuration.allowedOrigins.contains(origin) ? origin : nil
    }
}

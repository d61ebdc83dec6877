import PulseHTTP

/// A router plus the description of every route in it. Services register routes here (not on
/// a bare `Router`) so the OpenAPI document lists exactly what the router answers.
public struct ServiceRoutes: Sendable {
    /// The router holding the handlers.
    public private(set) var router: Router
    /// One description per registered method + pattern, in registration order.
    public private(set) var descriptions: [RouteDescription] = []

    public init(router: Router = Router()) {
        self.router = router
    }

    /// Adds a route and its description; a later route with the same method and pattern
    /// replaces the earlier one in both.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, summary: String,
        responses: [RouteDescription.Response] = [.init(200, "OK")], requestContentType: String? = nil,
        requestSchema: OpenAPIDocument.Schema? = nil, queryParameters: [OpenAPIDocument.Parameter] = [],
        middleware: [any Middleware] = [], _ handler: @escaping Router.Handler
    ) {
        var responses = responses
        if middleware.isEmpty {
            router.on(method, pattern, handler)
        } else {
            // Route-level middleware (e.g. `require(permission)`) wraps only this handler.
            let chain = MiddlewareChain(middleware, responder: ClosureResponder(handler))
            router.on(method, pattern) { try await chain.respond(to: $0) }
            if middleware.contains(where: { $0 is RequirePermission }) {
                for (code, text) in [(401, "Not signed in"), (403, "Missing permission, or a cookie write without a CSRF token")]
                where !responses.contains(where: { $0.status == code }) {
                    responses.append(.init(code, text, contentType: "application/problem+json", schema: OpenAPIDocument.problemSchema))
                }
            }
        }
        let description = RouteDescription(method: method.rawValue, pattern: pattern, summary: summary,
                                           responses: responses, requestContentType: requestContentType,
                                           requestSchema: requestSchema, queryParameters: queryParameters)
        descriptions.removeAll { $0.method == description.method && $0.pattern == description.pattern }
        descriptions.append(description)
    }

    /// Adds a `GET` route.
    public mutating func get(_ pattern: String, summary: String, responses: [RouteDescription.Response] = [.init(200, "OK")],
                             middleware: [any Middleware] = [], _ handler: @escaping Router.Handler) {
        add(.get, pattern, summary: summary, responses: responses, middleware: middleware, handler)
    }

    /// Adds a `POST` route taking a JSON body.
    public mutating func post(_ pattern: String, summary: String, responses: [RouteDescription.Response] = [.init(200, "OK")],
                              middleware: [any Middleware] = [], _ handler: @escaping Router.Handler) {
        add(.post, pattern, summary: summary, responses: responses, requestContentType: "application/json", middleware: middleware, handler)
    }

    /// Adds middleware around every route (the first added runs outermost).
    public mutating func use(_ middleware: any Middleware) {
        router.use(middleware)
    }
}

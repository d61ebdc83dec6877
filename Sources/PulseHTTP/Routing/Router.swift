import Logging

/// Routes requests by method and path pattern, after running its middleware.
///
/// Patterns are `/`-separated segments: literals, `:name` parameters (one segment, captured
/// into `request.pathParameters`), `*` (any one segment) and a final `**` (the rest of the path,
/// captured as `"**"`). Literals win over parameters, parameters over wildcards.
/// No route for the path → 404; a route but not for this method → 405 with `Allow`.
/// `HEAD` falls back to the `GET` route. The matched pattern is stored under `RoutePatternKey`.
///
/// ```swift
/// var router = Router()
/// router.use(RequestIDMiddleware())
/// router.get("/users/:id") { request in .text(request.pathParameters["id"]!) }
/// ```
public struct Router: HTTPResponder {
    /// A route handler.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    private var root = RouteNode()
    private var middleware: [any Middleware] = []
    /// Receives handler errors that are not `HTTPError` (they become a bare 500).
    public var logger: Logger

    public init(logger: Logger = Logger(label: "pulse.http.router", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.logger = logger
    }

    /// Adds a middleware; the first added runs outermost.
    public mutating func use(_ middleware: any Middleware) { self.middleware.append(middleware) }

    /// Adds a route. A later route with the same method and pattern replaces the earlier one.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        root.insert(segments: RoutePattern.segments(of: pattern), method: method, route: Route(pattern: RoutePattern.normalise(pattern), handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { on(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { on(.post, pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { on(.put, pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { on(.patch, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { on(.delete, pattern, handler) }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let dispatcher = RouteDispatcher(root: root, logger: logger)
        if middleware.isEmpty { return try await dispatcher.respond(to: request) }
        return try await MiddlewareChain(middleware, responder: dispatcher).respond(to: request)
    }

    /// The route that would answer `method` and `path`, without running it (for tests and docs).
    public func match(_ method: HTTPMethod, path: String) -> (pattern: String, parameters: [String: String])? {
        guard case .found(let route, let parameters) = root.lookup(method: method, segments: RoutePattern.requestSegments(path)) else { return nil }
        return (route.pattern, parameters)
    }
}

/// The innermost responder: finds the route and runs it, turning handler errors into problems.
struct RouteDispatcher: HTTPResponder {
    let root: RouteNode
    let logger: Logger

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let (rawPath, _) = HTTPRequest.split(target: request.target)
        switch root.lookup(method: request.method, segments: RoutePattern.requestSegments(rawPath)) {
        case .notFound:
            return HTTPError(.notFound, detail: "no route for \(request.method.rawValue) \(request.path)").response(path: request.path)
        case .methodNotAllowed(let allowed):
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            return HTTPError(.methodNotAllowed, detail: "allowed methods: \(allow)", headers: ["Allow": allow]).response(path: request.path)
        case .found(let route, let parameters):
            var routed = request
            routed.pathParameters = parameters
            request.context[RoutePatternKey.self] = route.pattern
            do {
                return try await route.handler(routed)
            } catch let error as HTTPError {
                return error.response(path: request.path)
            } catch {
                logger.error(
                    "Handler failed",
                    metadata: ["http.route": "\(route.pattern)", "http.method": "\(request.method)", "error": "\(String(reflecting: error))"]
                )
                return ProblemDetails(status: .internalServerError, instance: request.path).response()
            }
        }
    }
}

/// Code that wraps request handling: it may change the request, answer it itself, or change
/// the response of `next`.
public protocol Middleware: Sendable {
    func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse
}

/// Runs middleware in order (the first is outermost), then the responder.
public struct MiddlewareChain: HTTPResponder {
    private let middleware: [any Middleware]
    private let responder: any HTTPResponder

    public init(_ middleware: [any Middleware], responder: any HTTPResponder) {
        self.middleware = middleware
        self.responder = responder
    }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        try await Link(middleware: middleware[...], responder: responder).respond(to: request)
    }

    private struct Link: HTTPResponder {
        let middleware: ArraySlice<any Middleware>
        let responder: any HTTPResponder

        func respond(to request: HTTPRequest) async throws -> HTTPResponse {
            guard let first = middleware.first else { return try await responder.respond(to: request) }
            return try await first.handle(request, next: Link(middleware: middleware.dropFirst(), responder: responder))
        }
    }
}

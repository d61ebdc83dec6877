/// Turns a request into an identity (the auth service plugs its token checks in here).
public protocol Authenticator: Sendable {
    associatedtype Identity: Sendable
    /// Returns the identity the request proves, nil when it carries no credentials,
    /// or throws (usually `HTTPError(.unauthorized)`) when the credentials are bad.
    func authenticate(_ request: HTTPRequest) async throws -> Identity?
}

/// The authenticated identity of type `Identity`, set by `AuthenticationMiddleware`.
public enum AuthenticatedIdentityKey<Identity: Sendable>: RequestContextKey {
    public typealias Value = Identity
}

extension HTTPRequest {
    /// The identity an `AuthenticationMiddleware` stored, if any.
    public func identity<Identity: Sendable>(as type: Identity.Type = Identity.self) -> Identity? {
        context[AuthenticatedIdentityKey<Identity>.self]
    }
}

/// Runs an `Authenticator` and stores the identity in the request context. With `required`,
/// requests without credentials get 401 problem+json.
public struct AuthenticationMiddleware<A: Authenticator>: Middleware {
    public let authenticator: A
    public let required: Bool
    public let challenge: String

    public init(_ authenticator: A, required: Bool = true, challenge: String = "Bearer") {
        self.authenticator = authenticator
        self.required = required
        self.challenge = challenge
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        if let identity = try await authenticator.authenticate(request) {
            request.context[AuthenticatedIdentityKey<A.Identity>.self] = identity
        } else if required {
            throw HTTPError(.unauthorized, detail: "authentication required", headers: ["WWW-Authenticate": challenge])
        }
        return try await next.respond(to: request)
    }
}

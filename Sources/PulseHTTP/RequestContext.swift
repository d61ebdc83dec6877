import Synchronization

/// A key for a typed value in a request's context.
///
/// ```swift
/// enum TenantKey: RequestContextKey { typealias Value = String }
/// request.context[TenantKey.self] = "acme"
/// ```
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

/// Per-request storage for typed values (request id, matched route, authenticated identity).
/// Shared by every copy of the request, so middleware and the server see what the router set.
public final class RequestContext: Sendable {
    private let storage = Mutex<[ObjectIdentifier: any Sendable]>([:])

    public init() {}

    public subscript<Key: RequestContextKey>(key: Key.Type) -> Key.Value? {
        get { storage.withLock { $0[ObjectIdentifier(key)] } as? Key.Value }
        set { storage.withLock { $0[ObjectIdentifier(key)] = newValue } }
    }
}

/// The request id (set by `RequestIDMiddleware`).
public enum RequestIDKey: RequestContextKey { public typealias Value = String }

/// The matched route pattern, e.g. `/users/:id` (set by `Router`; a metrics label).
public enum RoutePatternKey: RequestContextKey { public typealias Value = String }

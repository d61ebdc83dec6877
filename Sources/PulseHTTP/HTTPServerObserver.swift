/// What the server reports about one finished request (for metrics).
public struct HTTPRequestRecord: Sendable {
    public var method: String
    /// The router's matched pattern (e.g. `/users/:id`), nil when no route matched.
    public var routePattern: String?
    public var status: Int
    /// From the end of the request head to the response being queued for writing.
    public var duration: Duration
    public var requestBodyBytes: Int
    /// Response body bytes (before chunk framing; 0 for HEAD).
    public var responseBodyBytes: Int
}

/// Hooks the server calls as connections and requests come and go. Called from event-loop
/// threads: keep implementations quick and thread-safe. Every method has an empty default.
public protocol HTTPServerObserver: Sendable {
    func connectionOpened()
    func connectionClosed()
    func requestFinished(_ record: HTTPRequestRecord)
    func upgradedConnectionOpened()
    func upgradedConnectionClosed()
}

extension HTTPServerObserver {
    public func connectionOpened() {}
    public func connectionClosed() {}
    public func requestFinished(_ record: HTTPRequestRecord) {}
    public func upgradedConnectionOpened() {}
    public func upgradedConnectionClosed() {}
}

struct NoObserver: HTTPServerObserver {}

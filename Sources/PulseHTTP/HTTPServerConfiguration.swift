import PulseSystem

/// Everything the HTTP server needs to know, with documented defaults. Tests pass literals
/// (`port: 0`, short timeouts); services build it from their configuration.
public struct HTTPServerConfiguration: Sendable {
    /// Size limits, enforced before anything is buffered: `maxRequestLineLength` (8 KiB → 414),
    /// `maxHeaderBytes` (16 KiB → 431), `maxHeaderCount` (100 → 431), `maxBodyBytes` (1 MiB → 413).
    public typealias Limits = HTTPParserLimits

    /// Timeouts; each one closes the connection (the read ones answer 408 first).
    public struct Timeouts: Sendable, Equatable {
        /// From the first byte of a request to the end of its head (default 10 s) → 408.
        public var headerRead: Duration
        /// From the end of the head to the end of the body (default 30 s) → 408.
        public var bodyRead: Duration
        /// How long a keep-alive connection may sit with no request (default 60 s).
        public var idle: Duration
        /// How long queued response bytes may go without any progress (default 30 s).
        public var write: Duration

        public init(headerRead: Duration = .seconds(10), bodyRead: Duration = .seconds(30), idle: Duration = .seconds(60), write: Duration = .seconds(30)) {
            self.headerRead = headerRead
            self.bodyRead = bodyRead
            self.idle = idle
            self.write = write
        }
    }

    /// Address to bind (default `127.0.0.1`; `0.0.0.0` or `::` for every interface).
    public var host: String
    /// Port to bind; 0 picks a free one (see `HTTPServer.start()`'s result).
    public var port: Int
    /// Event-loop threads (default: one per online CPU).
    public var eventLoopCount: Int
    /// Open connections beyond this get `503` and are closed (default 10,000).
    public var maxConnections: Int
    public var limits: Limits
    public var timeouts: Timeouts
    /// How long graceful shutdown waits for in-flight requests and upgraded connections (default 10 s).
    public var shutdownDeadline: Duration
    /// Value of the `Server` response header; nil sends none (default nil).
    public var serverName: String?
    /// Where handlers run (default `.eventLoop`).
    public var handlerExecution: HandlerExecution

    /// Where request handlers run.
    public enum HandlerExecution: Sendable, Equatable {
        /// On the connection's event loop, as a task preferring the loop as its executor: no
        /// thread hop per request. Awaiting (database, upstream calls, sleeps) frees the loop, but
        /// CPU-heavy work (password hashing, big encodes) holds it: run that in a `Task.detached`.
        case eventLoop
        /// On Swift's global concurrent pool; the response hops back to the loop.
        case concurrencyPool
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        eventLoopCount: Int = EventLoopGroup.defaultCount,
        maxConnections: Int = 10_000,
        limits: Limits = Limits(),
        timeouts: Timeouts = Timeouts(),
        shutdownDeadline: Duration = .seconds(10),
        serverName: String? = nil,
        handlerExecution: HandlerExecution = .eventLoop
    ) {
        self.host = host
        self.port = port
        self.eventLoopCount = eventLoopCount
        self.maxConnections = maxConnections
        self.limits = limits
        self.timeouts = timeouts
        self.shutdownDeadline = shutdownDeadline
        self.serverName = serverName
        self.handlerExecution = handlerExecution
    }

    var parserLimits: HTTPParserLimits { limits }
}

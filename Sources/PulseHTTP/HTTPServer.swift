import Logging
import PulseSystem
import Synchronization

/// An HTTP/1.1 server on epoll event loops (one per core by default).
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 0), responder: router, logger: logger)
/// let port = try server.start()
/// ...
/// await server.shutdown()   // stop accepting, drain, close
/// ```
/// Handlers run as Swift tasks, off the loops: a slow handler delays only its own connection.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    let core: ServerCore
    private let state = Mutex<State>(.idle)

    private enum State {
        case idle
        case running(EventLoopGroup, listener: Int32, port: Int)
        case stopping
        case stopped
    }

    public init(
        configuration: HTTPServerConfiguration,
        responder: any HTTPResponder,
        logger: Logger = Logger(label: "pulse.http", factory: { _ in SwiftLogNoOpLogHandler() }),
        observer: (any HTTPServerObserver)? = nil
    ) {
        self.configuration = configuration
        self.core = ServerCore(configuration: configuration, responder: responder, logger: logger, observer: observer ?? NoObserver())
    }

    /// Binds, starts the loops and begins accepting.
    /// - Returns: the bound port (the chosen one when the configuration asked for port 0).
    /// - Throws: `SystemError` when the address cannot be bound; `HTTPServerError` when already started.
    @discardableResult
    public func start() throws -> Int {
        try state.withLock { state throws in
            guard case .idle = state else { throw HTTPServerError.alreadyStarted }
            let (fd, port) = try Socket.listen(host: configuration.host, port: configuration.port)
            let group: EventLoopGroup
            do {
                group = try EventLoopGroup(count: configuration.eventLoopCount)
            } catch {
                Socket.close(fd)
                throw error
            }
            core.attach(group: group, listener: fd)
            state = .running(group, listener: fd, port: port)
            core.logger.info("HTTP server listening", metadata: ["http.host": "\(configuration.host)", "http.port": "\(port)"])
            return port
        }
    }

    /// The bound port while running.
    public var port: Int? {
        state.withLock { if case .running(_, _, let port) = $0 { return port } else { return nil } }
    }

    /// Connections currently open (including upgraded ones).
    public var connectionCount: Int { core.openConnections.load(ordering: .relaxed) }

    /// Graceful shutdown: stop accepting, let in-flight requests finish and tell upgraded
    /// connections (they may close themselves), then close whatever is left at the deadline.
    public func shutdown() async {
        let running = state.withLock { state -> (EventLoopGroup, Int32)? in
            guard case .running(let group, let listener, _) = state else { return nil }
            state = .stopping
            return (group, listener)
        }
        guard let (group, listener) = running else { return }
        core.logger.info("HTTP server shutting down")
        await core.shutdown(group: group, listener: listener, deadline: configuration.shutdownDeadline)
        await group.shutdown()
        state.withLock { $0 = .stopped }
    }
}

/// Errors from the server's own life cycle.
public enum HTTPServerError: Error, Sendable {
    case alreadyStarted
}

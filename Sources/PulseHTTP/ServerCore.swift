import Glibc
import Logging
import PulseSystem
import Synchronization

/// The server's shared state, reached from every loop. Loop-specific parts live in `LoopState`,
/// touched only on their own loop.
final class ServerCore: @unchecked Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let observer: any HTTPServerObserver
    let parserLimits: HTTPParserLimits
    let openConnections = Atomic<Int>(0)
    let shuttingDown = Atomic<Bool>(false)
    // Per-loop state, indexed by loop index; written once in `attach`, before the loops accept.
    private(set) var loopStates: [LoopState] = []

    // Timeouts in nanoseconds, precomputed for the hot path.
    let headerTimeout: UInt64
    let bodyTimeout: UInt64
    let idleTimeout: UInt64
    let writeTimeout: UInt64
    let lingerTimeout: UInt64 = 2_000_000_000

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger, observer: any HTTPServerObserver) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.observer = observer
        self.parserLimits = configuration.parserLimits
        headerTimeout = configuration.timeouts.headerRead.nanoseconds
        bodyTimeout = configuration.timeouts.bodyRead.nanoseconds
        idleTimeout = configuration.timeouts.idle.nanoseconds
        writeTimeout = configuration.timeouts.write.nanoseconds
    }

    func attach(group: EventLoopGroup, listener: Int32) {
        loopStates = group.loops.map { LoopState(loop: $0, core: self, listener: listener) }
        for state in loopStates {
            let loop = state.loop
            loop.execute { state.startAccepting() }
        }
    }

    private let cursor = Atomic<Int>(0)

    /// The next loop's state, round-robin.
    func nextLoopState() -> LoopState {
        loopStates[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loopStates.count]
    }

    /// Runs `body` on `loop` and waits for it.
    func onLoop(_ loop: EventLoop, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                body()
                continuation.resume()
            }
        }
    }

    func shutdown(group: EventLoopGroup, listener: Int32, deadline: Duration) async {
        shuttingDown.store(true, ordering: .releasing)
        for state in loopStates {
            await onLoop(state.loop) { state.stopAccepting() }
        }
        Socket.close(listener)
        for state in loopStates {
            await onLoop(state.loop) { state.beginShutdown() }
        }
        let end = ContinuousClock.now + deadline
        while openConnections.load(ordering: .acquiring) > 0 && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for state in loopStates {
            await onLoop(state.loop) { state.closeAll() }
        }
    }
}

/// One loop's share of the server: its accept handler, open connections and Date cache.
final class LoopState: EventHandler, @unchecked Sendable {
    let loop: EventLoop
    unowned let core: ServerCore
    let listener: Int32
    let dateCache = DateCache()
    private var accepting = false
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]

    init(loop: EventLoop, core: ServerCore, listener: Int32) {
        self.loop = loop
        self.core = core
        self.listener = listener
    }

    func startAccepting() {
        do {
            try loop.register(listener, events: Epoll.readable | Epoll.exclusive, handler: self)
            accepting = true
        } catch {
            core.logger.error("HTTP accept registration failed", metadata: ["error": "\(error)"])
        }
    }

    func stopAccepting() {
        if accepting { loop.unregister(listener) }
        accepting = false
    }

    func beginShutdown() {
        for connection in Array(connections.values) { connection.beginShutdown() }
    }

    func closeAll() {
        for connection in Array(connections.values) { connection.close(error: nil) }
    }

    func remove(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    /// The listener is readable: accept a batch of connections.
    func handleEvent(_ events: UInt32) {
        guard accepting else { return }
        for _ in 0..<64 {
            let accepted: (fd: Int32, remote: SocketAddress?)
            do {
                switch try Socket.accept(listener) {
                case .wouldBlock: return
                case .processed(let result): accepted = result
                }
            } catch {
                core.logger.debug("HTTP accept failed", metadata: ["error": "\(error)"])
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM {
                    // Out of descriptors: the level-triggered listener would fire again at once,
                    // so stop listening for 100 ms instead of spinning.
                    stopAccepting()
                    _ = loop.scheduleTimer(at: monotonicNanos() &+ 100_000_000) { [self] in
                        if !core.shuttingDown.load(ordering: .relaxed) { startAccepting() }
                    }
                }
                return
            }
            Socket.setNoDelay(accepted.fd)
            let overloaded = core.openConnections.wrappingAdd(1, ordering: .relaxed).newValue > core.configuration.maxConnections
            // Spread connections evenly over the loops (EPOLLEXCLUSIVE tends to wake the same
            // idle loop every time), as SwiftNIO's acceptor does.
            let target = core.nextLoopState()
            if target === self {
                adopt(accepted.fd, remote: accepted.remote, overloaded: overloaded)
            } else {
                target.loop.execute { target.adopt(accepted.fd, remote: accepted.remote, overloaded: overloaded) }
            }
        }
    }

    /// Takes an accepted socket onto this loop (already counted in `openConnections`).
    /// `overloaded`: the connection limit was passed when it was accepted (answer 503).
    func adopt(_ fd: Int32, remote: SocketAddress?, overloaded: Bool) {
        let connection = HTTPConnection(fd: fd, remote: remote, loopState: self)
        do {
            try loop.register(fd, events: Epoll.readable | Epoll.peerClosed, handler: connection)
        } catch {
            core.openConnections.wrappingSubtract(1, ordering: .relaxed)
            Socket.close(fd)
            return
        }
        connections[ObjectIdentifier(connection)] = connection
        core.observer.connectionOpened()
        if overloaded {
            connection.rejectOverloaded()
        } else if core.shuttingDown.load(ordering: .relaxed) {
            connection.close(error: nil)
        } else {
            connection.start()
        }
    }
}

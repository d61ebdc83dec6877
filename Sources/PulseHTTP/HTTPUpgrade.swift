import PulseSystem
import Synchronization

/// Takes over a connection after a `101 Switching Protocols` response (e.g. WebSocket).
///
/// Every method is called on the connection's event-loop thread, in order, never concurrently.
/// The handler writes through the `UpgradedConnection` it receives in `upgraded(_:)`.
public protocol HTTPUpgradeHandler: Sendable {
    /// The 101 head has been written; `connection` is yours. Called once, first.
    func upgraded(_ connection: UpgradedConnection)
    /// Bytes from the peer (including any that arrived right after the request head).
    func received(_ bytes: [UInt8], on connection: UpgradedConnection)
    /// Everything queued has been written (after a write had to wait for the socket).
    func writeQueueDrained(on connection: UpgradedConnection)
    /// The server is shutting down gracefully: say goodbye (e.g. WebSocket close 1001) and close.
    /// The connection is closed for you when the server's shutdown deadline passes.
    func serverShuttingDown(on connection: UpgradedConnection)
    /// The connection is closed (by the peer, by an error, by you, or by shutdown). Called once, last.
    /// `error` is nil for an orderly close.
    func closed(error: (any Error)?)
}

extension HTTPUpgradeHandler {
    public func writeQueueDrained(on connection: UpgradedConnection) {}
    public func serverShuttingDown(on connection: UpgradedConnection) { connection.close() }
}

/// The I/O side of an upgraded connection. Every method is safe from any thread or task:
/// off the loop it hops to the loop, keeping writes in call order.
public final class UpgradedConnection: Sendable {
    /// The loop that owns this connection (timers and callbacks run there).
    public let eventLoop: EventLoop
    /// The client's address.
    public let remoteAddress: SocketAddress?
    private let queued = Atomic<Int>(0)
    private let isClosedFlag = Atomic<Bool>(false)
    private let operations: Operations

    struct Operations: Sendable {
        var write: @Sendable ([UInt8]) -> Void
        var close: @Sendable () -> Void
        var abort: @Sendable () -> Void
    }

    init(eventLoop: EventLoop, remoteAddress: SocketAddress?, operations: Operations) {
        self.eventLoop = eventLoop
        self.remoteAddress = remoteAddress
        self.operations = operations
    }

    /// Bytes queued for the socket and not yet written (for backpressure decisions).
    public var queuedByteCount: Int { queued.load(ordering: .relaxed) }

    /// True once the connection is closed; writes are then dropped.
    public var isClosed: Bool { isClosedFlag.load(ordering: .relaxed) }

    /// Queues `bytes` for writing.
    public func write(_ bytes: [UInt8]) {
        if bytes.isEmpty || isClosed { return }
        if eventLoop.inLoop {
            operations.write(bytes)
        } else {
            let write = operations.write
            eventLoop.execute { write(bytes) }
        }
    }

    /// Writes what is queued, then closes the connection. `closed(error:)` follows.
    public func close() {
        if eventLoop.inLoop {
            operations.close()
        } else {
            let close = operations.close
            eventLoop.execute { close() }
        }
    }

    /// Closes the socket now, dropping whatever is still queued; `closed(error:)` follows.
    /// For a peer that stopped reading (a full send queue, a dead peer, a close handshake that
    /// timed out): `close()` would wait for a flush that never completes until the write timeout.
    public func abort() {
        if eventLoop.inLoop {
            operations.abort()
        } else {
            let abort = operations.abort
            eventLoop.execute { abort() }
        }
    }

    /// Runs `task` on the connection's loop after `delay` (pings, dead-peer checks).
    @discardableResult
    public func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ScheduledTimer {
        eventLoop.scheduleTask(after: delay, task)
    }

    /// Runs `task` on the connection's loop.
    public func execute(_ task: @escaping @Sendable () -> Void) { eventLoop.execute(task) }

    func setQueued(_ count: Int) { queued.store(count, ordering: .relaxed) }
    func markClosed() { isClosedFlag.store(true, ordering: .relaxed) }
}

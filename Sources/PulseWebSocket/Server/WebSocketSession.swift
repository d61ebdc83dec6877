import PulseHTTP
import PulseSystem
import Synchronization

/// One server-side WebSocket connection as the application sees it.
///
/// Receive with `for await message in session.messages`; send with `send` (waits while
/// the peer is slow, bounded by `sendTimeout`) or `trySend` (never waits; a session whose
/// queue would overflow is closed with 1008 — what broadcasts use). Thread-safe.
public final class WebSocketSession: Sendable {
    /// The upgrade request (path parameters, headers, request context such as auth).
    public let request: HTTPRequest
    public let configuration: WebSocketServerConfiguration
    /// Inbound messages; finishes when the connection ends.
    public let messages: Inbound
    /// permessage-deflate parameters in use, nil if not negotiated.
    public let deflate: PerMessageDeflateParameters?

    struct State {
        var machine: WebSocketStateMachine
        var connection: UpgradedConnection?
        var lastReceived = ContinuousClock.now
        var inboundBytes = 0
        var drainWaiters: [CheckedContinuation<Void, any Error>] = []
        var ending: (code: WebSocketCloseCode, reason: String)?
        var onClose: [@Sendable () -> Void] = []
        var timers: [ScheduledTimer] = []
        var keepalive: ScheduledTimer?
        var drainTimer: ScheduledTimer?
        /// Messages handed to the application, and how many it has taken.
        var yielded = 0
        var taken = 0
        /// The closing actions held back until the application took every message
        /// delivered before them (see `WebSocketStateMachine.deferringClose`).
        var deferred: [WebSocketAction]?
        var connectionGone = false
        /// Delivered messages the application has not taken yet, and the task waiting for one.
        var inbound = InboundQueue()
    }

    let state: Mutex<State>

    init(request: HTTPRequest, machine: WebSocketStateMachine, configuration: WebSocketServerConfiguration) {
        self.request = request
        self.configuration = configuration
        self.deflate = machine.deflate
        self.state = Mutex(State(machine: machine))
        self.messages = Inbound()
        messages.session = self
    }

    /// The close code and reason once the session has ended, nil while open.
    public var closeStatus: (code: WebSocketCloseCode, reason: String)? { state.withLock { $0.ending } }

    /// Bytes queued for this peer and not yet written.
    public var queuedByteCount: Int { state.withLock { $0.connection?.queuedByteCount ?? 0 } }

    /// Registers `action` to run once when the session ends (immediately if it has).
    public func onClose(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.connectionGone { return true }
            s.onClose.append(action)
            return false
        }
        if runNow { action() }
    }

    // MARK: Sending

    /// Sends a message, waiting while more than half of `maxSendQueueBytes` is queued.
    /// Throws `WebSocketClientError.closed` once the session is closing or closed.
    public func send(_ message: WebSocketMessage) async throws {
        if queuedByteCount > configuration.maxSendQueueBytes / 2 { try await waitForRoom() }
        try state.withLock { s throws(WebSocketClientError) in
            guard let connection = s.connection, let bytes = s.machine.send(message) else {
                throw .closed(s.ending?.code ?? .normalClosure)
            }
            connection.write(bytes)
        }
    }

    /// Waits (up to `sendTimeout`) until at most half of `maxSendQueueBytes` is queued.
    private func waitForRoom() async throws {
        let deadline = ContinuousClock.now + configuration.sendTimeout
        while queuedByteCount > configuration.maxSendQueueBytes / 2 {
            guard ContinuousClock.now < deadline else {
                fail(.policyViolation, "send queue stalled", abort: true)
                throw WebSocketClientError.closed(.policyViolation)
            }
            try await waitForDrain(until: deadline)
        }
    }

    /// Queues a message without waiting. Returns false if the session is closed. If the
    /// message would push the send queue past `maxSendQueueBytes`, the slow reader is
    /// disconnected with 1008 instead, so it cannot grow server memory. The bound is
    /// checked on the event loop, where the queue size is exact.
    @discardableResult
    public func trySend(_ message: WebSocketMessage) -> Bool {
        let encoded = state.withLock { s -> (UpgradedConnection, [UInt8])? in
            guard let connection = s.connection, let bytes = s.machine.send(message) else { return nil }
            // Hop while holding the lock so frames keep the order they were encoded in.
            connection.execute { [weak self] in
                if connection.queuedByteCount + bytes.count > self?.configuration.maxSendQueueBytes ?? 0 {
                    self?.fail(.policyViolation, "send queue full", abort: true)
                } else {
                    connection.write(bytes)
                }
            }
            return (connection, bytes)
        }
        return encoded != nil
    }

    /// Sends a ping (keepalive is automatic; this is for applications that want more).
    public func ping(_ payload: [UInt8] = []) {
        state.withLock { s in
            if let bytes = s.machine.ping(payload) { s.connection?.write(bytes) }
        }
    }

    /// Closes with the handshake and waits (up to `closeTimeout`) until the connection ends.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async {
        startClose(code: code, reason: reason)
        let deadline = ContinuousClock.now + configuration.closeTimeout + .seconds(1)
        while !state.withLock({ $0.connectionGone }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func waitForDrain(until deadline: ContinuousClock.Instant) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.connectionGone { return true }
                s.drainWaiters.append(continuation)
                // Re-check after registering: the queue may have drained just before.
                return false
            }
            if resumeNow {
                continuation.resume(throwing: WebSocketClientError.closed(closeStatus?.code ?? .abnormalClosure))
            } else if queuedByteCount <= configuration.maxSendQueueBytes / 2 {
                drained()
            } else {
                // Wake up at the deadline to give up on a stalled peer.
                let timer = state.withLock { $0.connection }?.schedule(after: deadline - ContinuousClock.now) { [weak self] in self?.drained() }
                state.withLock { s in
                    s.drainTimer?.cancel()
                    s.drainTimer = timer
                }
            }
        }
    }
}

/// The inbound message sequence of a session (one consumer at a time; several iterators
/// share the queue). Finishes when the session ends or the consuming task is cancelled.
public final class Inbound: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage
    /// Weak: the session owns this sequence, not the other way round.
    private struct WeakSession { weak var value: WebSocketSession? }
    private let owner = Mutex(WeakSession())

    init() {}

    var session: WebSocketSession? {
        get { owner.withLock { $0.value } }
        set { owner.withLock { $0.value = newValue } }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Strong: an iteration in progress keeps its session.
        let session: WebSocketSession?

        public mutating func next() async -> WebSocketMessage? {
            await session?.nextMessage()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(session: session) }
}

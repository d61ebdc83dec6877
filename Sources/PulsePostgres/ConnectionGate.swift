import CLibPQ
import Synchronization

/// Serialises `close()` with the statement in flight on a connection.
///
/// libpq is not thread-safe per connection: `PQfinish` while another thread is inside
/// `PQconsumeInput` frees memory under it. So a close that arrives while a statement runs
/// only marks the connection closing, cancels the statement on the server and fails the
/// statement's socket wait; the statement's own task then finishes the close when it leaves.
final class ConnectionGate: Sendable {
    private struct State: @unchecked Sendable {
        var inFlight = false
        var closing = false
        var closed = false
        /// The set the in-flight statement is waiting on, and for which socket.
        var waitingOn: ReadinessSet?
        var fd: Int32 = -1
    }
    private let state = Mutex(State())

    static let closedError = PostgresError(.connectionLost, message: "connection is closed")
    static let closedDuringStatement = PostgresError(
        .connectionLost, message: "connection was closed while the statement was running")

    var isClosed: Bool { state.withLock { $0.closed || $0.closing } }

    /// Claims the connection for one statement; fails when it is closed or closing.
    func enter() throws {
        try state.withLock { state in
            if state.closed || state.closing { throw Self.closedError }
            if state.inFlight {
                throw PostgresError(
                    .invalidArgument, message: "connection is already running a statement (one task at a time)")
            }
            state.inFlight = true
        }
    }

    /// Ends the statement; runs `finish` (under the lock) when a close arrived meanwhile.
    func leave(finish: () -> Void) {
        state.withLock { state in
            state.inFlight = false
            state.waitingOn = nil
            if state.closing && !state.closed {
                state.closed = true
                finish()
            }
        }
    }

    /// Runs `body` while the connection cannot be freed; nil when it is closed or closing.
    func ifOpen<T>(_ body: () -> T) -> T? {
        state.withLock { state in state.closed || state.closing ? nil : body() }
    }

    /// Records the wait about to start; throws if a close already arrived.
    func beginWait(on set: ReadinessSet, fd: Int32) throws {
        try state.withLock { state in
            if state.closing { throw Self.closedDuringStatement }
            state.waitingOn = set
            state.fd = fd
        }
    }

    func endWait() { state.withLock { $0.waitingOn = nil } }

    /// Checked after a wait is armed: a close that came in between is not missed.
    var abortError: PostgresError? { state.withLock { $0.closing ? Self.closedDuringStatement : nil } }

    /// Requests the close. With nothing in flight, `finish` runs now (under the lock).
    /// Otherwise `interrupt` runs (the server-side cancel: before the statement can leave
    /// and free what the cancel needs), then a waiting statement is woken with
    /// `closedDuringStatement`; the statement's task finishes the close when it leaves.
    func requestClose(finish: () -> Void, interrupt: () -> Void) {
        let waiting = state.withLock { state -> (ReadinessSet, Int32)?? in
            if state.closed || state.closing { return .none }
            if !state.inFlight {
                state.closed = true
                finish()
                return .none
            }
            state.closing = true
            return .some(state.waitingOn.map { ($0, state.fd) })
        }
        guard let waiting else { return }
        interrupt()
        if let (set, fd) = waiting { set.fail(fd: fd, with: Self.closedDuringStatement) }
    }
}

/// Sends `PQcancel` for the statement identified by a ticket, and only while that
/// statement is still in flight, so a late cancel cannot hit the next statement.
final class Canceller: @unchecked Sendable {
    private struct State: @unchecked Sendable {
        var pointer: OpaquePointer?
        var ticket: UInt64 = 0
        var active = false
    }
    private let state: Mutex<State>

    init(_ pointer: OpaquePointer?) { state = Mutex(State(pointer: pointer)) }

    func begin() -> UInt64 {
        state.withLock {
            $0.ticket += 1
            $0.active = true
            return $0.ticket
        }
    }

    func end(_ ticket: UInt64) {
        state.withLock { if $0.ticket == ticket { $0.active = false } }
    }

    func cancel(_ ticket: UInt64) {
        state.withLock {
            guard $0.active, $0.ticket == ticket else { return }
            Self.send($0.pointer)
        }
    }

    /// Cancels whatever statement is in flight (used by a concurrent close).
    func cancelActive() {
        state.withLock { if $0.active { Self.send($0.pointer) } }
    }

    private static func send(_ pointer: OpaquePointer?) {
        guard let pointer else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(pointer, &buffer, 256)
    }

    func invalidate() {
        state.withLock {
            if let pointer = $0.pointer { PQfreeCancel(pointer) }
            $0.pointer = nil
        }
    }
}

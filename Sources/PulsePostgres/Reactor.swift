import CLinuxShims
import Foundation
import Glibc
import Synchronization

/// Readiness reactor for libpq sockets: one thread blocked in `epoll_wait` for every
/// connection of the process. A query awaiting its socket suspends a continuation here,
/// so no thread is parked per query. Registrations are one-shot; spurious wake-ups are
/// harmless because callers re-check libpq state and wait again.
public final class PostgresReactor: Sendable {
    package enum Interest: Sendable {
        case read, write, readWrite
        var mask: UInt32 {
            switch self {
            case .read: return EPOLLIN.rawValue
            case .write: return EPOLLOUT.rawValue
            case .readWrite: return EPOLLIN.rawValue | EPOLLOUT.rawValue
            }
        }
    }

    private struct Waiter {
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: UInt64?
    }

    /// Process-wide default; tests and services may create their own.
    public static let shared = PostgresReactor()

    private let epollFD: Int32
    private let wakeFD: Int32
    private let waiters = Mutex<[Int32: Waiter]>([:])
    /// Waiters with a deadline; when 0 (the common case) the loop skips the deadline scans.
    private let timedWaiters = Atomic<Int>(0)

    /// Starts the reactor thread (it lives as long as the process).
    public init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        precondition(epollFD >= 0 && wakeFD >= 0, "epoll/eventfd unavailable: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        let thread = Thread { [self] in self.loop() }
        thread.name = "pulse-postgres-reactor"
        thread.start()
    }

    /// Monotonic clock in nanoseconds.
    package static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Suspends until `fd` is ready for `interest` (or may be; see type comment).
    /// Throws `PostgresError(.unavailable)` when `deadline` (monotonic ns) passes first.
    package func wait(
        fd: Int32, for interest: Interest, deadline: UInt64? = nil, abortOnCancel: Bool = false
    ) async throws {
        guard fd >= 0 else { throw PostgresError(.connectionLost, message: "connection has no socket") }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.withLock { $0[fd] = Waiter(continuation: continuation, deadline: deadline) }
            if deadline != nil { timedWaiters.add(1, ordering: .relaxed) }
            var event = epoll_event()
            event.events = interest.mask | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
            event.data.fd = fd
            var rc = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
            if rc != 0 && errno == ENOENT { rc = epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
            if rc != 0 {
                let code = errno
                if let waiter = take(fd) {
                    waiter.continuation.resume(
                        throwing: PostgresError(.connectionLost, message: "epoll_ctl failed: errno \(code)"))
                }
                return
            }
            if deadline != nil { wake() }
            if abortOnCancel && Task.isCancelled, let waiter = take(fd) {
                waiter.continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Like `wait`, but task cancellation ends the wait with `CancellationError`
    /// (used by long-lived listeners that sit idle on their socket).
    package func waitCancellable(fd: Int32, for interest: Interest) async throws {
        try await withTaskCancellationHandler {
            try Task.checkCancellation()
            try await wait(fd: fd, for: interest, abortOnCancel: true)
            try Task.checkCancellation()
        } onCancel: {
            if let waiter = take(fd) {
                waiter.continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Removes `fd` before its owner closes it; a pending waiter is failed.
    package func deregister(fd: Int32) {
        guard fd >= 0 else { return }
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        if let waiter = take(fd) {
            waiter.continuation.resume(throwing: PostgresError(.connectionLost, message: "connection closed"))
        }
    }

    /// Removes and returns the waiter of `fd`, keeping the deadline count right.
    private func take(_ fd: Int32) -> Waiter? {
        let waiter = waiters.withLock { $0.removeValue(forKey: fd) }
        if waiter?.deadline != nil { timedWaiters.subtract(1, ordering: .relaxed) }
        return waiter
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func loop() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while true {
            let count = epoll_wait(epollFD, events, Int32(capacity), nextTimeoutMilliseconds())
            if count < 0 {
                if errno == EINTR { continue }
                continue
            }
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    continue
                }
                if let waiter = take(fd) {
                    waiter.continuation.resume()
                }
            }
            expireDeadlines()
        }
    }

    private func nextTimeoutMilliseconds() -> Int32 {
        if timedWaiters.load(ordering: .relaxed) == 0 { return -1 }
        let earliest = waiters.withLock { $0.values.compactMap(\.deadline).min() }
        guard let earliest else { return -1 }
        let now = Self.now()
        if earliest <= now { return 0 }
        return Int32(min((earliest - now) / 1_000_000 + 1, 60_000))
    }

    private func expireDeadlines() {
        if timedWaiters.load(ordering: .relaxed) == 0 { return }
        let now = Self.now()
        let expired = waiters.withLock { table -> [Waiter] in
            let keys = table.filter { ($0.value.deadline ?? .max) <= now }.map(\.key)
            return keys.compactMap { table.removeValue(forKey: $0) }
        }
        if !expired.isEmpty { timedWaiters.subtract(expired.count, ordering: .relaxed) }
        for waiter in expired {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, message: "timed out waiting for the server"))
        }
    }
}

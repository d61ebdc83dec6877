import CLinuxShims
import Glibc
import Synchronization

/// What a query waits for on its socket.
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

/// An epoll set of libpq sockets with one suspended waiter per socket. Registrations are
/// one-shot; spurious wake-ups are harmless because callers re-check libpq state and wait
/// again. Whoever calls `dispatch` (the reactor thread, or an event loop) is the thread the
/// waiting task is resumed from.
final class ReadinessSet: Sendable {
    struct Waiter {
        /// Unsafe (no per-wait checking allocation): `take` removes the waiter under the
        /// lock, so exactly one party ever resumes it.
        let continuation: UnsafeContinuation<Void, any Error>
        let deadline: UInt64?
    }

    let epollFD: Int32
    private let waiters = Mutex<[Int32: Waiter]>([:])
    /// Waiters with a deadline; when 0 (the common case) the deadline scans are skipped.
    private let timedWaiters = Atomic<Int>(0)

    init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll unavailable: errno \(errno)")
    }

    deinit { Glibc.close(epollFD) }

    var hasTimedWaiters: Bool { timedWaiters.load(ordering: .relaxed) != 0 }

    /// Suspends until `fd` is ready for `interest`. `abort` is checked after registering,
    /// so a concurrent `fail(fd:)` (close, cancel) and this wait cannot miss each other.
    func wait(
        fd: Int32, for interest: Interest, deadline: UInt64?, afterArming: () -> Void = {},
        abort: () -> (any Error)? = { nil }
    ) async throws {
        guard fd >= 0 else { throw PostgresError(.connectionLost, message: "connection has no socket") }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            waiters.withLock { $0[fd] = Waiter(continuation: continuation, deadline: deadline) }
            if deadline != nil { timedWaiters.add(1, ordering: .relaxed) }
            var event = epoll_event()
            event.events = interest.mask | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
            event.data.fd = fd
            var rc = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
            if rc != 0 && errno == ENOENT { rc = epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
            if rc != 0 {
                fail(fd: fd, with: PostgresError(.connectionLost, message: "epoll_ctl failed: errno \(errno)"))
                return
            }
            afterArming()
            if let error = abort() { fail(fd: fd, with: error) }
        }
    }

    /// Ends the wait on `fd` (if any) with `error`.
    func fail(fd: Int32, with error: any Error) {
        take(fd)?.continuation.resume(throwing: error)
    }

    /// Ends every wait with `error` (the thread that dispatched this set is going away).
    func failAll(with error: any Error) {
        let all = waiters.withLock { table -> [Waiter] in
            defer { table.removeAll() }
            return Array(table.values)
        }
        timedWaiters.subtract(all.filter { $0.deadline != nil }.count, ordering: .relaxed)
        for waiter in all { waiter.continuation.resume(throwing: error) }
    }

    /// Removes and returns the waiter of `fd`, keeping the deadline count right.
    func take(_ fd: Int32) -> Waiter? {
        let waiter = waiters.withLock { $0.removeValue(forKey: fd) }
        if waiter?.deadline != nil { timedWaiters.subtract(1, ordering: .relaxed) }
        return waiter
    }

    /// Resumes the waiters of the sockets `epoll_wait` reported, skipping `except`.
    func dispatch(_ events: UnsafeMutablePointer<epoll_event>, count: Int, except: Int32 = -1) {
        for index in 0..<count {
            let fd = events[index].data.fd
            if fd == except { continue }
            take(fd)?.continuation.resume()
        }
    }

    /// Milliseconds until the earliest deadline (-1: none).
    func nextTimeoutMilliseconds(now: UInt64) -> Int32 {
        if !hasTimedWaiters { return -1 }
        let earliest = waiters.withLock { $0.values.compactMap(\.deadline).min() }
        guard let earliest else { return -1 }
        if earliest <= now { return 0 }
        return Int32(min((earliest - now) / 1_000_000 + 1, 60_000))
    }

    /// Fails every waiter whose deadline has passed.
    func expireDeadlines(now: UInt64) {
        if !hasTimedWaiters { return }
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

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

/// An epoll set of libpq sockets with at most one suspended waiter per socket. Spurious
/// wake-ups are harmless because callers re-check libpq state and wait again. Whoever calls
/// `dispatch` (the reactor thread, or an event loop) is the thread the waiting task is
/// resumed from.
///
/// Registration: one-shot by default (re-armed with `EPOLL_CTL_MOD` on each wait). A set
/// created with `persistentReads` (an event loop's, where the dispatching thread is also the
/// one that reads the reply before it looks for events again) keeps a socket registered
/// level-triggered for reading between waits, so a query's read wait costs no `epoll_ctl`.
/// If such a socket reports while nobody waits on it (a reply not read yet, a server that
/// went away under an idle pooled connection), it is removed until the next wait, so it
/// cannot make the loop spin.
final class ReadinessSet: Sendable {
    struct Waiter {
        /// Unsafe (no per-wait checking allocation): `take` removes the waiter under the
        /// lock, so exactly one party ever resumes it.
        let continuation: UnsafeContinuation<Void, any Error>
        let deadline: UInt64?
    }

    private enum Registration { case none, persistentRead, oneShot }

    private struct Entry {
        /// The connection the registration belongs to: a closed socket leaves the epoll set
        /// by itself, so a reused descriptor number must not inherit the old entry.
        var owner: UInt64
        var registration: Registration = .none
        var waiter: Waiter?
    }

    let epollFD: Int32
    private let persistentReads: Bool
    private let entries = Mutex<[Int32: Entry]>([:])
    /// Waiters with a deadline; when 0 (the common case) the deadline scans are skipped.
    private let timedWaiters = Atomic<Int>(0)

    init(persistentReads: Bool = false) {
        self.persistentReads = persistentReads
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll unavailable: errno \(errno)")
    }

    deinit { Glibc.close(epollFD) }

    var hasTimedWaiters: Bool { timedWaiters.load(ordering: .relaxed) != 0 }

    /// Suspends until `fd` (belonging to connection `owner`) is ready for `interest`.
    /// `abort` is checked after registering, so a concurrent `fail(fd:)` (close, cancel) and
    /// this wait cannot miss each other.
    nonisolated(nonsending) func wait(
        fd: Int32, owner: UInt64, for interest: Interest, deadline: UInt64?, afterArming: () -> Void = {},
        abort: () -> (any Error)? = { nil }
    ) async throws {
        guard fd >= 0 else { throw PostgresError(.connectionLost, message: "connection has no socket") }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let persistent = persistentReads && interest == .read
            var event = epoll_event()
            event.events =
                persistent ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue
                : interest.mask | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
            event.data.fd = fd
            // Persistent sets are only touched from their loop thread: arm under the lock so
            // the registration state cannot race. One-shot (reactor) sets arm after it, so
            // the reactor thread's dispatch does not wait behind a syscall.
            var failure: Int32 = 0
            let operation = entries.withLock { table -> Int32? in
                var entry = table[fd].flatMap { $0.owner == owner ? $0 : nil } ?? Entry(owner: owner)
                entry.waiter = Waiter(continuation: continuation, deadline: deadline)
                defer { table[fd] = entry }
                if persistent && entry.registration == .persistentRead { return nil }
                let operation = entry.registration == .none ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
                if !persistent {
                    entry.registration = .oneShot
                    return operation
                }
                failure = arm(fd, operation, &event)
                entry.registration = failure != 0 ? .none : .persistentRead
                return nil
            }
            if let operation { failure = arm(fd, operation, &event) }
            if deadline != nil { timedWaiters.add(1, ordering: .relaxed) }
            if failure != 0 {
                fail(fd: fd, with: PostgresError(.connectionLost, message: "epoll_ctl failed: errno \(failure)"))
                return
            }
            afterArming()
            if let error = abort() { fail(fd: fd, with: error) }
        }
    }

    /// Adds or modifies `fd`'s registration (retrying as the other operation when the
    /// kernel's view differs from ours); returns 0 or errno.
    private func arm(_ fd: Int32, _ operation: Int32, _ event: inout epoll_event) -> Int32 {
        if epoll_ctl(epollFD, operation, fd, &event) == 0 { return 0 }
        guard errno == ENOENT || errno == EEXIST else { return errno }
        return epoll_ctl(epollFD, errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0 ? 0 : errno
    }

    /// Removes `fd` from the set before its owner closes it; a pending waiter is failed.
    func forget(fd: Int32, with error: any Error) {
        let entry = entries.withLock { $0.removeValue(forKey: fd) }
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        if let waiter = entry?.waiter {
            if waiter.deadline != nil { timedWaiters.subtract(1, ordering: .relaxed) }
            waiter.continuation.resume(throwing: error)
        }
    }

    /// Ends the wait on `fd` (if any) with `error`.
    func fail(fd: Int32, with error: any Error) {
        take(fd)?.continuation.resume(throwing: error)
    }

    /// Ends every wait with `error` (the thread that dispatched this set is going away).
    func failAll(with error: any Error) {
        let all = entries.withLock { table -> [Waiter] in
            var all: [Waiter] = []
            for fd in table.keys {
                if let waiter = table[fd]?.waiter { all.append(waiter) }
                table[fd]?.waiter = nil
            }
            return all
        }
        timedWaiters.subtract(all.filter { $0.deadline != nil }.count, ordering: .relaxed)
        for waiter in all { waiter.continuation.resume(throwing: error) }
    }

    /// Removes and returns the waiter of `fd`, keeping the deadline count right.
    func take(_ fd: Int32) -> Waiter? {
        let waiter = entries.withLock { table -> Waiter? in
            defer { table[fd]?.waiter = nil }
            return table[fd]?.waiter
        }
        if waiter?.deadline != nil { timedWaiters.subtract(1, ordering: .relaxed) }
        return waiter
    }

    /// Resumes the waiters of the sockets `epoll_wait` reported, skipping `except`.
    func dispatch(_ events: UnsafeMutablePointer<epoll_event>, count: Int, except: Int32 = -1) {
        for index in 0..<count {
            let fd = events[index].data.fd
            if fd == except { continue }
            let waiter = entries.withLock { table -> Waiter? in
                guard var entry = table[fd] else { return nil }
                let waiter = entry.waiter
                entry.waiter = nil
                if waiter == nil && entry.registration == .persistentRead {
                    // Level-triggered and nobody to read it: stop it reporting until the next wait.
                    _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
                    entry.registration = .none
                }
                table[fd] = entry
                return waiter
            }
            guard let waiter else { continue }
            if waiter.deadline != nil { timedWaiters.subtract(1, ordering: .relaxed) }
            waiter.continuation.resume()
        }
    }

    /// Milliseconds until the earliest deadline (-1: none).
    func nextTimeoutMilliseconds(now: UInt64) -> Int32 {
        if !hasTimedWaiters { return -1 }
        let earliest = entries.withLock { $0.values.compactMap { $0.waiter?.deadline }.min() }
        guard let earliest else { return -1 }
        if earliest <= now { return 0 }
        return Int32(min((earliest - now) / 1_000_000 + 1, 60_000))
    }

    /// Fails every waiter whose deadline has passed.
    func expireDeadlines(now: UInt64) {
        if !hasTimedWaiters { return }
        let expired = entries.withLock { table -> [Waiter] in
            let keys = table.filter { ($0.value.waiter?.deadline ?? .max) <= now }.map(\.key)
            return keys.compactMap { fd in
                defer { table[fd]?.waiter = nil }
                return table[fd]?.waiter
            }
        }
        if !expired.isEmpty { timedWaiters.subtract(expired.count, ordering: .relaxed) }
        for waiter in expired {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, message: "timed out waiting for the server"))
        }
    }
}

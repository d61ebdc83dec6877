import CLinuxShims
import Foundation
import Glibc

/// Readiness reactor for libpq sockets: one thread blocked in `epoll_wait` for every
/// connection of the process. A query awaiting its socket suspends a continuation here,
/// so no thread is parked per query.
///
/// This is the fallback path: a task running on a PulseSystem `EventLoop` (HTTP handlers,
/// or any `Task(executorPreference: loop)`) waits on that loop instead (`LoopReadiness`),
/// which resumes it on the loop thread without a hand-off to another thread.
public final class PostgresReactor: Sendable {
    /// Process-wide default; tests and services may create their own.
    public static let shared = PostgresReactor()

    let set = ReadinessSet()
    private let wakeFD: Int32

    /// Starts the reactor thread (it lives as long as the process).
    public init() {
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        precondition(wakeFD >= 0, "eventfd unavailable: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        _ = epoll_ctl(set.epollFD, EPOLL_CTL_ADD, wakeFD, &event)
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

    /// Suspends until `fd` is ready for `interest` (or may be; see `ReadinessSet`).
    /// Throws `PostgresError(.unavailable)` when `deadline` (monotonic ns) passes first.
    package func wait(
        fd: Int32, owner: UInt64 = 0, for interest: Interest, deadline: UInt64? = nil, abortOnCancel: Bool = false
    ) async throws {
        try await set.wait(
            fd: fd, owner: owner, for: interest, deadline: deadline,
            afterArming: { if deadline != nil { wake() } },
            abort: { abortOnCancel && Task.isCancelled ? CancellationError() : nil })
    }

    /// Like `wait`, but task cancellation ends the wait with `CancellationError`
    /// (used by long-lived listeners that sit idle on their socket).
    package func waitCancellable(fd: Int32, for interest: Interest) async throws {
        try await withTaskCancellationHandler {
            try Task.checkCancellation()
            try await wait(fd: fd, for: interest, abortOnCancel: true)
            try Task.checkCancellation()
        } onCancel: {
            set.fail(fd: fd, with: CancellationError())
        }
    }

    /// Removes `fd` before its owner closes it; a pending waiter is failed.
    package func deregister(fd: Int32) {
        guard fd >= 0 else { return }
        set.forget(fd: fd, with: PostgresError(.connectionLost, message: "connection closed"))
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
            let count = epoll_wait(set.epollFD, events, Int32(capacity), set.nextTimeoutMilliseconds(now: Self.now()))
            if count > 0 {
                for index in 0..<Int(count) where events[index].data.fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                }
                set.dispatch(events, count: Int(count), except: wakeFD)
            }
            set.expireDeadlines(now: Self.now())
        }
    }
}

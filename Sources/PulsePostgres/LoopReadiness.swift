import CLinuxShims
import Glibc
import PulseSystem

/// Waits for libpq sockets on the PulseSystem `EventLoop` the current task runs on.
///
/// A query from a task that prefers an event loop (HTTP handlers run that way) would
/// otherwise cost two thread hand-offs: the reactor thread wakes on the reply and resumes
/// the task, which is then queued back to the loop thread. Here the loop itself watches
/// the sockets: one nested epoll set per loop, registered with the loop once, so the
/// reply's readiness event resumes the task on the very thread that runs it, and the job
/// is queued to that loop without a wake-up.
///
/// Waits with a deadline (connecting) stay on the reactor, which has timers.
final class LoopReadiness: EventHandler, @unchecked Sendable {
    /// The loop thread reads each reply before it polls again: reads stay registered.
    let set = ReadinessSet(persistentReads: true)
    private let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 64)

    private init() {}

    deinit { events.deallocate() }

    /// Called on the loop thread when the nested set has ready sockets.
    func handleEvent(_ mask: UInt32) {
        let count = epoll_wait(set.epollFD, events, 64, 0)
        if count > 0 { set.dispatch(events, count: Int(count)) }
    }

    /// Per-thread pointer to the loop's instance (retained; released when the thread ends).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<LoopReadiness>.fromOpaque(pointer).release() }
        }
        precondition(rc == 0, "pthread_key_create failed")
        return key
    }()

    /// The readiness set of the event loop this task is running on, or nil when the task
    /// is not on a loop thread (then the reactor serves it).
    static func current() -> ReadinessSet? {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<LoopReadiness>.fromOpaque(pointer).takeUnretainedValue().set
        }
        // First query from this thread: is it an event loop the task runs on?
        guard let loop = EventLoop.current else { return nil }
        let readiness = LoopReadiness()
        do {
            try loop.register(readiness.set.epollFD, events: Epoll.readable, handler: readiness)
        } catch {
            return nil
        }
        // Statements still waiting when the loop stops would never be woken: they fail then
        // (their tasks finish off the loop).
        loop.whenStopped { readiness.set.failAll(with: PostgresError.loopStopped) }
        pthread_setspecific(key, Unmanaged.passRetained(readiness).toOpaque())
        return readiness.set
    }
}

import CLinuxShims
import Dispatch
import Glibc
import PulseSystem
import Synchronization

/// A non-blocking TCP socket driven by an event loop's readiness events. A caller that would
/// block suspends in `wait(for:deadline:)`; the loop resumes it when epoll reports the socket
/// ready (or the deadline timer fires), so no thread parks per request.
///
/// The socket is registered one-shot: each wait re-arms it for the directions still awaited,
/// an event disarms it. Waiter state is touched only on the loop thread. At most one reader
/// and one writer wait at a time (a request uses one task; a tunnel one task per direction).
final class LoopSocket: EventHandler, @unchecked Sendable {
    let fd: Int32
    let loop: EventLoop

    private struct Waiter {
        let continuation: CheckedContinuation<Void, any Error>
        let timerID: UInt64?
    }

    // Loop-confined.
    private var registered = false
    private var closed = false
    private var reader: Waiter?
    private var writer: Waiter?

    private init(fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
    }

    /// Connects to `host:port`; `deadline` is monotonic nanoseconds.
    static func connect(host: String, port: Int, loop: EventLoop, deadline: UInt64) async throws -> LoopSocket {
        let candidates = try await resolve(host: host, port: port)
        var lastError: HTTPClientError = .resolveFailed(host: host)
        for var candidate in candidates {
            let fd = Glibc.socket(candidate.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = .connectFailed(host: host, port: port, reason: String(cString: strerror(errno)))
                continue
            }
            let socket = LoopSocket(fd: fd, loop: loop)
            let rc = withUnsafePointer(to: &candidate.storage) { ptr in
                ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, candidate.length) }
            }
            do {
                if rc != 0 {
                    guard errno == EINPROGRESS else { throw HTTPClientError.connectFailed(host: host, port: port, reason: String(cString: strerror(errno))) }
                    try await socket.wait(for: Epoll.writable, deadline: deadline, timeout: .connectTimeout)
                    var soError: Int32 = 0
                    var length = socklen_t(4)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                    if soError != 0 { throw HTTPClientError.connectFailed(host: host, port: port, reason: String(cString: strerror(soError))) }
                }
                Socket.setNoDelay(fd)
                return socket
            } catch let error as HTTPClientError {
                socket.close()
                if error == .connectTimeout || error == .cancelled { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    /// Resolves `host`: IP literals at once, names with `getaddrinfo` on a Dispatch thread
    /// (it blocks; a slow DNS server must not hold a cooperative-pool thread).
    private static func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        if TLSTransport.isIPAddress(host) {
            do { return try SocketAddress.resolve(host: host, port: port, passive: false) } catch { throw HTTPClientError.resolveFailed(host: host) }
        }
        let result: Result<[ResolvedAddress], HTTPClientError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do { continuation.resume(returning: .success(try SocketAddress.resolve(host: host, port: port, passive: false))) } catch {
                    continuation.resume(returning: .failure(.resolveFailed(host: host)))
                }
            }
        }
        return try result.get()
    }

    deinit {
        // close() must have run; closing here too would race a reused descriptor number.
    }

    /// Unregisters and closes the descriptor (idempotent), failing pending waits.
    func close() {
        loop.execute { [self] in
            guard !closed else { return }
            closed = true
            if registered { loop.unregister(fd) }
            Glibc.close(fd)
            resumeReader(with: .connectionClosed)
            resumeWriter(with: .connectionClosed)
        }
    }

    /// Suspends until the socket is ready for `events` (`Epoll.readable` or `Epoll.writable`),
    /// the monotonic `deadline` passes (throws `timeout`; `UInt64.max` waits without limit)
    /// or the task is cancelled.
    func wait(for events: UInt32, deadline: UInt64, timeout: HTTPClientError) async throws {
        let isRead = events & Epoll.readable != 0
        // Set by the cancellation handler before it hops to the loop, so a cancel that lands
        // before the waiter is registered is still seen (the loop thread is not the task).
        let cancelled = CancelFlag()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { [self] in
                    guard !closed else { return continuation.resume(throwing: HTTPClientError.connectionClosed) }
                    if cancelled.value.load(ordering: .acquiring) { return continuation.resume(throwing: HTTPClientError.cancelled) }
                    let timerID = deadline == UInt64.max ? nil : loop.scheduleTimer(at: deadline) { [self] in
                        if isRead { resumeReader(with: timeout) } else { resumeWriter(with: timeout) }
                    }
                    let waiter = Waiter(continuation: continuation, timerID: timerID)
                    if isRead { reader = waiter } else { writer = waiter }
                    if !rearm() {
                        if isRead { resumeReader(with: .io("epoll registration failed")) } else { resumeWriter(with: .io("epoll registration failed")) }
                    }
                }
            }
        } onCancel: {
            cancelled.value.store(true, ordering: .releasing)
            loop.execute { [self] in
                if isRead { resumeReader(with: .cancelled) } else { resumeWriter(with: .cancelled) }
            }
        }
    }

    private final class CancelFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Arms the one-shot registration for the directions awaited; false if epoll refused.
    private func rearm() -> Bool {
        guard !closed, reader != nil || writer != nil else { return true }
        var mask = Epoll.error | Epoll.hangup | UInt32(EPOLLONESHOT.rawValue)
        if reader != nil { mask |= Epoll.readable }
        if writer != nil { mask |= Epoll.writable }
        if registered {
            loop.modify(fd, events: mask)
            return true
        }
        do { try loop.register(fd, events: mask, handler: self) } catch { return false }
        registered = true
        return true
    }

    func handleEvent(_ events: UInt32) {
        let failed = events & (Epoll.error | Epoll.hangup) != 0
        if failed || events & Epoll.readable != 0 { resumeReader(with: nil) }
        if failed || events & Epoll.writable != 0 { resumeWriter(with: nil) }
        // One-shot: whoever still waits needs the registration armed again.
        _ = rearm()
    }

    private func resumeReader(with error: HTTPClientError?) {
        guard let waiter = reader else { return }
        reader = nil
        finish(waiter, error)
    }

    private func resumeWriter(with error: HTTPClientError?) {
        guard let waiter = writer else { return }
        writer = nil
        finish(waiter, error)
    }

    private func finish(_ waiter: Waiter, _ error: HTTPClientError?) {
        if let timerID = waiter.timerID { loop.cancelTimer(timerID) }
        if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
    }

    /// True when the idle socket is still usable: no EOF and no unexpected bytes pending.
    func isReusable() -> Bool {
        var byte: UInt8 = 0
        let n = Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }
}

import CLinuxShims
import Glibc
import Synchronization

/// A small TCP client socket for tests and the WebSocket client: connect with a timeout, then
/// read and write either blocking with a timeout (`read(max:timeout:)`, `writeAll`) or
/// non-blocking (`tryRead`, `tryWrite`) with `waitReadable` / `waitWritable` for readiness.
///
/// One task at a time may read and one may write; `close()` is idempotent.
public final class ClientSocket: Sendable {
    private let fdBox: Atomic<Int32>
    /// The address of the server end.
    public let remote: SocketAddress

    private var fd: Int32 { fdBox.load(ordering: .relaxed) }

    /// Connects to `host:port`, giving up after `timeout`.
    public init(host: String, port: Int, timeout: Duration = .seconds(5)) throws(SystemError) {
        let candidates = try SocketAddress.resolve(host: host, port: port, passive: false)
        var lastError = SystemError(errno: EHOSTUNREACH, function: "connect(\(host))")
        for var candidate in candidates {
            let fd = socket(candidate.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SystemError(errno: errno, function: "socket"); continue }
            let rc = withUnsafePointer(to: &candidate.storage) { ptr in
                ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, candidate.length) }
            }
            var failure: SystemError?
            if rc != 0 {
                if errno == EINPROGRESS {
                    if !Self.poll(fd, events: Int16(POLLOUT), timeout: timeout) {
                        failure = .timedOut("connect")
                    } else {
                        var soError: Int32 = 0
                        var length = socklen_t(4)
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                        if soError != 0 { failure = SystemError(errno: soError, function: "connect") }
                    }
                } else {
                    failure = SystemError(errno: errno, function: "connect")
                }
            }
            if let failure {
                Glibc.close(fd)
                lastError = failure
                continue
            }
            Socket.setNoDelay(fd)
            self.fdBox = Atomic(fd)
            self.remote = SocketAddress(host: host, port: port)
            return
        }
        throw lastError
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    public func close() {
        let old = fdBox.exchange(-1, ordering: .acquiringAndReleasing)
        if old >= 0 { Glibc.close(old) }
    }

    /// Half-closes: tells the peer we will send nothing more.
    public func shutdownWrite() { Socket.shutdownWrite(fd) }

    /// Writes every byte, waiting up to `timeout` for each readiness.
    public func writeAll(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(SystemError) in try tryWrite(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            let n = try result.get()
            if let n { offset += n } else if !waitWritable(timeout: timeout) { throw .timedOut("send") }
        }
    }

    public func writeAll(_ text: String, timeout: Duration = .seconds(10)) throws(SystemError) {
        try writeAll(Array(text.utf8), timeout: timeout)
    }

    /// Reads up to `max` bytes, waiting up to `timeout`. An empty result means the peer closed.
    public func read(max: Int = 65536, timeout: Duration = .seconds(10)) throws(SystemError) -> [UInt8] {
        while true {
            if let bytes = try tryRead(max: max) { return bytes }
            if !waitReadable(timeout: timeout) { throw .timedOut("recv") }
        }
    }

    /// Non-blocking read: nil when nothing is available yet, empty when the peer closed.
    public func tryRead(max: Int = 65536) throws(SystemError) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: max)
        let result = out.withUnsafeMutableBytes { raw in
            Result { () throws(SystemError) in try Socket.read(fd, into: raw) }
        }
        switch try result.get() {
        case .wouldBlock: return nil
        case .processed(let n):
            out.removeSubrange(n...)
            return out
        }
    }

    /// Non-blocking write: the count written, or nil when the send buffer is full.
    public func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        switch try Socket.write(fd, from: bytes) {
        case .wouldBlock: return nil
        case .processed(let n): return n
        }
    }

    /// Waits until data (or EOF) can be read; false on timeout.
    public func waitReadable(timeout: Duration) -> Bool { Self.poll(fd, events: Int16(POLLIN), timeout: timeout) }

    /// Waits until the send buffer has room; false on timeout.
    public func waitWritable(timeout: Duration) -> Bool { Self.poll(fd, events: Int16(POLLOUT), timeout: timeout) }

    private static func poll(_ fd: Int32, events: Int16, timeout: Duration) -> Bool {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let deadline = monotonicNanos() &+ timeout.nanoseconds
        while true {
            let now = monotonicNanos()
            let remaining = deadline > now ? Int32(min((deadline - now) / 1_000_000 + 1, 1_000_000)) : 0
            let rc = Glibc.poll(&pfd, 1, remaining)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno != EINTR { return true }  // let the following call report the error
        }
    }
}

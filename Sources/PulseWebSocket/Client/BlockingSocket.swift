import Glibc

/// A blocking TCP client socket for the WebSocket client, which reads on its own thread.
/// Minimal on purpose; the shared client socket in PulseSystem can replace it.
final class BlockingSocket: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `host:port` (name resolved with getaddrinfo), blocking up to the kernel's
    /// connect timeout; `SO_SNDTIMEO` bounds every later write.
    init(host: String, port: Int, writeTimeoutSeconds: Int = 10) throws(WebSocketClientError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .connectFailed("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        var lastErrno: Int32 = 0
        while let info = node {
            let s = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if s >= 0 {
                if connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    var tv = timeval(tv_sec: writeTimeoutSeconds, tv_usec: 0)
                    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                    fd = s
                    return
                }
                lastErrno = errno
                Glibc.close(s)
            }
            node = info.pointee.ai_next
        }
        throw .connectFailed("connect to \(host):\(port) failed (errno \(lastErrno))")
    }

    deinit { Glibc.close(fd) }

    /// Blocks until bytes arrive; empty on end of stream or error.
    func read(max: Int = 65_536) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, max, 0) }
            if n > 0 { return Array(buffer[0..<n]) }
            if n < 0 && errno == EINTR { continue }
            return []
        }
    }

    /// Writes every byte; false when the peer is gone or the write timed out.
    func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Bounds each read (0 = wait forever); used while the handshake response is awaited.
    func setReadTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Wakes a blocked reader and ends both directions; the fd is released on deinit.
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}

/// Runs `body` on a new detached thread (blocking reads must stay off the task pool).
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed")
    pthread_detach(thread)
}

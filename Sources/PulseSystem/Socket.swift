import CLinuxShims
import Glibc

/// Thin wrappers over socket system calls. File descriptors are plain `Int32` inside the
/// package; nothing here is public.
package enum Socket {
    /// Creates a non-blocking listening TCP socket bound to `host:port` (port 0 = ephemeral).
    /// - Returns: the descriptor and the port actually bound.
    package static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(SystemError) -> (fd: Int32, port: Int) {
        let candidates = try SocketAddress.resolve(host: host, port: port, passive: true)
        var lastError = SystemError(errno: EADDRNOTAVAIL, function: "bind(\(host))")
        for var candidate in candidates {
            let fd = socket(candidate.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SystemError(errno: errno, function: "socket"); continue }
            setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            let bound = withUnsafePointer(to: &candidate.storage) { ptr in
                ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, candidate.length) }
            }
            if bound != 0 || Glibc.listen(fd, backlog) != 0 {
                lastError = SystemError(errno: errno, function: bound != 0 ? "bind" : "listen")
                Glibc.close(fd)
                continue
            }
            return (fd, try localAddress(fd).port)
        }
        throw lastError
    }

    /// Accepts one connection, non-blocking and close-on-exec.
    package static func accept(_ listener: Int32) throws(SystemError) -> IOResult<(fd: Int32, remote: SocketAddress?)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { ptr throws(SystemError) in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                try syscall("accept4") {
                    clinux_accept4(listener, sa, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed(let fd): return .processed((fd, SocketAddress(storage: &storage)))
        }
    }

    /// Reads into `buffer`; `.processed(0)` means the peer closed its side.
    @inline(__always)
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes from `buffer`; a short count is possible.
    @inline(__always)
    package static func write(_ fd: Int32, from buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    package static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Disables Nagle's algorithm: responses are written whole, latency matters more.
    package static func setNoDelay(_ fd: Int32) { setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }

    package static func shutdownWrite(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    package static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// The address the socket is bound to.
    package static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0, let address = SocketAddress(storage: &storage) else {
            throw SystemError(errno: errno, function: "getsockname")
        }
        return address
    }

    /// Switches a descriptor between blocking and non-blocking mode.
    package static func setNonBlocking(_ fd: Int32, _ on: Bool) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }
}

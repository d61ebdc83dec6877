import Glibc

/// An error from a system call: the failing function's name and its `errno`.
///
/// `description` names the call and the C error text; it is for logs, never for HTTP clients.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value the call failed with.
    public let errno: Int32
    /// The name of the failing call, e.g. `"accept4"`.
    public let function: String

    public init(errno: Int32, function: String) {
        self.errno = errno
        self.function = function
    }

    public var description: String {
        "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// A timed-out operation on a client socket (not a kernel errno, but reported the same way).
    public static func timedOut(_ function: String) -> SystemError { SystemError(errno: ETIMEDOUT, function: function) }
}

/// The outcome of a non-blocking call: done, or the kernel would have had to block.
package enum IOResult<T> {
    case processed(T)
    case wouldBlock
}

/// Runs a system call: retries on `EINTR`, reports `EAGAIN`/`EWOULDBLOCK` as `.wouldBlock`,
/// and throws every other failure as a `SystemError` naming `function`.
@inline(__always)
package func syscall<T: FixedWidthInteger>(
    _ function: StaticString,
    _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = Glibc.errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SystemError(errno: code, function: String(describing: function))
        }
    }
}

/// Like `syscall` for calls that never legitimately block (setsockopt, epoll_ctl, ...).
@inline(__always)
@discardableResult
package func syscallChecked<T: FixedWidthInteger>(
    _ function: StaticString,
    _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(errno: code, function: String(describing: function))
    }
}

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC), the clock every deadline in the loop uses.
@inline(__always)
package func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped at zero.
    package var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}

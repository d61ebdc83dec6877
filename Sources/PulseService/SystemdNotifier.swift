#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd about the service's state (`sd_notify` without libsystemd): a datagram to the
/// unix socket named by `$NOTIFY_SOCKET`, a path or, with a leading `@`, an abstract name.
/// Does nothing when the variable is unset (not started by systemd with `Type=notify`).
public struct SystemdNotifier: Sendable {
    /// The socket address from the environment, nil when not under systemd.
    public let socketPath: String?

    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"] ?? ""
        socketPath = path.isEmpty ? nil : path
    }

    /// `READY=1`: startup finished, the service accepts requests.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send("READY=1\nMAINPID=\(getpid())" + (status.map { "\nSTATUS=\($0)" } ?? ""))
    }

    /// `STOPPING=1`: graceful shutdown began.
    @discardableResult
    public func stopping() -> Bool { send("STOPPING=1") }

    /// Sends one raw notification (newline-separated `KEY=value` lines); false when not sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length) }
            }
        }
        return sent == payload.count
    }
}

import Glibc

/// Loopback ports for test servers that must be told their port in advance (child
/// processes, PostgreSQL). Chosen below Linux's ephemeral range (32768-60999): a port in
/// that range can be taken by any test's outgoing connection between the check and the
/// server's bind, which made clusters fail to start under the parallel suite.
public enum FreePorts {
    /// One free port.
    public static func one() -> Int { pick { isFree($0) } }

    /// Two consecutive free ports (a PostgreSQL primary and its replica).
    public static func pair() -> Int { pick { isFree($0) && isFree($0 + 1) } }

    private static func pick(_ usable: (Int) -> Bool) -> Int {
        var generator = SystemRandomNumberGenerator()
        while true {
            let port = Int.random(in: 20_000...32_000, using: &generator)
            if usable(port) { return port }
        }
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

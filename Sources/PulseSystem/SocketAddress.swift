import CLinuxShims
import Glibc

/// An IPv4 or IPv6 address and port, as text (no C types cross the API).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// Numeric host, e.g. `127.0.0.1` or `::1`.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Decodes a kernel socket address (AF_INET / AF_INET6); nil for other families.
    package init?(storage: UnsafePointer<sockaddr_storage>) {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var port = 0
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let ok = storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> Bool in
                var addr = sin.pointee.sin_addr
                port = Int(UInt16(bigEndian: sin.pointee.sin_port))
                return inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil
            }
            guard ok else { return nil }
        case AF_INET6:
            let ok = storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 -> Bool in
                var addr = sin6.pointee.sin6_addr
                port = Int(UInt16(bigEndian: sin6.pointee.sin6_port))
                return inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil
            }
            guard ok else { return nil }
        default:
            return nil
        }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        self.host = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.port = port
    }

    /// Resolves `host` (numeric or a name such as `localhost`) for a TCP socket.
    /// Returns the raw addresses to try in order.
    package static func resolve(host: String, port: Int, passive: Bool) throws(SystemError) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var result: UnsafeMutablePointer<addrinfo>?
        let node: String? = host.isEmpty ? nil : host
        let rc = getaddrinfo(node, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw SystemError(errno: rc == EAI_SYSTEM ? Glibc.errno : EINVAL, function: "getaddrinfo(\(host))")
        }
        defer { freeaddrinfo(first) }
        var out: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let addr = info.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(info.pointee.ai_addrlen)))
                }
                out.append(ResolvedAddress(family: info.pointee.ai_family, storage: storage, length: info.pointee.ai_addrlen))
            }
            cursor = info.pointee.ai_next
        }
        // Prefer IPv4 first: loopback tests bind 127.0.0.1 and "localhost" should match it.
        return out.sorted { $0.family == AF_INET && $1.family != AF_INET }
    }
}

/// A resolved kernel address, kept inside the module family.
package struct ResolvedAddress {
    package var family: Int32
    package var storage: sockaddr_storage
    package var length: socklen_t
}

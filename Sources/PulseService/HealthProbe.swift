#if canImport(Glibc)
import Glibc
#endif

/// A one-shot blocking `GET` over loopback TCP with a deadline, used by `pulse status` and
/// `pulse up --detach` to ask a service for `/health`. Not a general HTTP client: it sends
/// `Connection: close` and reads until the server closes.
public enum HealthProbe {
    /// A response's status code and body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: String
    }

    /// Fetches `path` from `host:port` (an IPv4 literal; `0.0.0.0`, `::` and `localhost` probe 127.0.0.1).
    /// - Returns: nil when the service cannot be reached or does not answer HTTP in time.
    public static func get(host: String, port: Int, path: String = "/health", timeout: Double = 1) -> Response? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        // A wildcard or local name is probed on IPv4 loopback (dual-stack "::" accepts it too).
        let target = ["0.0.0.0", "::", "localhost", ""].contains(host) ? "127.0.0.1" : host
        guard inet_pton(AF_INET, target, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return nil
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while received.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return parse(received)
    }

    static func parse(_ bytes: [UInt8]) -> Response? {
        let crlf: [UInt8] = [0x0D, 0x0A]
        guard bytes.starts(with: Array("HTTP/1.".utf8)), let headEnd = bytes.firstRange(of: crlf + crlf),
              let lineEnd = bytes.firstRange(of: crlf) else { return nil }
        let statusLine = String(decoding: bytes[..<lineEnd.lowerBound], as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        let head = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        var body = Array(bytes[headEnd.upperBound...])
        if head.contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Response(status: status, body: String(decoding: body, as: UTF8.self))
    }

    /// Joins the chunks of a chunked body (extensions ignored, stops at the last chunk or bad framing).
    private static func dechunk(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = body[...]
        while let lineEnd = rest.firstRange(of: [0x0D, 0x0A]) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0,
                  lineEnd.upperBound + size <= rest.endIndex else { break }
            out += rest[lineEnd.upperBound..<lineEnd.upperBound + size]
            rest = rest[(lineEnd.upperBound + size)...].dropFirst(2)
        }
        return out
    }
}

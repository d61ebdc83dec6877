import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny blocking HTTP/1.1 server on 127.0.0.1 (port chosen by the kernel) that stands
/// in for an OpenAI-compatible embeddings API: each request is parsed, recorded and
/// answered by `handler`, then the connection is closed.
final class FakeOpenAIServer: @unchecked Sendable {  // mutable state guarded by lock
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [String: String]  // lower-cased names
        let body: Data
    }
    typealias Handler = @Sendable (Request) -> (status: Int, body: String)

    let port: Int
    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var received: [Request] = []
    private let finished = DispatchSemaphore(value: 0)

    var requests: [Request] { lock.withLock { received } }

    init(handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0
                    && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// http://127.0.0.1:PORT/v1
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        finished.wait()
        close(listener)
    }

    private func serve() {
        defer { finished.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            if let request = readRequest(connection) {
                lock.withLock { received.append(request) }
                let (status, body) = handler(request)
                let bytes = Array(body.utf8)
                let head = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
                writeAll(connection, Array(head.utf8) + bytes)
            }
            close(connection)
        }
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        func headerEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            return (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }
        }
        var end: Int?
        while end == nil {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
            end = headerEnd()
        }
        let headText = String(decoding: buffer[0..<end!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(buffer[(end! + 4)...])
        while body.count < length {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return nil }
            body += chunk[0..<count]
        }
        guard requestLine.count >= 2 else { return nil }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data(body))
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// OpenAI's real /v1/embeddings response shape.
func openAIEmbeddingsResponse(model: String, vectors: [(index: Int, vector: [Float])]) -> String {
    let items = vectors.map { item in
        "{\"object\": \"embedding\", \"index\": \(item.index), \"embedding\": [\(item.vector.map { "\($0)" }.joined(separator: ", "))]}"
    }
    return """
        {"object": "list", "data": [\(items.joined(separator: ", "))], "model": "\(model)",
         "usage": {"prompt_tokens": 8, "total_tokens": 8}}
        """
}

/// OpenAI's real error shape.
func openAIErrorResponse(message: String, type: String, code: String) -> String {
    """
    {"error": {"message": "\(message)", "type": "\(type)", "param": null, "code": "\(code)"}}
    """
}

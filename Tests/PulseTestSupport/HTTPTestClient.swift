import Foundation
import PulseHTTP
import PulseSystem

/// A response as a test client read it off the wire.
public struct TestHTTPResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public func header(_ name: String) -> String? { headers[name] }
}

/// Errors a test client reports.
public enum TestHTTPClientError: Error, Sendable {
    case closedBeforeResponse
    case malformedResponse(String)
}

/// A one-connection raw-socket HTTP/1.1 client for live tests: send exact bytes, read exact
/// responses (Content-Length, chunked or close-delimited), see when the server closes.
///
/// Reads are `async` and never block a thread while waiting (they poll and sleep), because the
/// server under test runs its handlers on the same cooperative thread pool.
public final class HTTPTestClient: @unchecked Sendable {
    public let socket: ClientSocket
    private var buffer: [UInt8] = []
    private var peerClosed = false

    public init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(5)) throws {
        socket = try ClientSocket(host: host, port: port, timeout: timeout)
    }

    deinit { socket.close() }

    public func send(_ text: String) throws { try socket.writeAll(Array(text.utf8)) }
    public func send(_ bytes: [UInt8]) throws { try socket.writeAll(bytes) }

    /// Sends a request built from parts (adds Host and Content-Length).
    public func request(
        _ method: String = "GET",
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        timeout: Duration = .seconds(10)
    ) async throws -> TestHTTPResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + body)
        return try await readResponse(isHead: method == "HEAD", timeout: timeout)
    }

    /// Reads one final response (skipping 1xx interim responses unless `interim` is true).
    public func readResponse(isHead: Bool = false, interim: Bool = false, timeout: Duration = .seconds(10)) async throws -> TestHTTPResponse {
        while true {
            let headEnd = try await readUntil([0x0D, 0x0A, 0x0D, 0x0A], timeout: timeout)
            let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
            buffer.removeSubrange(..<(headEnd + 4))
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw TestHTTPClientError.malformedResponse(statusLine)
            }
            var headers = HTTPHeaders()
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { throw TestHTTPClientError.malformedResponse(line) }
                headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: " \t"))
            }
            var response = TestHTTPResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
            if (100..<200).contains(status) {
                if interim || status == 101 { return response }
                continue
            }
            if isHead || status == 204 || status == 304 { return response }
            if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
                response.body = try await readChunked(timeout: timeout)
            } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
                try await fill(length, timeout: timeout)
                response.body = Array(buffer[..<length])
                buffer.removeSubrange(..<length)
            } else {
                response.body = try await readUntilClosed(timeout: timeout)
            }
            return response
        }
    }

    /// Reads everything until the server closes.
    public func readUntilClosed(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        while !peerClosed { try await receive(timeout: timeout) }
        defer { buffer = [] }
        return buffer
    }

    /// True when the server closes the connection within `timeout` (reading and dropping data).
    public func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        do {
            _ = try await readUntilClosed(timeout: timeout)
            return true
        } catch {
            return peerClosed
        }
    }

    /// Bytes received but not yet consumed by `readResponse`.
    public var pendingBytes: [UInt8] { buffer }

    private func readChunked(timeout: Duration) async throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd = try await readUntil([0x0D, 0x0A], timeout: timeout)
            let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            buffer.removeSubrange(..<(lineEnd + 2))
            guard let size = Int(sizeText, radix: 16) else { throw TestHTTPClientError.malformedResponse("chunk size \(sizeText)") }
            if size == 0 {
                let end = try await readUntil([0x0D, 0x0A], timeout: timeout)  // no trailers expected
                buffer.removeSubrange(..<(end + 2))
                return body
            }
            try await fill(size + 2, timeout: timeout)
            body.append(contentsOf: buffer[..<size])
            buffer.removeSubrange(..<(size + 2))
        }
    }

    private func readUntil(_ marker: [UInt8], timeout: Duration) async throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                var i = searchFrom
                while i + marker.count <= buffer.count {
                    if buffer[i] == marker[0] && Array(buffer[i..<(i + marker.count)]) == marker { return i }
                    i += 1
                }
                searchFrom = max(0, buffer.count - marker.count + 1)
            }
            if peerClosed { throw TestHTTPClientError.closedBeforeResponse }
            try await receive(timeout: timeout)
        }
    }

    private func fill(_ count: Int, timeout: Duration) async throws {
        while buffer.count < count {
            if peerClosed { throw TestHTTPClientError.closedBeforeResponse }
            try await receive(timeout: timeout)
        }
    }

    /// Reads whatever arrives next (at least one byte), or empty when the server closed.
    public func readSome(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        if buffer.isEmpty && !peerClosed { try await receive(timeout: timeout) }
        defer { buffer = [] }
        return buffer
    }

    private func receive(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let bytes: [UInt8]?
            do {
                bytes = try socket.tryRead()
            } catch where error.errno == 104 {  // ECONNRESET: the server closed with unread data
                peerClosed = true
                return
            }
            if let bytes {
                if bytes.isEmpty { peerClosed = true } else { buffer.append(contentsOf: bytes) }
                return
            }
            if ContinuousClock.now > deadline { throw SystemError.timedOut("recv") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

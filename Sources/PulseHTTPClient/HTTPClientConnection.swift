import PulseHTTP
import PulseSystem

/// One keep-alive connection to an origin. Used by one request at a time (the pool hands it
/// out and takes it back); reads are buffered so bytes of the next response stay put.
final class HTTPClientConnection: @unchecked Sendable {
    let origin: ClientURL.Origin
    let transport: any ClientTransport
    /// Requests completed on this connection (0 while the first one runs).
    private(set) var completedRequests = 0
    /// Monotonic time it went idle (set by the pool).
    var idleSince: UInt64 = 0
    private var buffer: [UInt8] = []
    private var position = 0

    init(origin: ClientURL.Origin, transport: any ClientTransport) {
        self.origin = origin
        self.transport = transport
    }

    func close() { transport.close() }

    /// What a finished exchange produced.
    struct Exchange {
        var head: ClientResponseHead
        var body: [UInt8]
        /// The connection can be pooled again.
        var reusable: Bool
    }

    /// A failure, and whether any response byte had arrived (a stale pooled connection fails
    /// before that; such a request may be retried on a fresh connection).
    struct Failure: Error {
        var error: HTTPClientError
        var receivedAnything: Bool
    }

    /// Writes `request` and reads its response (skipping 1xx interim responses).
    func exchange(_ request: [UInt8], method: HTTPMethod, maximumHeadBytes: Int, maximumBodyBytes: Int,
                  deadline: UInt64, timeout: HTTPClientError) async throws(Failure) -> Exchange {
        var receivedAnything = false
        do {
            try await transport.write(request, deadline: deadline, timeout: timeout)
            while true {
                let head = try await readHead(limit: maximumHeadBytes, deadline: deadline, timeout: timeout) { receivedAnything = true }
                if (100..<200).contains(head.status) && head.status != 101 { continue }
                let framing = try head.framing(method: method)
                let body: [UInt8]
                switch framing {
                case .none: body = []
                case .length(let n):
                    guard n <= maximumBodyBytes else { throw HTTPClientError.responseTooLarge(limit: maximumBodyBytes) }
                    body = try await readExactly(n, deadline: deadline, timeout: timeout)
                case .chunked: body = try await readChunked(limit: maximumBodyBytes, deadline: deadline, timeout: timeout)
                case .close: body = try await readToEnd(limit: maximumBodyBytes, deadline: deadline, timeout: timeout)
                }
                completedRequests += 1
                let reusable = framing != .close && head.keepAlive && head.status != 101 && position == buffer.count
                return Exchange(head: head, body: body, reusable: reusable)
            }
        } catch let error as HTTPClientError {
            throw Failure(error: error, receivedAnything: receivedAnything)
        } catch {
            throw Failure(error: .io("\(error)"), receivedAnything: receivedAnything)
        }
    }

    /// Bytes read past the last response (the first bytes of an upgraded protocol).
    func takeBuffered() -> [UInt8] {
        defer {
            buffer = []
            position = 0
        }
        return Array(buffer[position...])
    }

    // MARK: Buffered reading

    private var available: Int { buffer.count - position }

    /// Reads more bytes into the buffer; throws `connectionClosed` at end of stream.
    private func fill(deadline: UInt64, timeout: HTTPClientError) async throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 64 * 1024 {
            buffer.removeSubrange(..<position)
            position = 0
        }
        let bytes = try await transport.read(max: 64 * 1024, deadline: deadline, timeout: timeout)
        if bytes.isEmpty { throw HTTPClientError.connectionClosed }
        buffer.append(contentsOf: bytes)
    }

    private func readHead(limit: Int, deadline: UInt64, timeout: HTTPClientError, onBytes: () -> Void) async throws -> ClientResponseHead {
        // Bytes after `position` already searched (positions move when `fill` compacts).
        var scanned = 0
        while true {
            if let end = Self.find(crlfcrlf: buffer, from: position + max(0, scanned - 3)) {
                guard end - position <= limit else { throw HTTPClientError.responseTooLarge(limit: limit) }
                let head = try ClientResponseHead(parsing: buffer[position..<end])
                position = end + 4
                return head
            }
            scanned = available
            if available > limit { throw HTTPClientError.responseTooLarge(limit: limit) }
            try await fill(deadline: deadline, timeout: timeout)
            onBytes()
        }
    }

    static func find(crlfcrlf bytes: [UInt8], from start: Int) -> Int? {
        var i = max(0, start)
        while i + 3 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func readExactly(_ n: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        while available < n { try await fill(deadline: deadline, timeout: timeout) }
        let out = Array(buffer[position..<position + n])
        position += n
        return out
    }

    private func readLine(limit: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> ArraySlice<UInt8> {
        while true {
            if let lf = buffer[position...].firstIndex(of: 10) {
                var line = buffer[position..<lf]
                guard line.last == 13 else { throw HTTPClientError.malformedResponse("bare LF in chunked framing") }
                line = line.dropLast()
                position = lf + 1
                return line
            }
            if available > limit { throw HTTPClientError.malformedResponse("chunk line too long") }
            try await fill(deadline: deadline, timeout: timeout)
        }
    }

    private func readChunked(limit: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try await readLine(limit: 4096, deadline: deadline, timeout: timeout)
            let sizeText = line.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == 32 || $0 == 9 }
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(String(decoding: sizeText, as: UTF8.self).trimmingSpaces(), radix: 16), size >= 0
            else { throw HTTPClientError.malformedResponse("bad chunk size") }
            if size == 0 {
                // Trailer fields (ignored) up to the empty line.
                var trailerBytes = 0
                while true {
                    let trailer = try await readLine(limit: 8192, deadline: deadline, timeout: timeout)
                    if trailer.isEmpty { return body }
                    trailerBytes += trailer.count
                    if trailerBytes > 16 * 1024 { throw HTTPClientError.malformedResponse("trailers too large") }
                }
            }
            guard body.count + size <= limit else { throw HTTPClientError.responseTooLarge(limit: limit) }
            while available < size + 2 { try await fill(deadline: deadline, timeout: timeout) }
            body.append(contentsOf: buffer[position..<position + size])
            position += size
            guard buffer[position] == 13, buffer[position + 1] == 10 else { throw HTTPClientError.malformedResponse("chunk not followed by CRLF") }
            position += 2
        }
    }

    private func readToEnd(limit: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        var body = Array(buffer[position...])
        position = buffer.count
        while true {
            if body.count > limit { throw HTTPClientError.responseTooLarge(limit: limit) }
            let bytes = try await transport.read(max: 64 * 1024, deadline: deadline, timeout: timeout)
            if bytes.isEmpty { return body }
            body.append(contentsOf: bytes)
        }
    }
}

import PulseHTTP
import PulseSystem

/// One keep-alive connection to an origin. Used by one request at a time (the pool hands it
/// out and takes it back); reads are buffered so bytes of the next response stay put.
final class HTTPClientConnection: @unchecked Sendable {
    let origin: ClientURL.Origin
    let transport: any ClientTransport
    /// Requests completed on this connection (0 while the first one runs).
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

    /// Where the reader is in a response body.
    enum BodyCursor {
        case length(remaining: Int)
        /// Before a chunk-size line.
        case chunkHeader
        /// Inside a chunk's data.
        case chunk(remaining: Int)
        /// Until the server closes.
        case close
        case done
    }

    /// Writes `request` and reads the response head (skipping 1xx interim responses except 101).
    /// `onBytes` runs when the first response bytes arrive.
    func send(_ request: [UInt8], method: HTTPMethod, maximumHeadBytes: Int, deadline: UInt64, timeout: HTTPClientError,
              onBytes: () -> Void) async throws -> (ClientResponseHead, BodyCursor) {
        try await transport.write(request, deadline: deadline, timeout: timeout)
        while true {
            let head = try await readHead(limit: maximumHeadBytes, deadline: deadline, timeout: timeout, onBytes: onBytes)
            if (100..<200).contains(head.status) && head.status != 101 { continue }
            switch try head.framing(method: method) {
            case .none: return (head, .done)
            case .length(let n): return (head, .length(remaining: n))
            case .chunked: return (head, .chunkHeader)
            case .close: return (head, .close)
            }
        }
    }

    /// Writes `request` and reads the whole response.
    func exchange(_ request: [UInt8], method: HTTPMethod, maximumHeadBytes: Int, maximumBodyBytes: Int,
                  deadline: UInt64, timeout: HTTPClientError) async throws(Failure) -> Exchange {
        var receivedAnything = false
        do {
            let (head, start) = try await send(request, method: method, maximumHeadBytes: maximumHeadBytes, deadline: deadline,
                                                timeout: timeout) { receivedAnything = true }
            var cursor = start
            let closeDelimited = if case .close = cursor { true } else { false }
            if case .length(let n) = cursor, n > maximumBodyBytes { throw HTTPClientError.responseTooLarge(limit: maximumBodyBytes) }
            var body: [UInt8] = []
            while let piece = try await nextBodyPiece(&cursor, limit: maximumBodyBytes - body.count, reportedLimit: maximumBodyBytes,
                                                          deadline: deadline, timeout: timeout) {
                body += piece
            }
            return Exchange(head: head, body: body, reusable: finished(head, closeDelimited: closeDelimited))
        } catch let error as HTTPClientError {
            throw Failure(error: error, receivedAnything: receivedAnything)
        } catch {
            throw Failure(error: .io("\(error)"), receivedAnything: receivedAnything)
        }
    }

    /// Counts a completed response; true when the connection can serve another request.
    func finished(_ head: ClientResponseHead, closeDelimited: Bool) -> Bool {
        return !closeDelimited && head.keepAlive && head.status != 101 && position == buffer.count
    }

    /// The next piece of the body (nil at its end), at most `limit` bytes of data in total
    /// from here on (more is `responseTooLarge(limit: reportedLimit)`).
    func nextBodyPiece(_ cursor: inout BodyCursor, limit: Int, reportedLimit: Int, deadline: UInt64,
                       timeout: HTTPClientError) async throws -> [UInt8]? {
        while true {
            switch cursor {
            case .done:
                return nil
            case .length(let remaining):
                if remaining == 0 {
                    cursor = .done
                    return nil
                }
                if available == 0 { try await fill(deadline: deadline, timeout: timeout) }
                let piece = take(min(remaining, available))
                cursor = .length(remaining: remaining - piece.count)
                return piece
            case .chunkHeader:
                let line = try await readLine(limit: 4096, deadline: deadline, timeout: timeout)
                let sizeText = line.prefix { $0 != UInt8(ascii: ";") }
                guard !sizeText.isEmpty, sizeText.count <= 15,
                    let size = Int(String(decoding: sizeText, as: UTF8.self).trimmingCharacters(in: " \t"), radix: 16), size >= 0
                else { throw HTTPClientError.malformedResponse("bad chunk size") }
                if size == 0 {
                    try await skipTrailers(deadline: deadline, timeout: timeout)
                    cursor = .done
                    return nil
                }
                guard size <= limit else { throw HTTPClientError.responseTooLarge(limit: reportedLimit) }
                cursor = .chunk(remaining: size)
            case .chunk(let remaining):
                if available == 0 { try await fill(deadline: deadline, timeout: timeout) }
                let piece = take(min(remaining, available))
                if piece.count == remaining {
                    while available < 2 { try await fill(deadline: deadline, timeout: timeout) }
                    guard buffer[position] == 13, buffer[position + 1] == 10 else {
                        throw HTTPClientError.malformedResponse("chunk not followed by CRLF")
                    }
                    position += 2
                    cursor = .chunkHeader
                } else {
                    cursor = .chunk(remaining: remaining - piece.count)
                }
                return piece
            case .close:
                let piece = available > 0 ? take(available) : try await transport.read(max: 64 * 1024, deadline: deadline, timeout: timeout)
                if piece.isEmpty {
                    cursor = .done
                    return nil
                }
                guard piece.count <= limit else { throw HTTPClientError.responseTooLarge(limit: reportedLimit) }
                return piece
            }
        }
    }

    private func take(_ n: Int) -> [UInt8] {
        let out = Array(buffer[position..<position + n])
        position += n
        return out
    }

    /// Trailer fields (ignored, bounded) up to the empty line.
    private func skipTrailers(deadline: UInt64, timeout: HTTPClientError) async throws {
        var trailerBytes = 0
        while true {
            let trailer = try await readLine(limit: 8192, deadline: deadline, timeout: timeout)
            if trailer.isEmpty { return }
            trailerBytes += trailer.count
            if trailerBytes > 16 * 1024 { throw HTTPClientError.malformedResponse("trailers too large") }
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
}

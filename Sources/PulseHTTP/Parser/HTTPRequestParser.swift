// Pure Swift (standard library only); see HTTPParserTypes.swift.

/// An incremental, bounded HTTP/1.1 request parser (RFC 9112) written as a byte-level state
/// machine. Feed it whatever bytes arrived; each call consumes some and returns at most one event.
/// Call again with the rest (even with no bytes: `.end` may be pending) until it returns nil.
///
/// Refuses request smuggling vectors outright (RFC 9112 §6.3, §5.2, §5.1): Content-Length with
/// Transfer-Encoding, differing Content-Lengths, bad chunk sizes, obs-fold, whitespace before the colon.
package struct HTTPRequestParser {
    private enum State {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case messageEnd
        case failed(HTTPParserError)
    }

    package let limits: HTTPParserLimits
    private var state: State = .requestLine
    private var line: [UInt8] = []
    private var sectionBytes = 0
    private var leadingEmptyLines = 0
    private var head: HTTPParsedHead?
    private var bodyReceived = 0

    package init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
        line.reserveCapacity(256)
    }

    /// True between messages: nothing of the next request has been seen yet.
    package var isIdle: Bool {
        if case .requestLine = state { return line.isEmpty && leadingEmptyLines == 0 }
        return false
    }

    /// True while the head of a request is being read (request line or header fields).
    package var isReadingHead: Bool {
        switch state {
        case .requestLine: return !line.isEmpty || leadingEmptyLines > 0
        case .headers: return true
        default: return false
        }
    }

    /// Parses from `input`. Returns how many bytes were consumed and the event, if one completed.
    package mutating func parse(_ input: UnsafeRawBufferPointer) throws(HTTPParserError) -> (consumed: Int, event: HTTPParserEvent?) {
        var index = 0
        let count = input.count
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .messageEnd:
                state = .requestLine
                head = nil
                bodyReceived = 0
                leadingEmptyLines = 0
                return (index, .end)
            case .body(let remaining):
                if index == count { return (index, nil) }
                let n = min(remaining, count - index)
                let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: input[index..<(index + n)]))
                state = remaining == n ? .messageEnd : .body(remaining: remaining - n)
                return (index + n, .body(bytes))
            case .chunkData(let remaining):
                if index == count { return (index, nil) }
                let n = min(remaining, count - index)
                let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: input[index..<(index + n)]))
                state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
                return (index + n, .body(bytes))
            case .requestLine, .headers, .chunkSize, .chunkDataEnd, .trailers:
                if index == count { return (index, nil) }
                // Find the end of the line in what arrived, enforcing the limit before buffering.
                var end = index
                while end < count && input[end] != 0x0A { end += 1 }
                let segment = end - index
                do throws(HTTPParserError) {
                    try checkLineLimit(adding: segment + (end < count ? 1 : 0))
                } catch {
                    state = .failed(error)
                    throw error
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<end]))
                if end == count { return (count, nil) }
                index = end + 1
                do throws(HTTPParserError) {
                    if let event = try completeLine() { return (index, event) }
                } catch {
                    state = .failed(error)
                    throw error
                }
            }
        }
    }

    // MARK: Lines

    private mutating func checkLineLimit(adding bytes: Int) throws(HTTPParserError) {
        switch state {
        case .requestLine:
            if line.count + bytes > limits.maxRequestLineLength + 2 { throw HTTPParserError(414, "request line too long") }
        case .headers:
            sectionBytes += bytes
            if sectionBytes > limits.maxHeaderBytes { throw HTTPParserError(431, "header section too large") }
        case .trailers:
            sectionBytes += bytes
            if sectionBytes > limits.maxHeaderBytes { throw HTTPParserError(431, "trailer section too large") }
        case .chunkSize:
            if line.count + bytes > 1024 { throw HTTPParserError(400, "chunk size line too long") }
        default:
            if line.count + bytes > 2 { throw HTTPParserError(400, "missing CRLF after chunk data") }
        }
    }

    /// Handles one line (without its LF) held in `line`.
    private mutating func completeLine() throws(HTTPParserError) -> HTTPParserEvent? {
        guard line.last == 0x0D else { throw HTTPParserError(400, "line not terminated by CRLF") }
        line.removeLast()
        if line.contains(0x0D) { throw HTTPParserError(400, "bare CR in line") }
        defer { line.removeAll(keepingCapacity: true) }
        switch state {
        case .requestLine:
            if line.isEmpty {
                // RFC 9112 §2.2: ignore empty lines before the request line, but not forever.
                leadingEmptyLines += 1
                if leadingEmptyLines > 8 { throw HTTPParserError(400, "too many empty lines") }
                return nil
            }
            head = try Self.parseRequestLine(line)
            sectionBytes = 0
            state = .headers
            return nil
        case .headers:
            if line.isEmpty { return .head(try finishHead()) }
            guard head!.headers.count < limits.maxHeaderCount else { throw HTTPParserError(431, "too many header fields") }
            head!.headers.append(try Self.parseField(line))
            return nil
        case .chunkSize:
            let size = try Self.parseChunkSize(line)
            if size > limits.maxBodyBytes - bodyReceived { throw HTTPParserError(413, "body too large") }
            bodyReceived += size
            if size == 0 {
                sectionBytes = 0
                state = .trailers
            } else {
                state = .chunkData(remaining: size)
            }
            return nil
        case .chunkDataEnd:
            guard line.isEmpty else { throw HTTPParserError(400, "missing CRLF after chunk data") }
            state = .chunkSize
            return nil
        case .trailers:
            if line.isEmpty {
                state = .messageEnd
                return nil
            }
            _ = try Self.parseField(line)  // validated, then dropped: trailers never override the head
            return nil
        default:
            return nil
        }
    }

    // MARK: Request line and fields

    private static func parseRequestLine(_ line: [UInt8]) throws(HTTPParserError) -> HTTPParsedHead {
        guard let firstSpace = line.firstIndex(of: 0x20), firstSpace > 0 else { throw HTTPParserError(400, "malformed request line") }
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: 0x20), secondSpace > firstSpace + 1 else {
            throw HTTPParserError(400, "malformed request line")
        }
        let method = line[..<firstSpace]
        let target = line[(firstSpace + 1)..<secondSpace]
        let version = line[(secondSpace + 1)...]
        guard method.allSatisfy(isTokenByte) else { throw HTTPParserError(400, "invalid method") }
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw HTTPParserError(400, "invalid request target") }
        let minor = try parseVersion(version)
        return HTTPParsedHead(
            method: String(decoding: method, as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            minorVersion: minor,
            headers: [],
            framing: .none,
            keepAlive: minor >= 1,
            expectContinue: false,
            unsupportedExpectation: false
        )
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParserError) -> Int {
        let v = Array(bytes)
        guard v.count == 8, v[0] == 0x48, v[1] == 0x54, v[2] == 0x54, v[3] == 0x50, v[4] == 0x2F, v[6] == 0x2E,
            isDigit(v[5]), isDigit(v[7])
        else { throw HTTPParserError(400, "malformed HTTP version") }
        guard v[5] == 0x31 else { throw HTTPParserError(505, "HTTP version not supported") }
        return v[7] == 0x30 ? 0 : 1
    }

    private static func parseField(_ line: [UInt8]) throws(HTTPParserError) -> (name: String, value: String) {
        if line[0] == 0x20 || line[0] == 0x09 { throw HTTPParserError(400, "obsolete line folding") }
        guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPParserError(400, "header field without colon") }
        guard colon > 0 else { throw HTTPParserError(400, "empty header field name") }
        let name = line[..<colon]
        if name.last == 0x20 || name.last == 0x09 { throw HTTPParserError(400, "whitespace before colon") }
        guard name.allSatisfy(isTokenByte) else { throw HTTPParserError(400, "invalid header field name") }
        var start = colon + 1
        var end = line.count
        while start < end && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        while end > start && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        let value = line[start..<end]
        for byte in value where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw HTTPParserError(400, "invalid character in header field value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private static func parseChunkSize(_ line: [UInt8]) throws(HTTPParserError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = hexValue(line[index]) {
            if index >= 15 { throw HTTPParserError(400, "chunk size too long") }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw HTTPParserError(400, "invalid chunk size") }
        if index < line.count {
            // Only a chunk extension may follow: BWS ";" ...
            var rest = index
            while rest < line.count && (line[rest] == 0x20 || line[rest] == 0x09) { rest += 1 }
            guard rest < line.count, line[rest] == 0x3B else { throw HTTPParserError(400, "invalid chunk size") }
            for byte in line[rest...] where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
                throw HTTPParserError(400, "invalid chunk extension")
            }
        }
        return size
    }

    // MARK: Framing (RFC 9112 §6)

    private mutating func finishHead() throws(HTTPParserError) -> HTTPParsedHead {
        var head = self.head!
        var contentLength: Int?
        var transferCodings: [String] = []
        var hostCount = 0
        var connectionTokens: [String] = []
        for (name, value) in head.headers {
            switch name.lowercased() {
            case "content-length":
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let digits = item.trimmingSpaces()
                    guard !digits.isEmpty, digits.utf8.allSatisfy(Self.isDigit) else { throw HTTPParserError(400, "invalid Content-Length") }
                    guard digits.utf8.count <= 18, let length = Int(digits) else { throw HTTPParserError(413, "body too large") }
                    if let existing = contentLength, existing != length { throw HTTPParserError(400, "conflicting Content-Length values") }
                    contentLength = length
                }
            case "transfer-encoding":
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    transferCodings.append(item.trimmingSpaces().lowercased())
                }
            case "host":
                hostCount += 1
            case "connection":
                for item in value.split(separator: ",") { connectionTokens.append(item.trimmingSpaces().lowercased()) }
            case "expect":
                if value.lowercased() == "100-continue" { head.expectContinue = true } else { head.unsupportedExpectation = true }
            default:
                break
            }
        }
        if head.minorVersion >= 1 && hostCount != 1 { throw HTTPParserError(400, hostCount == 0 ? "missing Host header" : "multiple Host headers") }
        if hostCount > 1 { throw HTTPParserError(400, "multiple Host headers") }
        if !transferCodings.isEmpty {
            if contentLength != nil { throw HTTPParserError(400, "both Content-Length and Transfer-Encoding") }
            if head.minorVersion == 0 { throw HTTPParserError(400, "Transfer-Encoding in an HTTP/1.0 request") }
            guard transferCodings.last == "chunked" else { throw HTTPParserError(400, "chunked is not the final transfer coding") }
            if transferCodings.count > 1 { throw HTTPParserError(501, "unsupported transfer coding") }
            head.framing = .chunked
            state = .chunkSize
        } else if let length = contentLength {
            if length > limits.maxBodyBytes { throw HTTPParserError(413, "body too large") }
            head.framing = .length(length)
            state = length > 0 ? .body(remaining: length) : .messageEnd
        } else {
            head.framing = .none
            state = .messageEnd
        }
        if connectionTokens.contains("close") {
            head.keepAlive = false
        } else if head.minorVersion == 0 {
            head.keepAlive = connectionTokens.contains("keep-alive")
        }
        self.head = nil
        return head
    }

    // MARK: Byte classes

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inline(__always) static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }

    /// RFC 9110 tchar.
    @inline(__always) package static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP OWS).
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

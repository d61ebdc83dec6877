@testable import PulseHTTP
import Testing

/// A parsed message as the tests compare it.
struct ParsedMessage: Equatable {
    var method: String
    var target: String
    var minor: Int
    var headers: [String]
    var body: [UInt8]
    var keepAlive: Bool
    var framing: HTTPBodyFraming
}

enum FeedMode: CaseIterable, CustomTestStringConvertible {
    case whole, byteByByte, split3
    var testDescription: String { "\(self)" }
}

/// Feeds `input` to a fresh parser in the given way; returns the messages or the error.
func parseAll(_ input: [UInt8], mode: FeedMode, limits: HTTPParserLimits = HTTPParserLimits()) -> ([ParsedMessage], HTTPParserError?) {
    var parser = HTTPRequestParser(limits: limits)
    var messages: [ParsedMessage] = []
    var current: ParsedMessage?
    var pieces: [[UInt8]]
    switch mode {
    case .whole: pieces = [input]
    case .byteByByte: pieces = input.map { [$0] }
    case .split3:
        let a = input.count / 3, b = 2 * input.count / 3
        pieces = [Array(input[..<a]), Array(input[a..<b]), Array(input[b...])]
    }
    pieces.append([])
    for piece in pieces {
        var offset = 0
        while true {
            let result = piece.withUnsafeBytes { raw in
                Result { () throws(HTTPParserError) in try parser.parse(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch result {
            case .failure(let error): return (messages, error)
            case .success(let (consumed, event)):
                offset += consumed
                guard let event else { break }
                switch event {
                case .head(let head):
                    current = ParsedMessage(
                        method: head.method, target: head.target, minor: head.minorVersion,
                        headers: head.headers.map { "\($0.name)=\($0.value)" }, body: [], keepAlive: head.keepAlive, framing: head.framing
                    )
                case .body(let bytes): current?.body += bytes
                case .end:
                    messages.append(current!)
                    current = nil
                }
                continue
            }
            break
        }
    }
    return (messages, nil)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ParserTests {
    @Test(arguments: FeedMode.allCases)
    func simpleGet(mode: FeedMode) {
        let (messages, error) = parseAll(bytes("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Thing:  spaced value \t\r\n\r\n"), mode: mode)
        #expect(error == nil)
        #expect(messages == [ParsedMessage(method: "GET", target: "/a?b=1", minor: 1, headers: ["Host=x", "X-Thing=spaced value"], body: [], keepAlive: true, framing: .none)])
    }

    @Test(arguments: FeedMode.allCases)
    func pipelinedWithBodies(mode: FeedMode) {
        let input = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n"
            + "GET /c HTTP/1.0\r\n\r\n"
        let (messages, error) = parseAll(bytes(input), mode: mode)
        #expect(error == nil)
        #expect(messages.map(\.target) == ["/a", "/b", "/c"])
        #expect(messages[0].body == bytes("hello"))
        #expect(messages[1].body == bytes("abc0123456789"))
        #expect(messages[1].framing == .chunked)
        #expect(messages[2].minor == 0 && messages[2].keepAlive == false)
    }

    @Test(arguments: FeedMode.allCases)
    func leadingEmptyLinesAndKeepAliveRules(mode: FeedMode) {
        let input = "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let (messages, error) = parseAll(bytes(input), mode: mode)
        #expect(error == nil)
        #expect(messages.map(\.keepAlive) == [true, false])
    }

    static let refused: [(String, String, Int)] = [
        ("CL and TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("TE and CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("differing CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("differing CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
        ("signed CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
        ("hex CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("negative chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
        ("overlong chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400),
        ("chunk size with space", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n", 400),
        ("chunk data without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400),
        ("chunked not last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("unknown coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400),
        ("bare CR", "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: x\u{0}y\r\n\r\n", 400),
        ("double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("garbage version", "GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 400),
        ("binary garbage", "\u{1}\u{2}\u{3}\u{4} \u{5} \u{6}\r\n\r\n", 400),
        ("no colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
        ("empty name", "GET / HTTP/1.1\r\n: x\r\n\r\n", 400),
    ]

    @Test(arguments: refused, FeedMode.allCases)
    func refusesSmugglingAndMalformed(testCase: (String, String, Int), mode: FeedMode) {
        let (_, error) = parseAll(bytes(testCase.1), mode: mode)
        #expect(error?.status == testCase.2, "\(testCase.0)")
    }

    @Test(arguments: FeedMode.allCases)
    func limits(mode: FeedMode) {
        let limits = HTTPParserLimits(maxRequestLineLength: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 10)
        let longLine = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(parseAll(bytes(longLine), mode: mode, limits: limits).1?.status == 414)
        let bigHeaders = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 200) + "\r\n\r\n"
        #expect(parseAll(bytes(bigHeaders), mode: mode, limits: limits).1?.status == 431)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n"
        #expect(parseAll(bytes(manyHeaders), mode: mode, limits: limits).1?.status == 431)
        let bigBody = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
        #expect(parseAll(bytes(bigBody), mode: mode, limits: limits).1?.status == 413)
        let hugeBody = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"
        #expect(parseAll(bytes(hugeBody), mode: mode, limits: limits).1?.status == 413)
        let bigChunks = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n"
        #expect(parseAll(bytes(bigChunks), mode: mode, limits: limits).1?.status == 413)
        let exact = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
        #expect(parseAll(bytes(exact), mode: mode, limits: limits).0.first?.body.count == 10)
    }

    @Test func limitIsEnforcedBeforeBuffering() {
        // An endless request line is refused as soon as it passes the limit, without a line end.
        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxRequestLineLength: 32))
        let chunk = bytes("GET /" + String(repeating: "x", count: 40))
        let result = chunk.withUnsafeBytes { raw in Result { () throws(HTTPParserError) in try parser.parse(raw) } }
        #expect((try? result.get()) == nil)
        if case .failure(let error) = result { #expect(error.status == 414) }
    }

    @Test func expectAndIdleState() {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        let input = bytes("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        let result = input.withUnsafeBytes { raw in Result { () throws(HTTPParserError) in try parser.parse(raw) } }
        guard case .success(let (_, event)) = result, case .head(let head)? = event else {
            Issue.record("no head")
            return
        }
        #expect(head.expectContinue)
        #expect(!parser.isIdle && !parser.isReadingHead)
    }
}

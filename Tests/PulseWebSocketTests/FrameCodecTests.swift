import Testing
@testable import PulseWebSocket

/// Feeds `bytes` to a fresh decoder in pieces of `chunk` bytes and collects the frames.
func decodeAll(_ bytes: [UInt8], role: WebSocketRole, chunk: Int, max: Int = 1 << 20) throws -> [WebSocketFrame] {
    var decoder = WebSocketFrameDecoder(role: role, maxFramePayload: max)
    var frames: [WebSocketFrame] = []
    var i = 0
    while i < bytes.count {
        decoder.append(bytes[i..<min(i + chunk, bytes.count)])
        i += chunk
        while let f = try decoder.nextFrame() { frames.append(f) }
    }
    return frames
}

/// The ways every decoder test feeds input: one byte at a time, odd splits, whole.
let splits = [1, 2, 3, 7, 64, 1 << 30]

let hello = Array("Hello".utf8)

@Suite struct FrameCodecTests {
    // RFC 6455 §5.7 examples.
    @Test(arguments: splits) func rfcUnmaskedText(chunk: Int) throws {
        let frames = try decodeAll([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F], role: .client, chunk: chunk)
        #expect(frames == [WebSocketFrame(opcode: .text, payload: hello)])
    }

    @Test(arguments: splits) func rfcMaskedText(chunk: Int) throws {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(try decodeAll(bytes, role: .server, chunk: chunk) == [WebSocketFrame(opcode: .text, payload: hello)])
        // And the encoder produces exactly those bytes with that key.
        var out: [UInt8] = []
        WebSocketFrameEncoder.encode(opcode: .text, payload: hello, maskKey: (0x37, 0xFA, 0x21, 0x3D), into: &out)
        #expect(out == bytes)
    }

    @Test(arguments: splits) func rfcFragmentedAndPing(chunk: Int) throws {
        let bytes: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x80, 0x02, 0x6C, 0x6F]
        let frames = try decodeAll(bytes, role: .client, chunk: chunk)
        #expect(frames == [
            WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)),
            WebSocketFrame(opcode: .ping, payload: hello),
            WebSocketFrame(opcode: .continuation, payload: Array("lo".utf8)),
        ])
    }

    @Test(arguments: splits) func rfcLengths(chunk: Int) throws {
        for (count, header) in [(256, [0x82, 0x7E, 0x01, 0x00]), (65536, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])] as [(Int, [UInt8])] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var out: [UInt8] = []
            WebSocketFrameEncoder.encode(opcode: .binary, payload: payload, maskKey: nil, into: &out)
            #expect(Array(out.prefix(header.count)) == header)
            #expect(try decodeAll(out, role: .client, chunk: max(chunk, 512)) == [WebSocketFrame(opcode: .binary, payload: payload)])
        }
    }

    @Test(arguments: splits) func maskedRoundTripAllSizes(chunk: Int) throws {
        var stream: [UInt8] = []
        var expected: [WebSocketFrame] = []
        for size in [0, 1, 3, 4, 5, 7, 8, 9, 125, 126, 127, 1000, 70_000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ size) }
            WebSocketFrameEncoder.encode(opcode: .binary, payload: payload, maskKey: (1, 2, 3, 250), into: &stream)
            expected.append(WebSocketFrame(opcode: .binary, payload: payload))
        }
        #expect(try decodeAll(stream, role: .server, chunk: chunk == 1 ? 13 : chunk) == expected)
    }

    @Test(arguments: [
        ([0x83, 0x80, 0, 0, 0, 0], "reserved opcode"),
        ([0x09, 0x80, 0, 0, 0, 0], "fragmented control frame"),
        ([0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0], "control frame payload over 125 bytes"),
        ([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F], "unmasked client frame"),
        ([0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4], "non-minimal payload length"),
        ([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], "payload length with high bit set"),
    ] as [([UInt8], String)])
    func badHeaders(bytes: [UInt8], reason: String) {
        #expect(throws: WebSocketProtocolError(.protocolError, reason)) { try decodeAll(bytes, role: .server, chunk: 1) }
    }

    @Test func oversizeFailsOnHeaderBeforePayload() {
        var decoder = WebSocketFrameDecoder(role: .server, maxFramePayload: 1000)
        decoder.append([0x82, 0xFF, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF])  // ~2 GiB declared
        #expect(throws: WebSocketProtocolError.tooBig) { try decoder.nextFrame() }
    }

    @Test func serverRejectsMaskedFramesAtClient() {
        #expect(throws: WebSocketProtocolError(.protocolError, "masked server frame")) {
            try decodeAll([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], role: .client, chunk: 3)
        }
    }

    @Test func closePayloadCutsOnCharacterBoundary() {
        let payload = WebSocketFrameEncoder.closePayload(code: .goingAway, reason: String(repeating: "é", count: 100))
        #expect(payload.count == 124)
        #expect(Array(payload.prefix(2)) == [0x03, 0xE9])
        #expect(WebSocketFrameEncoder.closePayload(code: nil, reason: "x").isEmpty)
    }

    @Test func acceptKeyMatchesRFCExample() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(WebSocketHandshake.isValidClientKey(WebSocketHandshake.makeClientKey()))
        #expect(!WebSocketHandshake.isValidClientKey("dGhlIHNhbXBsZQ=="))
        #expect(!WebSocketHandshake.isValidClientKey("not base64 at all!!!!!!!"))
    }

    @Test func base64RoundTrip() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8($0 * 13) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.decode("Zm9=YmFy") == nil)
    }
}

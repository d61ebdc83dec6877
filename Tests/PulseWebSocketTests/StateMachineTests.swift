import Testing
@testable import PulseWebSocket

/// Runs a state machine over `bytes` fed in `chunk`-sized pieces; returns all actions.
func run(_ machine: inout WebSocketStateMachine, _ bytes: [UInt8], chunk: Int) -> [WebSocketAction] {
    var actions: [WebSocketAction] = []
    var i = 0
    while i < bytes.count {
        actions += machine.receive(bytes[i..<min(i + chunk, bytes.count)])
        i += chunk
    }
    return actions
}

/// Client-to-server frame bytes (masked with a fixed key so tests are reproducible).
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    WebSocketFrameEncoder.encode(fin: fin, rsv1: rsv1, opcode: opcode, payload: payload, maskKey: (9, 8, 7, 6), into: &out)
    return out
}

func closeCode(of actions: [WebSocketAction]) -> WebSocketCloseCode? {
    for case .closeConnection(let code, _) in actions { return code }
    return nil
}

func server(_ config: WebSocketConfiguration = .init(), deflate: PerMessageDeflateParameters? = nil) -> WebSocketStateMachine {
    try! WebSocketStateMachine(role: .server, configuration: config, deflate: deflate)
}

@Suite struct StateMachineTests {
    @Test(arguments: splits) func fragmentedTextWithInterleavedPing(chunk: Int) {
        var m = server()
        let text = Array("héllo wörld".utf8)
        let bytes = clientFrame(.text, Array(text[0..<2]), fin: false) + clientFrame(.ping, [1, 2])
            + clientFrame(.continuation, Array(text[2..<5]), fin: false) + clientFrame(.continuation, Array(text[5...]))
        let actions = run(&m, bytes, chunk: chunk)
        #expect(actions == [.write([0x8A, 0x02, 1, 2]), .deliver(.text("héllo wörld"))])
    }

    @Test(arguments: splits) func invalidUTF8Fails1007(chunk: Int) {
        var m = server()
        let actions = run(&m, clientFrame(.text, [0x48, 0xC0, 0x80]), chunk: chunk)
        #expect(closeCode(of: actions) == .invalidPayloadData)
        #expect(actions.first == .write([0x88, 0x17, 0x03, 0xEF] + Array("invalid UTF-8 in text".utf8)))
        #expect(m.state == .closed)
    }

    @Test func invalidUTF8FailsFastBeforeFrameCompletes() {
        var m = server()
        let frame = clientFrame(.text, [0xFF] + [UInt8](repeating: 0x41, count: 10_000))
        let actions = m.receive(frame.prefix(20))  // only the header and a few payload bytes
        #expect(closeCode(of: actions) == .invalidPayloadData)
    }

    @Test func invalidUTF8AcrossFragmentsFailsAtTheBadFragment() {
        var m = server()
        var actions = m.receive(clientFrame(.text, Array("κό".utf8), fin: false))
        #expect(actions.isEmpty)
        actions = m.receive(clientFrame(.continuation, [0xED, 0xA0, 0x80], fin: false))
        #expect(closeCode(of: actions) == .invalidPayloadData)
    }

    @Test func truncatedUTF8AtMessageEndFails() {
        var m = server()
        #expect(closeCode(of: m.receive(clientFrame(.text, [0xE2, 0x82]))) == .invalidPayloadData)
    }

    @Test(arguments: [1, 5, 1 << 30]) func oversizeMessageFails1009(chunk: Int) {
        var m = server(.init(maxMessageSize: 100))
        let frames = clientFrame(.binary, [UInt8](repeating: 1, count: 60), fin: false)
            + clientFrame(.continuation, [UInt8](repeating: 2, count: 60))
        #expect(closeCode(of: run(&m, frames, chunk: chunk)) == .messageTooBig)
        var single = server(.init(maxMessageSize: 100))
        #expect(closeCode(of: single.receive(clientFrame(.binary, [UInt8](repeating: 1, count: 101)))) == .messageTooBig)
    }

    @Test(arguments: [
        (clientFrame(.continuation, [1]), WebSocketCloseCode.protocolError),
        (clientFrame(.text, [0x41], fin: false) + clientFrame(.text, [0x41]), .protocolError),
        (clientFrame(.text, [0x41], rsv1: true), .protocolError),  // RSV1 without deflate
        (clientFrame(.close, [0x03]), .protocolError),  // one-byte close payload
        (clientFrame(.close, [0x03, 0xEC]), .protocolError),  // 1004 is reserved
        (clientFrame(.close, [0x03, 0xE8, 0xCE]), .invalidPayloadData),  // bad UTF-8 reason
        ([0x81, 0x05] + Array("Hello".utf8), .protocolError),  // unmasked
    ] as [([UInt8], WebSocketCloseCode)])
    func protocolViolations(bytes: [UInt8], expected: WebSocketCloseCode) {
        var m = server()
        #expect(closeCode(of: m.receive(bytes)) == expected)
    }

    @Test func peerInitiatedCloseIsEchoed() {
        var m = server()
        let actions = m.receive(clientFrame(.close, [0x03, 0xE8] + Array("bye".utf8)))
        #expect(actions == [.write([0x88, 0x02, 0x03, 0xE8]), .closeConnection(code: .normalClosure, reason: "bye")])
        #expect(m.send(.text("late")) == nil)
        #expect(m.receive(clientFrame(.text, [0x41])).isEmpty)
    }

    @Test(arguments: [1000, 1001, 1003, 1007, 1011, 1013, 3000, 4999] as [UInt16])
    func validCloseCodesAreEchoed(code: UInt16) {
        var m = server()
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
        #expect(m.receive(clientFrame(.close, payload)) == [.write([0x88, 0x02] + payload), .closeConnection(code: .init(code), reason: "")])
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] as [UInt16])
    func invalidCloseCodesFail(code: UInt16) {
        var m = server()
        #expect(closeCode(of: m.receive(clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)]))) == .protocolError)
    }

    @Test func emptyCloseReportsNoStatus() {
        var m = server()
        #expect(m.receive(clientFrame(.close, [])) == [.write([0x88, 0x00]), .closeConnection(code: .noStatusReceived, reason: "")])
    }

    @Test func weInitiateCloseThenPeerAnswers() {
        var m = server()
        #expect(m.close(code: .goingAway, reason: "shutdown") == [0x88, 0x0A, 0x03, 0xE9] + Array("shutdown".utf8))
        #expect(m.close() == nil)
        #expect(m.ping() == nil)
        // Data arriving after our close is dropped; the peer's close ends the handshake.
        #expect(m.receive(clientFrame(.text, [0x41])).isEmpty)
        #expect(m.receive(clientFrame(.close, [0x03, 0xE9])) == [.closeConnection(code: .goingAway, reason: "")])
    }

    @Test func clientMasksAndReadsServerFrames() throws {
        var client = try WebSocketStateMachine(role: .client)
        var srv = server()
        let bytes = client.send(.text("from client"), fragmentSize: 4)!
        #expect(bytes[1] & 0x80 != 0)
        #expect(srv.receive(bytes) == [.deliver(.text("from client"))])
        let reply = srv.send(.binary([1, 2, 3]))!
        #expect(reply == [0x82, 0x03, 1, 2, 3])
        #expect(client.receive(reply) == [.deliver(.binary([1, 2, 3]))])
        #expect(client.receive([0x8A, 0x01, 7]) == [.pongReceived([7])])
    }

    @Test func connectionLostReports1006Once() {
        var m = server()
        #expect(m.connectionLost() == [.closeConnection(code: .abnormalClosure, reason: "connection lost")])
        #expect(m.connectionLost().isEmpty)
    }
}

import Testing
@testable import PulseWebSocket

@Suite struct DeflateTests {
    static let params = PerMessageDeflateParameters()

    // RFC 7692 §7.2.3 examples (server-to-client frames, decoded by a client).
    @Test(arguments: splits) func rfcExamples(chunk: Int) throws {
        let cases: [[UInt8]] = [
            [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00],  // §7.2.3.1
            [0x41, 0x03, 0xF2, 0x48, 0xCD, 0x80, 0x04, 0xC9, 0xC9, 0x07, 0x00],  // fragmented
            [0xC1, 0x0B, 0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00],  // §7.2.3.3 stored block
            [0xC1, 0x08, 0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00],  // §7.2.3.4 BFINAL set
        ]
        for bytes in cases {
            var client = try WebSocketStateMachine(role: .client, deflate: Self.params)
            #expect(run(&client, bytes, chunk: chunk) == [.deliver(.text("Hello"))])
        }
        // §7.2.3.2: the second "Hello" refers back to the first (context takeover).
        var client = try WebSocketStateMachine(role: .client, deflate: Self.params)
        let two: [UInt8] = [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0xC1, 0x05, 0xF2, 0x00, 0x11, 0x00, 0x00]
        #expect(run(&client, two, chunk: chunk) == [.deliver(.text("Hello")), .deliver(.text("Hello"))])
    }

    @Test func compressorMatchesRFCBytes() throws {
        var srv = try WebSocketStateMachine(role: .server, deflate: Self.params)
        #expect(srv.send(.text("Hello")) == [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(srv.send(.text("Hello")) == [0xC1, 0x05, 0xF2, 0x00, 0x11, 0x00, 0x00])
    }

    @Test(arguments: [false, true]) func roundTripBothDirections(noContext: Bool) throws {
        var p = Self.params
        p.serverNoContextTakeover = noContext
        p.clientNoContextTakeover = noContext
        p.serverMaxWindowBits = 9
        var srv = try WebSocketStateMachine(role: .server, deflate: p)
        var client = try WebSocketStateMachine(role: .client, deflate: p)
        let big = (0..<50_000).map { UInt8(truncatingIfNeeded: ($0 * 7) % 251) }
        for message in [WebSocketMessage.text(String(repeating: "pulse ", count: 2000)), .binary(big), .text("")] {
            let c2s = client.send(message, fragmentSize: 1000)!
            #expect(run(&srv, c2s, chunk: 777) == [.deliver(message)])
            let s2c = srv.send(message)!
            #expect(client.receive(s2c) == [.deliver(message)])
        }
    }

    @Test func zipBombFails1009() throws {
        var client = try WebSocketStateMachine(role: .client, deflate: Self.params)
        var srv = try WebSocketStateMachine(role: .server, configuration: .init(maxMessageSize: 100_000), deflate: Self.params)
        let bomb = client.send(.binary([UInt8](repeating: 0, count: 10_000_000)))!
        #expect(bomb.count < 20_000)  // tiny on the wire
        #expect(closeCode(of: srv.receive(bomb)) == .messageTooBig)
    }

    @Test func corruptDeflateDataFails() throws {
        var srv = try WebSocketStateMachine(role: .server, deflate: Self.params)
        #expect(closeCode(of: srv.receive(clientFrame(.binary, [0xFF, 0xFF, 0xFF, 0xFF], rsv1: true))) == .invalidPayloadData)
    }

    @Test func rsv1OnContinuationIsProtocolError() throws {
        var srv = try WebSocketStateMachine(role: .server, deflate: Self.params)
        let bytes = clientFrame(.text, [0xF2], fin: false, rsv1: true) + clientFrame(.continuation, [0x48], rsv1: true)
        #expect(closeCode(of: srv.receive(bytes)) == .protocolError)
    }

    @Test func smallMessagesStayUncompressedBelowThreshold() throws {
        var p = Self.params
        p.minimumSizeToCompress = 100
        var srv = try WebSocketStateMachine(role: .server, deflate: p)
        #expect(srv.send(.text("Hello")) == [0x81, 0x05] + Array("Hello".utf8))
    }
}

@Suite struct NegotiationTests {
    let defaults = PerMessageDeflateOptions()

    @Test func acceptsPlainOffer() {
        let r = PerMessageDeflateParameters.negotiate(offers: ["permessage-deflate; client_max_window_bits"], options: defaults)
        #expect(r?.response == "permessage-deflate")
        #expect(r?.parameters.clientMaxWindowBits == 15)
    }

    @Test func honoursRequestedParameters() {
        let r = PerMessageDeflateParameters.negotiate(
            offers: ["permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12"],
            options: defaults)
        #expect(r?.response == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12")
        #expect(r?.parameters.serverMaxWindowBits == 10)
        #expect(r?.parameters.serverNoContextTakeover == true)
    }

    @Test func fallsBackToALaterOffer() {
        // First offer asks for an 8-bit window zlib cannot make; second is fine.
        let r = PerMessageDeflateParameters.negotiate(
            offers: ["x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=8", "permessage-deflate"],
            options: defaults)
        #expect(r?.response == "permessage-deflate")
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=07", "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; =", "x-other",
    ])
    func declinesBadOffers(offer: String) {
        #expect(PerMessageDeflateParameters.negotiate(offers: [offer], options: defaults) == nil)
    }

    @Test func quotedValuesAndSpacing() {
        let parsed = WebSocketExtensionElement.parse(["permessage-deflate ;client_max_window_bits=\"10\" , foo"])
        #expect(parsed == [
            .init(name: "permessage-deflate", parameters: [.init(name: "client_max_window_bits", value: "10")]),
            .init(name: "foo"),
        ])
    }

    @Test func clientOfferAndResponse() throws {
        #expect(PerMessageDeflateParameters.clientOffer(options: defaults) == "permessage-deflate; client_max_window_bits")
        let p = try PerMessageDeflateParameters.acceptResponse(["permessage-deflate; server_max_window_bits=11; client_max_window_bits=10"], options: defaults)
        #expect(p?.serverMaxWindowBits == 11 && p?.clientMaxWindowBits == 10)
        #expect(try PerMessageDeflateParameters.acceptResponse([], options: defaults) == nil)
        #expect(throws: WebSocketProtocolError.self) {
            try PerMessageDeflateParameters.acceptResponse(["permessage-deflate; bogus"], options: defaults)
        }
        #expect(throws: WebSocketProtocolError.self) {
            try PerMessageDeflateParameters.acceptResponse(["x-unknown"], options: defaults)
        }
    }

    @Test func upgradeRequestValidation() throws {
        let good: [String: [String]] = [
            "upgrade": ["websocket"], "connection": ["keep-alive, Upgrade"], "sec-websocket-version": ["13"],
            "sec-websocket-key": ["dGhlIHNhbXBsZSBub25jZQ=="], "sec-websocket-protocol": ["Chat, superchat"],
        ]
        let req = try WebSocketHandshake.validate(method: "GET") { good[$0] ?? [] }
        #expect(req.key == "dGhlIHNhbXBsZSBub25jZQ==" && req.protocols == ["Chat", "superchat"])
        var v12 = good
        v12["sec-websocket-version"] = ["12"]
        #expect(throws: WebSocketHandshake.RequestError(status: 426, reason: "unsupported WebSocket version")) {
            try WebSocketHandshake.validate(method: "GET") { v12[$0] ?? [] }
        }
        var noKey = good
        noKey["sec-websocket-key"] = ["short"]
        #expect(throws: WebSocketHandshake.RequestError.self) { try WebSocketHandshake.validate(method: "GET") { noKey[$0] ?? [] } }
        #expect(throws: WebSocketHandshake.RequestError.self) { try WebSocketHandshake.validate(method: "POST") { good[$0] ?? [] } }
        // RFC 6455 §4.1: HTTP/1.1 or later only.
        #expect(throws: WebSocketHandshake.RequestError(status: 400, reason: "WebSocket upgrade needs HTTP/1.1 or later")) {
            try WebSocketHandshake.validate(method: "GET", httpVersion: (1, 0)) { good[$0] ?? [] }
        }
        #expect(try WebSocketHandshake.validate(method: "GET", httpVersion: (2, 0)) { good[$0] ?? [] }.key == req.key)
    }
}

/// RFC 6455 connection protocol as a synchronous state machine without I/O.
///
/// The I/O layer feeds received bytes to `receive(_:)` and performs the returned actions
/// in order; it asks for outgoing frames with `send`, `ping` and `close`, which return the
/// bytes to write. Owns the frame decoder, message reassembly, UTF-8 validation and
/// permessage-deflate, so the same code serves servers, clients, tests and the fuzzer.
public struct WebSocketStateMachine: Sendable {
    public enum State: Sendable, Equatable {
        case open
        /// We sent a close frame and wait for the peer's.
        case closeSent
        case closed
    }

    public let role: WebSocketRole
    public let configuration: WebSocketConfiguration
    public private(set) var state: State = .open
    /// The negotiated permessage-deflate parameters, nil when not in use.
    public let deflate: PerMessageDeflateParameters?

    private var decoder: WebSocketFrameDecoder
    private var deflater: RawDeflater?
    private var inflater: RawInflater?
    // Message being reassembled.
    private var messageOpcode: WebSocketOpcode?
    private var messageCompressed = false
    private var messageBuffer: [UInt8] = []
    private var utf8 = UTF8Validator()
    /// Payload bytes of the frame in progress already UTF-8-validated early (fail fast).
    private var partialValidated = 0
    /// Set by an I/O layer that holds back the close frame this machine returned until
    /// the application has answered the messages delivered before it (so replies keep
    /// their order on the wire); data may still be encoded meanwhile.
    package var deferringClose = false

    public init(
        role: WebSocketRole, configuration: WebSocketConfiguration = .init(), deflate: PerMessageDeflateParameters? = nil
    ) throws(WebSocketProtocolError) {
        self.role = role
        self.configuration = configuration
        self.deflate = deflate
        decoder = WebSocketFrameDecoder(role: role, maxFramePayload: configuration.maxFramePayload)
        if let d = deflate {
            let mine = role == .server
            deflater = try RawDeflater(
                windowBits: mine ? d.serverMaxWindowBits : d.clientMaxWindowBits, level: d.compressionLevel,
                noContextTakeover: mine ? d.serverNoContextTakeover : d.clientNoContextTakeover)
            inflater = try RawInflater(noContextTakeover: mine ? d.clientNoContextTakeover : d.serverNoContextTakeover)
        }
    }

    // MARK: Receiving

    /// Feeds received bytes and returns what to do, in order.
    public mutating func receive<C: Collection>(_ bytes: C) -> [WebSocketAction] where C.Element == UInt8 {
        guard state != .closed else { return [] }
        decoder.append(bytes)
        var actions: [WebSocketAction] = []
        do {
            while state != .closed, let frame = try decoder.nextFrame() {
                try handle(frame, into: &actions)
            }
            if state == .open { try validatePartialText() }
        } catch {
            fail(error, into: &actions)
        }
        return actions
    }

    /// The TCP connection ended (EOF or error) without a completed close handshake.
    public mutating func connectionLost() -> [WebSocketAction] {
        guard state != .closed else { return [] }
        state = .closed
        return [.closeConnection(code: .abnormalClosure, reason: "connection lost")]
    }

    private mutating func handle(_ frame: WebSocketFrame, into actions: inout [WebSocketAction]) throws(WebSocketProtocolError) {
        guard !frame.rsv2 && !frame.rsv3 else { throw .protocolError("reserved bits set") }
        switch frame.opcode {
        case .ping:
            guard !frame.rsv1 else { throw .protocolError("reserved bits set") }
            if state == .open { actions.append(.write(encode(.pong, frame.payload))) }
        case .pong:
            guard !frame.rsv1 else { throw .protocolError("reserved bits set") }
            actions.append(.pongReceived(frame.payload))
        case .close:
            guard !frame.rsv1 else { throw .protocolError("reserved bits set") }
            try receivedClose(frame.payload, into: &actions)
        case .text, .binary:
            guard messageOpcode == nil else { throw .protocolError("new message inside a fragmented one") }
            if frame.rsv1 && inflater == nil { throw .protocolError("reserved bits set") }
            messageOpcode = frame.opcode
            messageCompressed = frame.rsv1
            try appendData(frame, into: &actions)
        case .continuation:
            guard messageOpcode != nil else { throw .protocolError("continuation without a message") }
            guard !frame.rsv1 else { throw .protocolError("RSV1 on a continuation frame") }
            try appendData(frame, into: &actions)
        }
    }

    private mutating func appendData(_ frame: WebSocketFrame, into actions: inout [WebSocketAction]) throws(WebSocketProtocolError) {
        let isText = messageOpcode == .text
        let skip = partialValidated
        partialValidated = 0
        if messageCompressed {
            let before = messageBuffer.count
            try inflater!.inflate(frame.payload, final: frame.fin, limit: configuration.maxMessageSize, into: &messageBuffer)
            if isText && !utf8.validate(messageBuffer[before...]) { throw .invalidUTF8 }
        } else {
            guard messageBuffer.count + frame.payload.count <= configuration.maxMessageSize else { throw .tooBig }
            if isText && !utf8.validate(frame.payload[skip...]) { throw .invalidUTF8 }
            if frame.fin && messageBuffer.isEmpty {
                messageBuffer = frame.payload  // whole message in one frame: no copy
            } else {
                messageBuffer.append(contentsOf: frame.payload)
            }
        }
        guard frame.fin else { return }
        if isText && !utf8.isComplete { throw .invalidUTF8 }
        let payload = messageBuffer
        messageBuffer = []
        messageOpcode = nil
        utf8.reset()
        // Data after our close frame is read and dropped (§5.5.1).
        guard state == .open else { return }
        actions.append(.deliver(isText ? .text(String(decoding: payload, as: UTF8.self)) : .binary(payload)))
    }

    /// Validates the UTF-8 of a text frame still arriving, so garbage fails before the
    /// whole frame (possibly megabytes) is buffered.
    private mutating func validatePartialText() throws(WebSocketProtocolError) {
        guard let (header, bytes) = decoder.takePartialPayload(), !header.rsv1, !header.rsv2, !header.rsv3 else { return }
        let textStart = header.opcode == .text && messageOpcode == nil
        let textContinuation = header.opcode == .continuation && messageOpcode == .text && !messageCompressed
        guard textStart || textContinuation, !bytes.isEmpty else { return }
        if !utf8.validate(bytes) { throw .invalidUTF8 }
        partialValidated += bytes.count
    }

    private mutating func receivedClose(_ payload: [UInt8], into actions: inout [WebSocketAction]) throws(WebSocketProtocolError) {
        var code = WebSocketCloseCode.noStatusReceived
        var reason = ""
        if payload.count == 1 { throw .protocolError("close payload of one byte") }
        if payload.count >= 2 {
            code = WebSocketCloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
            guard code.isValidOnWire else { throw .protocolError("invalid close code") }
            var v = UTF8Validator()
            guard v.validate(payload[2...]), v.isComplete else { throw .invalidUTF8 }
            reason = String(decoding: payload[2...], as: UTF8.self)
        }
        if state == .open {
            // Echo the peer's code (§5.5.1); an empty close gets an empty reply.
            let reply = WebSocketFrameEncoder.closePayload(code: payload.isEmpty ? nil : code, reason: "")
            actions.append(.write(encode(.close, reply)))
        }
        state = .closed
        actions.append(.closeConnection(code: code, reason: reason))
    }

    private mutating func fail(_ error: WebSocketProtocolError, into actions: inout [WebSocketAction]) {
        if state == .open {
            actions.append(.write(encode(.close, WebSocketFrameEncoder.closePayload(code: error.closeCode, reason: error.reason))))
        }
        state = .closed
        actions.append(.closeConnection(code: error.closeCode, reason: error.reason))
    }

    // MARK: Sending

    /// Encodes a message, compressed when negotiated, split into frames of at most
    /// `fragmentSize` payload bytes if given. Appends to `out`; false once closing.
    @discardableResult
    public mutating func send(_ message: WebSocketMessage, fragmentSize: Int? = nil, into out: inout [UInt8]) -> Bool {
        switch message {
        case .text(let s): return send(opcode: .text, payload: Array(s.utf8), fragmentSize: fragmentSize, into: &out)
        case .binary(let b): return send(opcode: .binary, payload: b, fragmentSize: fragmentSize, into: &out)
        }
    }

    /// Like `send(_:fragmentSize:into:)`, returning the bytes (nil once closing).
    public mutating func send(_ message: WebSocketMessage, fragmentSize: Int? = nil) -> [UInt8]? {
        var out: [UInt8] = []
        return send(message, fragmentSize: fragmentSize, into: &out) ? out : nil
    }

    /// Encodes a text or binary message from raw payload bytes (text must be UTF-8).
    @discardableResult
    public mutating func send(opcode: WebSocketOpcode, payload: [UInt8], fragmentSize: Int? = nil, into out: inout [UInt8]) -> Bool {
        guard state == .open || deferringClose else { return false }
        var body = payload
        var compressed = false
        if let deflater, let d = deflate, payload.count >= d.minimumSizeToCompress {
            body = deflater.compress(payload)
            compressed = true
        }
        let size = max(1, fragmentSize ?? Int.max)
        var start = 0
        repeat {
            let end = body.count - start > size ? start + size : body.count
            WebSocketFrameEncoder.encode(
                fin: end == body.count, rsv1: compressed && start == 0, opcode: start == 0 ? opcode : .continuation,
                payload: body[start..<end], maskKey: maskKey(), into: &out)
            start = end
        } while start < body.count
        return true
    }

    /// A ping frame (payload ≤ 125 bytes), nil once closing.
    public mutating func ping(_ payload: [UInt8] = []) -> [UInt8]? {
        guard state == .open, payload.count <= 125 else { return nil }
        return encode(.ping, payload)
    }

    /// Starts the close handshake: returns the close frame to write, nil if already closing.
    /// The I/O layer then waits (with a timeout) for `.closeConnection`.
    public mutating func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") -> [UInt8]? {
        guard state == .open else { return nil }
        state = .closeSent
        return encode(.close, WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    private func maskKey() -> (UInt8, UInt8, UInt8, UInt8)? {
        role == .client ? WebSocketFrameEncoder.randomMaskKey() : nil
    }

    private func encode(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, maskKey: maskKey(), into: &out)
        return out
    }
}

/// Incremental, bounded RFC 6455 frame decoder.
///
/// Append bytes in any split (one at a time is fine) and pull frames with `nextFrame()`.
/// Limits are checked on the header, before any payload is buffered: a declared length
/// above `maxFramePayload` fails with 1009 without reading the payload.
/// Validates what a single frame can tell: opcode, control-frame rules, masking
/// direction, length encoding. RSV bits are left to the caller, who knows the extensions.
public struct WebSocketFrameDecoder: Sendable {
    /// The header of a frame whose payload may still be arriving.
    public struct Header: Sendable, Equatable {
        public var fin: Bool
        public var rsv1: Bool
        public var rsv2: Bool
        public var rsv3: Bool
        public var opcode: WebSocketOpcode
        public var maskKey: (UInt8, UInt8, UInt8, UInt8)?
        public var length: Int

        public static func == (a: Header, b: Header) -> Bool {
            a.fin == b.fin && a.rsv1 == b.rsv1 && a.rsv2 == b.rsv2 && a.rsv3 == b.rsv3
                && a.opcode == b.opcode && a.length == b.length
                && a.maskKey.map { [$0.0, $0.1, $0.2, $0.3] } == b.maskKey.map { [$0.0, $0.1, $0.2, $0.3] }
        }
    }

    /// Frames from clients must be masked, frames from servers must not (§5.1).
    public let expectMasked: Bool
    public let maxFramePayload: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var header: Header?
    private var payloadStart = 0
    /// Payload bytes of the current frame already unmasked (and handed out as partial).
    private var unmasked = 0
    private var handedOut = 0

    /// - Parameters:
    ///   - role: the role of the side that *receives* (a server decodes client frames).
    ///   - maxFramePayload: the largest payload accepted in one frame.
    public init(role: WebSocketRole, maxFramePayload: Int) {
        self.expectMasked = role == .server
        self.maxFramePayload = maxFramePayload
    }

    /// Bytes buffered and not yet returned as frames.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex == buffer.count && header == nil {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536 && readIndex * 2 > buffer.count {
            // Drop consumed bytes; offsets of a frame in progress move with them.
            buffer.removeFirst(readIndex)
            payloadStart -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// The next complete frame, nil when more bytes are needed.
    public mutating func nextFrame() throws(WebSocketProtocolError) -> WebSocketFrame? {
        if header == nil {
            guard try parseHeader() else { return nil }
        }
        let h = header!
        guard buffer.count - payloadStart >= h.length else { return nil }
        let end = payloadStart + h.length
        unmask(upTo: end)
        let payload = Array(buffer[payloadStart..<end])
        readIndex = end
        header = nil
        return WebSocketFrame(fin: h.fin, rsv1: h.rsv1, rsv2: h.rsv2, rsv3: h.rsv3, opcode: h.opcode, payload: payload)
    }

    /// For fail-fast validation of a frame still arriving: its header and the unmasked
    /// payload bytes received since the last call. The bytes are still part of the frame
    /// `nextFrame()` returns later. Nil when no frame is in progress.
    public mutating func takePartialPayload() -> (header: Header, bytes: ArraySlice<UInt8>)? {
        guard let h = header else { return nil }
        let available = min(buffer.count - payloadStart, h.length)
        unmask(upTo: payloadStart + available)
        let slice = buffer[(payloadStart + handedOut)..<(payloadStart + available)]
        handedOut = available
        return (h, slice)
    }

    /// How many payload bytes of the frame in progress were already handed out as partial.
    public var partialHandedOut: Int { header == nil ? 0 : handedOut }

    private mutating func unmask(upTo end: Int) {
        guard let key = header?.maskKey else { return }
        let from = payloadStart + unmasked
        guard end > from else { return }
        WebSocketMasking.apply(key: key, to: &buffer, range: from..<end, phase: unmasked)
        unmasked = end - payloadStart
    }

    /// Parses a header at `readIndex` if enough bytes are there; throws on a bad header.
    private mutating func parseHeader() throws(WebSocketProtocolError) -> Bool {
        let available = buffer.count - readIndex
        guard available >= 2 else { return false }
        let b0 = buffer[readIndex]
        let b1 = buffer[readIndex + 1]
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            throw .protocolError("reserved opcode")
        }
        let fin = b0 & 0x80 != 0
        let masked = b1 & 0x80 != 0
        let len7 = Int(b1 & 0x7F)
        if opcode.isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard len7 <= 125 else { throw .protocolError("control frame payload over 125 bytes") }
        }
        guard masked == expectMasked else {
            throw .protocolError(expectMasked ? "unmasked client frame" : "masked server frame")
        }
        let extra = len7 == 126 ? 2 : (len7 == 127 ? 8 : 0)
        let headerSize = 2 + extra + (masked ? 4 : 0)
        // Judge the length as soon as its bytes are here, even before the mask key.
        guard available >= 2 + extra else { return false }
        var length = len7
        var i = readIndex + 2
        if extra > 0 {
            var value: UInt64 = 0
            for _ in 0..<extra {
                value = value << 8 | UInt64(buffer[i])
                i += 1
            }
            guard value >> 63 == 0 else { throw .protocolError("payload length with high bit set") }
            // §5.2: the minimal number of bytes must be used to encode the length.
            guard (extra == 2 && value >= 126) || (extra == 8 && value > 0xFFFF) else {
                throw .protocolError("non-minimal payload length")
            }
            guard value <= UInt64(maxFramePayload) else { throw .tooBig }
            length = Int(value)
        } else if length > maxFramePayload {
            throw .tooBig
        }
        guard available >= headerSize else { return false }
        var key: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            key = (buffer[i], buffer[i + 1], buffer[i + 2], buffer[i + 3])
            i += 4
        }
        header = Header(
            fin: fin, rsv1: b0 & 0x40 != 0, rsv2: b0 & 0x20 != 0, rsv3: b0 & 0x10 != 0,
            opcode: opcode, maskKey: key, length: length)
        payloadStart = i
        unmasked = 0
        handedOut = 0
        if length > 4096 { buffer.reserveCapacity(i + length) }
        return true
    }
}

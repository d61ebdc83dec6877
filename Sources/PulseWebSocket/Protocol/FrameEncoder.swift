/// Encodes frames (RFC 6455 §5.2). Clients pass a fresh random mask key per frame.
public enum WebSocketFrameEncoder {
    /// Appends the encoded frame to `out`. `maskKey` must be non-nil exactly for clients.
    public static func encode<C: Collection>(
        fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode, payload: C,
        maskKey: (UInt8, UInt8, UInt8, UInt8)?, into out: inout [UInt8]
    ) where C.Element == UInt8 {
        let length = payload.count
        out.reserveCapacity(out.count + length + 14)
        out.append((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if length < 126 {
            out.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(length >> 8))
            out.append(UInt8(length & 0xFF))
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(length) >> UInt64(shift)) & 0xFF)) }
        }
        if let key = maskKey {
            out.append(key.0)
            out.append(key.1)
            out.append(key.2)
            out.append(key.3)
            let start = out.count
            out.append(contentsOf: payload)
            WebSocketMasking.apply(key: key, to: &out, range: start..<out.count, phase: 0)
        } else {
            out.append(contentsOf: payload)
        }
    }

    /// Convenience returning a new array.
    public static func encode(_ frame: WebSocketFrame, maskKey: (UInt8, UInt8, UInt8, UInt8)?) -> [UInt8] {
        var out: [UInt8] = []
        encode(fin: frame.fin, rsv1: frame.rsv1, opcode: frame.opcode, payload: frame.payload, maskKey: maskKey, into: &out)
        return out
    }

    /// Close frame payload: two-byte code then UTF-8 reason, cut to fit 125 bytes on a
    /// character boundary.
    public static func closePayload(code: WebSocketCloseCode?, reason: String) -> [UInt8] {
        guard let code else { return [] }
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var used = 0
        for scalar in reason.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if used + bytes.count > 123 { break }
            payload.append(contentsOf: bytes)
            used += bytes.count
        }
        return payload
    }

    /// A fresh random masking key from the system generator (§5.3 asks for strong entropy).
    public static func randomMaskKey() -> (UInt8, UInt8, UInt8, UInt8) {
        var rng = SystemRandomNumberGenerator()
        let v = rng.next() as UInt32
        return (UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24))
    }
}

/// XOR masking of RFC 6455 §5.3; the same operation masks and unmasks.
enum WebSocketMasking {
    /// Applies `key` to `bytes[range]`, where `phase` is how many payload bytes precede
    /// `range.lowerBound` (so a payload can be unmasked in several pieces).
    static func apply(key: (UInt8, UInt8, UInt8, UInt8), to bytes: inout [UInt8], range: Range<Int>, phase: Int) {
        if range.isEmpty { return }
        // The key as one little-endian word; byte p of the key is `k32 >> (8 * p)` (no array).
        let k32 = UInt32(key.0) | UInt32(key.1) << 8 | UInt32(key.2) << 16 | UInt32(key.3) << 24
        bytes.withUnsafeMutableBufferPointer { buffer in
            var i = range.lowerBound
            var p = phase & 3
            // Align to the key, then XOR eight bytes at a time with the key repeated twice.
            while i < range.upperBound && p != 0 {
                buffer[i] ^= UInt8(truncatingIfNeeded: k32 >> (8 * UInt32(p)))
                i += 1
                p = (p + 1) & 3
            }
            let k64 = UInt64(k32) | UInt64(k32) << 32
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            while i + 8 <= range.upperBound {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                raw.storeBytes(of: word ^ k64.littleEndian, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < range.upperBound {
                buffer[i] ^= UInt8(truncatingIfNeeded: k32 >> (8 * UInt32(p)))
                i += 1
                p = (p + 1) & 3
            }
        }
    }
}

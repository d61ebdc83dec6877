import CZlib

/// Raw DEFLATE compressor for permessage-deflate (RFC 7692 §7.2.1): each message is
/// flushed with Z_SYNC_FLUSH and the trailing 00 00 FF FF is removed.
/// Owned by one connection at a time (hence `@unchecked Sendable`): not thread-safe.
final class RawDeflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let resetEachMessage: Bool

    /// - Parameters:
    ///   - windowBits: 9...15 (zlib cannot make raw streams with an 8-bit window).
    ///   - noContextTakeover: reset the dictionary after each message.
    init(windowBits: Int, level: Int, noContextTakeover: Bool) throws(WebSocketProtocolError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        resetEachMessage = noContextTakeover
        let rc = deflateInit2_(
            stream, Int32(level), Z_DEFLATED, -Int32(windowBits), 8, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw WebSocketProtocolError(.internalError, "deflate init failed")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses one whole message.
    func compress(_ input: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(64, input.count / 2 + 64))
        var produced = 0
        input.withUnsafeBufferPointer { inBuf in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.pointee.avail_in = UInt32(inBuf.count)
            while true {
                if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
                let room = out.count - produced
                out.withUnsafeMutableBufferPointer { outBuf in
                    stream.pointee.next_out = outBuf.baseAddress! + produced
                    stream.pointee.avail_out = UInt32(room)
                    _ = deflate(stream, Z_SYNC_FLUSH)
                }
                produced += room - Int(stream.pointee.avail_out)
                // Done once zlib had space left over: all input consumed and flushed.
                if stream.pointee.avail_out != 0 && stream.pointee.avail_in == 0 { break }
            }
            stream.pointee.next_in = nil
        }
        out.removeSubrange(produced...)
        if out.count >= 4 && out.suffix(4).elementsEqual([0, 0, 0xFF, 0xFF]) { out.removeLast(4) }
        if resetEachMessage { deflateReset(stream) }
        return out
    }
}

/// Raw DEFLATE decompressor with an output cap, so a small compressed "zip bomb"
/// message fails with 1009 instead of exhausting memory.
final class RawInflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let resetEachMessage: Bool
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init(noContextTakeover: Bool) throws(WebSocketProtocolError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        resetEachMessage = noContextTakeover
        // Always inflate with the largest window: it reads streams made with any smaller one.
        let rc = inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw WebSocketProtocolError(.internalError, "inflate init failed")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates one frame's payload of a compressed message, appending to `out`.
    /// On the message's last frame (`final`) the RFC 7692 tail is fed too.
    /// Throws 1009 when `out` would exceed `limit`, 1007 on corrupt data.
    func inflate(_ input: [UInt8], final: Bool, limit: Int, into out: inout [UInt8]) throws(WebSocketProtocolError) {
        try feed(input, limit: limit, into: &out)
        if final {
            try feed(Self.tail, limit: limit, into: &out)
            if resetEachMessage { inflateReset(stream) }
        }
    }

    private func feed(_ input: [UInt8], limit: Int, into out: inout [UInt8]) throws(WebSocketProtocolError) {
        if input.isEmpty { return }
        var failure: WebSocketProtocolError?
        input.withUnsafeBufferPointer { inBuf in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.pointee.avail_in = UInt32(inBuf.count)
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    stream.pointee.next_out = c.baseAddress
                    stream.pointee.avail_out = UInt32(c.count)
                    return CZlib.inflate(stream, Z_SYNC_FLUSH)
                }
                let made = chunk.count - Int(stream.pointee.avail_out)
                if out.count + made > limit {
                    failure = .tooBig
                    break
                }
                out.append(contentsOf: chunk[0..<made])
                if rc == Z_STREAM_END {
                    // The peer ended the deflate stream (BFINAL); start a fresh one.
                    inflateReset(stream)
                    if stream.pointee.avail_in == 0 { break }
                    continue
                }
                if rc == Z_BUF_ERROR || (rc == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0) { break }
                if rc != Z_OK {
                    failure = WebSocketProtocolError(.invalidPayloadData, "corrupt deflate data")
                    break
                }
            }
            stream.pointee.next_in = nil
        }
        if let failure { throw failure }
    }
}

import CZlib

/// Compresses `.bytes` response bodies with gzip (zlib) when the client accepts it, the content
/// type is textual and the body is at least `minimumSize` bytes. Adds `Vary: Accept-Encoding`.
public struct GzipMiddleware: Middleware {
    public let minimumSize: Int
    /// zlib level 1 (fast) … 9 (small); default 6.
    public let level: Int32

    public init(minimumSize: Int = 1024, level: Int32 = 6) {
        self.minimumSize = minimumSize
        self.level = level
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        var response = try await next.respond(to: request)
        guard Self.isCompressible(response.headers["Content-Type"]) else { return response }
        response.headers.add(name: "Vary", value: "Accept-Encoding")
        guard Self.acceptsGzip(request.headers),
            case .bytes(let bytes) = response.body, bytes.count >= minimumSize,
            response.status.allowsBody, response.status.code != 206,
            !response.headers.contains("Content-Encoding"),
            let compressed = Gzip.compress(bytes, level: level)
        else { return response }
        response.body = .bytes(compressed)
        response.headers["Content-Encoding"] = "gzip"
        if let etag = response.headers["ETag"], etag.hasSuffix("\"") {
            response.headers["ETag"] = String(etag.dropLast()) + "-gzip\""
        }
        return response
    }

    /// `Accept-Encoding` lists gzip (or `*`) with a non-zero quality.
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        for token in headers.tokens(for: "Accept-Encoding") {
            let parts = token.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            let coding = parts[0].lowercased()
            guard coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let q = parts.dropFirst().first { $0.lowercased().hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { return true }
        }
        return false
    }

    package static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/problem+json")
            || type.hasPrefix("application/javascript") || type.hasPrefix("application/xml") || type.hasPrefix("image/svg+xml")
            || type.hasPrefix("application/wasm")
    }
}

/// One-shot gzip with zlib.
package enum Gzip {
    /// Compresses `input` into a gzip member; nil if zlib fails.
    package static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip header and trailer.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                let result = deflate(&stream, Z_FINISH)
                return result == Z_STREAM_END ? outBuffer.count - Int(stream.avail_out) : nil
            }
        }
        guard let written else { return nil }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses a gzip member (for tests and clients); nil on corrupt input or if it
    /// would exceed `limit` bytes.
    package static func decompress(_ input: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        return input.withUnsafeMutableBufferPointer { inBuffer -> [UInt8]? in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuffer -> (Int32, Int) in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, outBuffer.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[..<produced])
                if output.count > limit { return nil }
                if status == Z_STREAM_END { return output }
                if status != Z_OK { return nil }
                if produced == 0 && stream.avail_in == 0 { return nil }
            }
        }
    }
}

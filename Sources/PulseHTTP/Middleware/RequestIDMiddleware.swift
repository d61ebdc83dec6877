/// Gives every request an id: the client's `X-Request-ID` when it is short and plain,
/// otherwise a fresh random one. Stored under `RequestIDKey` and echoed in the response.
public struct RequestIDMiddleware: Middleware {
    public let headerName: String

    public init(headerName: String = "X-Request-ID") { self.headerName = headerName }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        let id = request.headers[headerName].flatMap(Self.acceptable) ?? Self.generate()
        request.context[RequestIDKey.self] = id
        var response = try await next.respond(to: request)
        response.headers[headerName] = id
        return response
    }

    /// Client ids are kept only if 1–128 characters of `[A-Za-z0-9._-]` (safe in logs and headers).
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count) else { return nil }
        let ok = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
        }
        return ok ? value : nil
    }

    /// 16 random bytes as 32 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

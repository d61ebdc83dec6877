import Logging
import PulseSystem

/// Logs one `[HTTP] Request` line per request, at info, with method, path, status, duration,
/// response bytes and request id (metadata `category=HTTP`, keys under `http.`). Put it after
/// `RequestIDMiddleware` so the id is known. Errors thrown further in are logged as 500.
public struct AccessLogMiddleware: Middleware {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        do {
            let response = try await next.respond(to: request)
            log(request, status: response.status.code, bytes: response.body.bytes?.count, start: start)
            return response
        } catch {
            log(request, status: (error as? HTTPError)?.status.code ?? 500, bytes: nil, start: start)
            throw error
        }
    }

    private func log(_ request: HTTPRequest, status: Int, bytes: Int?, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "category": "HTTP",
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.path)",
            "http.status": "\(status)",
            "http.duration_ms": "\((ms * 1000).rounded() / 1000)",
            "http.bytes": "\(bytes.map(String.init) ?? "stream")",
        ]
        if let id = request.requestID { metadata["http.request_id"] = "\(id)" }
        if let route = request.routePattern { metadata["http.route"] = "\(route)" }
        logger.info("Request", metadata: metadata)
    }
}

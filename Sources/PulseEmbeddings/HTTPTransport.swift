import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A minimal HTTP request for `HTTPTransport`.
public struct HTTPTransportRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data
    public var timeout: TimeInterval

    public init(method: String, url: URL, headers: [String: String], body: Data, timeout: TimeInterval) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// Status and body of an HTTP response.
public struct HTTPTransportResponse: Sendable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// Sends one HTTP request. Kept tiny so Pulse's own HTTP client can replace
/// `URLSessionTransport` later without touching the providers.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPTransportRequest) async throws(EmbeddingError) -> HTTPTransportResponse
}

/// `HTTPTransport` over Foundation's URLSession (FoundationNetworking on Linux).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: HTTPTransportRequest) async throws(EmbeddingError) -> HTTPTransportResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<HTTPTransportResponse, EmbeddingError>, Never>) in
            let task = session.dataTask(with: urlRequest) { data, response, error in
                if let error {
                    continuation.resume(returning: .failure(.transport(error.localizedDescription)))
                } else if let http = response as? HTTPURLResponse {
                    continuation.resume(returning: .success(HTTPTransportResponse(status: http.statusCode, body: data ?? Data())))
                } else {
                    continuation.resume(returning: .failure(.transport("no HTTP response")))
                }
            }
            task.resume()
        }
        return try outcome.get()
    }
}

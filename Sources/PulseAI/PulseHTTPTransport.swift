import Foundation
import PulseEmbeddings
import PulseHTTP
import PulseHTTPClient

/// The embeddings provider's transport over Pulse's own HTTP client, whose overall deadline
/// holds (FoundationNetworking's URLSession on Linux does not end a request that waits for
/// its answer at the request's timeout).
final class PulseHTTPTransport: HTTPTransport {
    let client: HTTPClient

    init() throws {
        client = try HTTPClient(configuration: HTTPClientConfiguration())
    }

    func send(_ request: HTTPTransportRequest) async throws(EmbeddingError) -> HTTPTransportResponse {
        var headers = HTTPHeaders()
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        var call = HTTPClientRequest(method: HTTPMethod(rawValue: request.method), url: request.url.absoluteString, headers: headers,
                                     body: Array(request.body))
        call.overallTimeout = .milliseconds(Int64(max(0.05, request.timeout) * 1000))
        do {
            let response = try await client.execute(call)
            return HTTPTransportResponse(status: response.status.code, body: Data(response.body))
        } catch {
            throw .transport("\(error)")
        }
    }
}

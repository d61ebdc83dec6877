import PulseHTTP
import PulseHTTPClient
import PulseSecurity

/// The auth service's key set over HTTP (`GET /.well-known/jwks.json`), for `JWKSCache`,
/// which caches it and refetches (rate-limited) when a token names an unknown `kid`.
public struct HTTPJWKSSource: JWKSFetching {
    public let url: String
    private let client: HTTPClient

    public init(url: String, client: HTTPClient) {
        self.url = url
        self.client = client
    }

    public struct FetchError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public func fetchJWKS() async throws -> JWKSet {
        let response = try await client.execute(HTTPClientRequest(url: url, headers: ["Accept": "application/json"]))
        guard response.status == .ok else { throw FetchError(description: "\(url) answered \(response.status.code)") }
        return try JWKSet(json: response.body)
    }
}

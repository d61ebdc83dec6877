import PulseHTTPClient

/// The answer to "does this integration work?" (`POST /api/v1/integrations/{id}/test`): one
/// cheap authenticated call to the vendor (Jira `/myself`, GitHub `/rate_limit`), and in
/// words what is wrong when it does not (wrong credentials, unreachable host, TLS, a 404
/// organisation or project, an HTTP base URL that is refused).
public struct ConnectionCheck: Sendable, Equatable, Codable {
    public var ok: Bool
    /// One sentence for the admin: what was checked, or what is wrong and what to do.
    public var message: String
    /// The HTTP status the vendor answered, when it answered.
    public var status: Int?
    /// What the vendor said about the account (e.g. GitHub login and remaining rate limit,
    /// Jira display name and time zone), shown beside the message.
    public var details: [String: String]

    public init(ok: Bool, message: String, status: Int? = nil, details: [String: String] = [:]) {
        self.ok = ok
        self.message = message
        self.status = status
        self.details = details
    }
}

/// A connector that can check its integration with one cheap call.
public protocol ConnectionCheckable {
    static func checkConnection(integration: SyncIntegration, client: HTTPClient) async -> ConnectionCheck
}

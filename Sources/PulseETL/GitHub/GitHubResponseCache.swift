import Foundation
import PulsePostgres

/// A page GitHub answered with an `ETag`, kept so a later `304 Not Modified` can be served
/// from it (same body, same `Link`).
public struct GitHubCachedPage: Sendable, Equatable {
    public var etag: String
    public var link: String?
    public var body: [UInt8]
    public init(etag: String, link: String?, body: [UInt8]) {
        self.etag = etag
        self.link = link
        self.body = body
    }
}

/// Where the client keeps ETags and their bodies, per URL.
public protocol GitHubResponseCache: Sendable {
    func page(for url: String) async throws -> GitHubCachedPage?
    func store(_ page: GitHubCachedPage, for url: String) async throws
    /// Forgets `url` (its body held something the connector could not use).
    func remove(_ url: String) async throws
}

/// ETags per URL in `github_http_cache` (migration 0011), in the tenant's scope (RLS).
/// Written outside the page transactions: a cached body is a complete answer on its own,
/// so a page whose commit failed is simply processed again from it.
public struct PostgresGitHubResponseCache: GitHubResponseCache {
    public let database: ClientScope
    public let integrationID: Int

    public init(database: ClientScope, integrationID: Int) {
        self.database = database
        self.integrationID = integrationID
    }

    public func page(for url: String) async throws -> GitHubCachedPage? {
        let rows = try await database.query(
            "SELECT etag, link, body FROM github_http_cache WHERE client_id = $1 AND integration_id = $2 AND url = $3",
            [database.clientID, integrationID, url])
        guard let row = rows.first else { return nil }
        let body: Data = try row.decode(Data.self, "body")
        return GitHubCachedPage(etag: try row.decode(String.self, "etag"), link: try row.decode(String?.self, "link"),
                                body: [UInt8](body))
    }

    public func store(_ page: GitHubCachedPage, for url: String) async throws {
        try await database.query(
            """
            INSERT INTO github_http_cache (client_id, integration_id, url, etag, link, body)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (client_id, integration_id, url)
            DO UPDATE SET etag = EXCLUDED.etag, link = EXCLUDED.link, body = EXCLUDED.body
            """, [database.clientID, integrationID, url, page.etag, page.link, Data(page.body)])
    }

    public func remove(_ url: String) async throws {
        try await database.query(
            "DELETE FROM github_http_cache WHERE client_id = $1 AND integration_id = $2 AND url = $3",
            [database.clientID, integrationID, url])
    }
}

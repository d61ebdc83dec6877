import Foundation
import Logging
import PulseAnalytics
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseSecurity
import PulseService
import PulseTestSupport

/// The analytics routes on a live HTTP server, behind the real `RequirePermission` middleware
/// and token verifier (tokens signed by a test key), over the shared primary + replica.
struct AnalyticsHarness {
    let database: PostgresDatabase
    let recomputer: DORARecomputer
    let key = Ed25519SigningKey.generate(keyID: "analytics-test")
    let routes: ServiceRoutes
    let handle: PostgresTestCluster.Handle

    init() async throws {
        handle = try await PostgresTestCluster.shared.start()
        var configuration = PostgresConfiguration(primary: handle.connection.primaryURL, replica: handle.connection.replicaURL)
        configuration.monitorInterval = .milliseconds(100)
        database = try PostgresDatabase(configuration: configuration)
        _ = await database.refreshReplicationStatus()
        recomputer = DORARecomputer(database: database, logger: Logger(label: "test.analytics"))
        let verifier = TokenVerifier(
            configuration: TokenVerifierConfiguration(policy: try ClaimsPolicy(issuer: "pulse-test", audience: "pulse")),
            keySource: InMemoryJWKSSource(JWKSet(keys: [key.verificationKey.jwk])))
        let authenticator = ServiceAuthenticator(
            verifier: verifier, sessions: SessionCookieResolver(authURL: "http://127.0.0.1:9", client: try HTTPClient()), csrf: nil)
        var routes = ServiceRoutes()
        AnalyticsComposition.register(on: &routes, database: database, recomputer: recomputer) {
            [RequirePermission($0, authenticator: authenticator)]
        }
        self.routes = routes
    }

    func token(client: Int, permissions: [String] = ["analytics:read", "settings:write"]) throws -> [(String, String)] {
        let now = Int64(Date().timeIntervalSince1970)
        let claims = JWTClaims(issuer: "pulse-test", subject: "user-\(client)", audience: ["pulse"], expiresAt: now + 600,
                               issuedAt: now, tokenID: UUID().uuidString, clientID: String(client), permissions: permissions)
        return [("Authorization", "Bearer \(try JWT.sign(claims, with: key))")]
    }

    func makeClient(_ prefix: String) async throws -> Int {
        let owner = try await PostgresConnection.connect(handle.connection.ownerURL)
        defer { owner.close() }
        let slug = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let rows = try await owner.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", [slug.uppercased(), slug])
        return try rows[0].decode(Int.self, at: 0)
    }

    func serve<T>(_ body: (Int) async throws -> T) async throws -> T {
        try await withLiveHTTPServer(responder: routes.router) { _, port in try await body(port) }
    }

    static func get(_ port: Int, _ path: String, _ headers: [(String, String)]) async throws -> (Int, [String: Any]) {
        let client = try HTTPTestClient(port: port)
        let response = try await client.request("GET", path, headers: headers)
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    static func put(_ port: Int, _ path: String, _ headers: [(String, String)], _ body: String) async throws -> (Int, [String: Any]) {
        let client = try HTTPTestClient(port: port)
        let response = try await client.request("PUT", path, headers: headers + [("Content-Type", "application/json")], body: Array(body.utf8))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    /// Polls until `condition` holds (replica replay, background recomputation).
    static func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Raw facts written the way the connectors write them.
struct RawFacts {
    let scope: ClientScope
    let base = t0

    func repository(_ name: String) async throws -> Int {
        try await scope.query("INSERT INTO repositories (client_id, full_name, default_branch) VALUES ($1, $2, 'main') RETURNING id",
                              [scope.clientID, name])[0].decode(Int.self, at: 0)
    }

    func commit(_ repo: Int, _ n: Int, parents: [Int], at hours: Double) async throws {
        try await scope.write { tx in
            try await tx.query(
                "INSERT INTO commits (client_id, repository_id, sha, authored_at, on_default_branch) VALUES ($1, $2, $3, $4, TRUE)",
                [scope.clientID, repo, sha(n), h(hours)])
            for (position, parent) in parents.enumerated() {
                try await tx.query(
                    "INSERT INTO commit_parents (client_id, repository_id, sha, parent_sha, position) VALUES ($1, $2, $3, $4, $5)",
                    [scope.clientID, repo, sha(n), sha(parent), position])
            }
        }
    }

    @discardableResult
    func squashPR(_ repo: Int, number: Int, commitAuthoredAt: Double, merge: Int, mergedAt: Double, labels: [String] = []) async throws -> Int64 {
        try await scope.write { tx in
            let id = try await tx.query(
                """
                INSERT INTO prs (client_id, repository_id, number, title, author, state, base_branch, merge_method, merge_commit_sha,
                                 labels, additions, deletions, source_created_at, first_review_at, merged_at, closed_at)
                VALUES ($1, $2, $3, 'Change', 'alice', 'merged', 'main', 'squash', $4, $5, 10, 5, $6, $7, $8, $8) RETURNING id
                """, [scope.clientID, repo, number, sha(merge), labels, h(commitAuthoredAt + 0.5), h(commitAuthoredAt + 1), h(mergedAt)]
            )[0].decode(Int64.self, at: 0)
            try await tx.query("INSERT INTO prs_commits (client_id, pr_id, sha, authored_at) VALUES ($1, $2, $3, $4)",
                               [scope.clientID, id, sha(10_000 + number), h(commitAuthoredAt)])
            try await tx.query("INSERT INTO commit_pull_requests (client_id, repository_id, sha, pr_id) VALUES ($1, $2, $3, $4)",
                               [scope.clientID, repo, sha(merge), id])
            return id
        }
    }

    @discardableResult
    func deployment(_ repo: Int, _ n: Int, environment: String = "production", at hours: Double, state: String = "success") async throws -> Int64 {
        try await scope.write { tx in
            let id = try await tx.query(
                """
                INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, status, finished_at, source_created_at)
                VALUES ($1, $2, 'github_deployment', $3, $4, $5, $6, $7, $8) RETURNING id
                """, [scope.clientID, repo, UUID().uuidString, environment, sha(n), state, state == "success" ? h(hours) : nil, h(hours - 0.1)]
            )[0].decode(Int64.self, at: 0)
            try await tx.query(
                "INSERT INTO deployment_statuses (client_id, deployment_id, external_id, state, status_created_at) VALUES ($1, $2, $3, $4, $5)",
                [scope.clientID, id, UUID().uuidString, state, h(hours)])
            return id
        }
    }

    /// A Jira incident on `repository` (component), created at `hours`, moved to Done at `resolved`.
    func jiraIncident(key: String, repository: String, at hours: Double, resolved: Double?) async throws {
        try await scope.write { tx in
            try await tx.query(
                "INSERT INTO wits_mappings (client_id, wit_from, wit_to) VALUES ($1, 'Incident', 'incident') ON CONFLICT DO NOTHING",
                [scope.clientID])
            for (status, mapped) in [("Open", "to_do"), ("In Progress", "in_progress"), ("Done", "done")] {
                try await tx.query(
                    "INSERT INTO status_mappings (client_id, status_from, status_to) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [scope.clientID, status, mapped])
            }
            let id = try await tx.query(
                """
                INSERT INTO work_items (client_id, key, summary, wit_name, status_name, components, source_created_at)
                VALUES ($1, $2, 'Checkout errors', 'Incident', $3, $4, $5) RETURNING id
                """, [scope.clientID, key, resolved == nil ? "In Progress" : "Done", [repository], h(hours)])[0].decode(Int64.self, at: 0)
            try await tx.query(
                "INSERT INTO changelogs (client_id, work_item_id, external_id, field, from_value, to_value, changed_at) VALUES ($1, $2, 'c1', 'status', 'Open', 'In Progress', $3)",
                [scope.clientID, id, h(hours + 0.5)])
            if let resolved {
                try await tx.query(
                    "INSERT INTO changelogs (client_id, work_item_id, external_id, field, from_value, to_value, changed_at) VALUES ($1, $2, 'c2', 'status', 'In Progress', 'Done', $3)",
                    [scope.clientID, id, h(resolved)])
            }
        }
    }
}

import Foundation
import Logging
import PulseETL
import PulseHTTPClient
import PulsePostgres
import PulseSecurity
import PulseTestSupport
import Synchronization

/// A migrated cluster (shared by the ETL suites), the app-role database and the owner role
/// (for creating clients, as `pulse clients create` does).
struct JobTestHarness {
    let cluster: PostgresTestCluster.Handle
    let database: PostgresDatabase
    let owner: PostgresDatabase
    static let credentialsKey = AESGCMKey.generate()

    /// `dedicatedCluster`: a cluster of the caller's own (for processes that take every client's jobs).
    static func make(dedicatedCluster: Bool = false) async throws -> JobTestHarness {
        let cluster = dedicatedCluster ? try await PostgresTestCluster.dedicated() : try await PostgresTestCluster.shared.start()
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: cluster.connection.primaryURL))
        var ownerConfiguration = PostgresConfiguration(primary: cluster.connection.ownerURL)
        ownerConfiguration.primaryPool.maxConnections = 1
        return JobTestHarness(cluster: cluster, database: database, owner: try PostgresDatabase(configuration: ownerConfiguration))
    }

    func shutdown() async {
        await database.shutdown()
        await owner.shutdown()
    }

    var sealer: CredentialSealer { CredentialSealer(key: Self.credentialsKey) }
    var loader: IntegrationLoader { IntegrationLoader(database: database, sealer: sealer) }

    func createClient() async throws -> (id: Int, slug: String) {
        let slug = "etl-" + UUID().uuidString.prefix(12).lowercased()
        let id = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", "ETL \(slug)", slug)[0].decode(Int.self, at: 0)
        }
        return (id, slug)
    }

    /// An integration with `settings` and, when given, credentials sealed as the backend does.
    func createIntegration(clientID: Int, provider: String = "custom", baseURL: String = "http://127.0.0.1:9", settings: String = "{}",
                           credentials: String? = nil) async throws -> Int {
        let id = try await database.client(clientID).write { tx in
            try await tx.query(
                "INSERT INTO integrations (client_id, provider, name, base_url, settings) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id",
                clientID, provider, "\(provider)-\(UUID().uuidString.prefix(8))", baseURL, settings)[0].decode(Int.self, at: 0)
        }
        if let credentials {
            let sealed = try sealer.seal(credentials, clientID: clientID, integrationID: id)
            try await database.client(clientID).query("UPDATE integrations SET credentials_encrypted = $2 WHERE id = $1", [id, Data(sealed)])
        }
        return id
    }

    func worker(_ registry: ConnectorRegistry, owner: String, client: (id: Int, slug: String), metrics: JobMetrics? = nil,
                configure: (inout JobWorkerConfiguration) -> Void = { _ in }) throws -> JobWorker {
        var configuration = JobWorkerConfiguration()
        configuration.leaseSeconds = 30
        configuration.heartbeatInterval = 0.2
        configuration.retryBaseSeconds = 0.05
        configure(&configuration)
        // Dedicated to the test's client: suites run in parallel and must not take each other's jobs.
        return JobWorker(database: database, registry: registry, loader: loader, scope: .dedicated(clientID: client.id, slug: client.slug), configuration: configuration,
                         client: try HTTPClient(), owner: owner, metrics: metrics, logger: Logger(label: "test.etl.jobs"))
    }

    /// The job's status and counters.
    func job(_ clientID: Int, _ id: Int) async throws -> (status: String, items: Int, pages: Int, attempt: Int, error: String?, checkpoint: String) {
        let row = try await database.query(
            "SELECT status, items_processed, pages_processed, attempt, error, checkpoint::text FROM etl_job_runs WHERE id = $1", [id],
            clientID: clientID)[0]
        return (try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2),
                try row.decode(Int.self, at: 3), try row.decode(String?.self, at: 4), try row.decode(String.self, at: 5))
    }

    func enqueue(_ clientID: Int, _ integrationID: Int, mode: SyncMode = .full) async throws -> Int {
        let json = try await JobControl(database: database).enqueue(clientID: clientID, integrationID: integrationID, mode: mode)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return object["id"] as! Int
    }

    /// Rows the test connector wrote for an integration (`repositories` named `t<integration>/p<page>-<i>`).
    func rowNames(_ clientID: Int, _ integrationID: Int) async throws -> [String] {
        try await database.query("SELECT full_name FROM repositories WHERE full_name LIKE $1 ORDER BY full_name", ["t\(integrationID)/%"],
                                 clientID: clientID).map { try $0.decode(String.self, at: 0) }
    }

    static func expectedNames(_ integrationID: Int, pages: Int, perPage: Int) -> [String] {
        (0..<pages).flatMap { p in (0..<perPage).map { "t\(integrationID)/p\(String(format: "%03d", p))-\($0)" } }.sorted()
    }

    /// Runs `worker.runAvailable()` until `done` or the deadline (retries are due a little later).
    func drain(_ worker: JobWorker, seconds: Double = 20, until done: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            try await worker.runAvailable()
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// What the test connector does, shared between the test and the connectors it creates.
final class TestSource: Sendable {
    struct Plan: Sendable {
        var pages = 5
        var perPage = 3
        var pageDelay: Duration = .zero
        /// Page index → failures to throw at it before it works (and whether retrying helps).
        var failures: [Int: (count: Int, retryable: Bool)] = [:]
        /// Page index at which the connector hangs until `release()` (a process that stopped).
        var hangAt: Int?
    }
    let plan: Mutex<Plan>
    /// (owner-less) log of page commits attempted: "integration:page".
    let commits = Mutex<[String]>([])
    let runs = Mutex<[Int]>([])
    let hang = Mutex<CheckedContinuation<Void, Never>?>(nil)
    let hanging = Atomic<Bool>(false)

    init(_ plan: Plan = Plan()) { self.plan = Mutex(plan) }

    func release() {
        hang.withLock { $0?.resume(); $0 = nil }
    }

    var registry: ConnectorRegistry {
        ConnectorRegistry(["custom": { integration, _, _ in PagedTestConnector(integration: integration, source: self) }])
    }
}

/// A connector of the tests' own: `pages` pages of `perPage` rows into `repositories`, plain
/// INSERTs (a page stored twice would violate the unique name), checkpoint `{"page": next}`.
struct PagedTestConnector: SyncConnector {
    let integration: SyncIntegration
    let source: TestSource

    func run(_ context: SyncContext) async throws {
        source.runs.withLock { $0.append(integration.id) }
        let plan = source.plan.withLock { $0 }
        let object = try JSONSerialization.jsonObject(with: Data(context.checkpoint.utf8)) as? [String: Any]
        var page = object?["page"] as? Int ?? 0
        context.progress(SyncProgressEvent(.phase("test rows", totalItems: plan.pages * plan.perPage)))
        while page < plan.pages {
            if plan.pageDelay > .zero { try await Task.sleep(for: plan.pageDelay) }
            let failure = source.plan.withLock { p -> (Int, Bool)? in
                guard let f = p.failures[page], f.count > 0 else { return nil }
                p.failures[page] = (f.count - 1, f.retryable)
                return (f.count, f.retryable)
            }
            if let failure {
                context.progress(SyncProgressEvent(.retry(attempt: failure.0, reason: "test failure at page \(page)")))
                throw SyncError("test failure at page \(page)", retryable: failure.1)
            }
            let hangHere = source.plan.withLock { p in
                guard p.hangAt == page else { return false }
                p.hangAt = nil  // once: the instance that takes over does not hang
                return true
            }
            if hangHere {
                source.hanging.store(true, ordering: .sequentiallyConsistent)
                await withCheckedContinuation { continuation in source.hang.withLock { $0 = continuation } }
            }
            let current = page, id = integration.id, perPage = plan.perPage
            source.commits.withLock { $0.append("\(id):\(current)") }
            try await context.commitPage(checkpoint: #"{"page":\#(current + 1)}"#, items: perPage) { tx in
                for i in 0..<perPage {
                    try await tx.query("INSERT INTO repositories (client_id, integration_id, full_name) VALUES ($1, $2, $3)",
                                       integration.clientID, id, "t\(id)/p\(String(format: "%03d", current))-\(i)")
                }
            }
            page += 1
        }
    }
}

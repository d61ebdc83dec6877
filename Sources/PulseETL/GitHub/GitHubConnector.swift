import Foundation
import Logging
import PulseHTTPClient

/// GitHub's side of Pulse (F-GITHUB): repositories of the organisation (or the listed
/// ones), pull requests with reviews, review comments and commits, the commit graph of
/// each default branch, the commit→PR association of default-branch commits that are not
/// a PR's merge commit, deployments with all their statuses, releases and default-branch
/// workflow runs. One transaction per page through `SyncContext.commitPage`, with a
/// checkpoint (phase, repository, next page URL) a killed run resumes from; incremental
/// runs re-read from each endpoint's watermark minus an overlap.
public struct GitHubConnector: SyncConnector, ConnectionCheckable {
    public let integration: SyncIntegration
    let client: HTTPClient
    let logger: Logger
    let clock: any GitHubClock
    let policy: GitHubRetryPolicy
    /// Items per page asked of GitHub (`per_page`, at most 100).
    let pageSize: Int

    public init(integration: SyncIntegration, client: HTTPClient, logger: Logger) {
        self.init(integration: integration, client: client, logger: logger, clock: SystemGitHubClock())
    }

    /// With an injected clock (tests wait virtual minutes), retry policy and page size.
    public init(integration: SyncIntegration, client: HTTPClient, logger: Logger, clock: any GitHubClock,
                policy: GitHubRetryPolicy = .init(), pageSize: Int = 100) {
        self.integration = integration
        self.client = client
        self.logger = logger
        self.clock = clock
        self.policy = policy
        self.pageSize = min(100, max(1, pageSize))
    }

    public func run(_ context: SyncContext) async throws {
        let settings = try GitHubSettings.parse(integration.settingsJSON)
        let credentials = try GitHubCredentials.parse(integration.credentialsJSON)
        let api: GitHubAPIClient
        do {
            api = try GitHubAPIClient(
                http: client, baseURL: integration.baseURL, token: credentials.token,
                allowInsecureHTTP: settings.allowInsecureHttp ?? false, policy: policy, clock: clock,
                cache: PostgresGitHubResponseCache(database: context.database, integrationID: integration.id),
                logger: logger, report: { context.progress($0) })
        } catch {
            throw SyncError("\(error)", retryable: false)
        }
        var checkpoint = GitHubCheckpoint.parse(context.checkpoint).flatMap { $0.phase == .done ? nil : $0 }
            ?? GitHubCheckpoint(runStartedAt: clock.now(), mode: context.mode.rawValue)
        let sync = GitHubSync(
            api: api, context: context, settings: settings, logger: logger, pageSize: pageSize,
            store: GitHubStore(clientID: integration.clientID, integrationID: integration.id),
            incremental: checkpoint.mode == SyncMode.incremental.rawValue)
        do {
            while checkpoint.phase != .done {
                checkpoint = try await sync.runPhase(checkpoint)
            }
        } catch let error as GitHubAPIError {
            throw SyncError(error.description, retryable: error.retryable)
        }
        let stats = api.statistics
        logger.info(
            "github sync finished",
            metadata: ["requests": "\(stats.requests)", "not_modified": "\(stats.notModified)", "waits": "\(stats.waits)",
                       "retries": "\(stats.retries)"])
    }
}

import Foundation
import Logging
import PulseHTTPClient
import PulsePostgres
import PulseSecurity

/// Which connector syncs which provider: `"github"` → `GitHubConnector`, `"jira"` →
/// `JiraConnector`, `"custom"` → ``JSONFeedConnector``. Injectable, so tests (and the
/// composition) decide what is registered.
public struct ConnectorRegistry: Sendable {
    public typealias Factory = @Sendable (_ integration: SyncIntegration, _ client: HTTPClient, _ logger: Logger) throws -> any SyncConnector
    public private(set) var factories: [String: Factory] = [:]

    public init(_ factories: [String: Factory] = [:]) { self.factories = factories }

    public mutating func register(_ provider: String, _ factory: @escaping Factory) { factories[provider] = factory }

    /// The connector for `integration`; a non-retryable `SyncError` for a provider nothing syncs.
    public func connector(for integration: SyncIntegration, client: HTTPClient, logger: Logger) throws -> any SyncConnector {
        guard let factory = factories[integration.provider] else {
            throw SyncError("no connector is available for provider '\(integration.provider)' in this pulse-etl build", retryable: false)
        }
        return try factory(integration, client, logger)
    }

    /// What the pulse-etl executable registers: GitHub, and the JSON feed connector for
    /// `custom` integrations. (Jira: `registry.register("jira") { JiraConnector(integration: $0, client: $1, logger: $2) }`
    /// once the `jira` branch is merged beside this one.)
    public static var standard: ConnectorRegistry {
        var registry = ConnectorRegistry()
        registry.register("github") { integration, client, logger in GitHubConnector(integration: integration, client: client, logger: logger) }
        registry.register("custom") { integration, client, logger in JSONFeedConnector(integration: integration, client: client, logger: logger) }
        return registry
    }
}

/// Loads an integration row and opens its credentials for a run.
public struct IntegrationLoader: Sendable {
    public let database: PostgresDatabase
    /// nil when `integrations.credentials_key` / `PULSE_INTEGRATIONS_CREDENTIALS_KEY` is not set.
    public let sealer: CredentialSealer?

    public init(database: PostgresDatabase, sealer: CredentialSealer?) {
        self.database = database
        self.sealer = sealer
    }

    /// The integration with opened credentials (`{}` when it has none). Non-retryable
    /// `SyncError`s say what is wrong (unknown, inactive, no key, credentials that do not open).
    public func load(clientID: Int, integrationID: Int) async throws -> SyncIntegration {
        let rows = try await database.query(
            "SELECT provider, name, COALESCE(base_url, ''), settings::text, credentials_encrypted, active FROM integrations WHERE id = $1",
            [integrationID], clientID: clientID)
        guard let row = rows.first else { throw SyncError("integration \(integrationID) no longer exists", retryable: false) }
        guard try row.decode(Bool.self, at: 5) else { throw SyncError("integration \(integrationID) is inactive", retryable: false) }
        var credentials = "{}"
        if let sealed = try row.decode(Data?.self, at: 4), !sealed.isEmpty {
            guard let sealer else {
                throw SyncError("the integration's credentials cannot be opened: set PULSE_INTEGRATIONS_CREDENTIALS_KEY (integrations.credentials_key) for pulse-etl",
                                retryable: false)
            }
            do { credentials = try sealer.open(Array(sealed), clientID: clientID, integrationID: integrationID) } catch {
                throw SyncError("the integration's credentials do not open with the configured key (was the key changed?)", retryable: false)
            }
        }
        return SyncIntegration(id: integrationID, clientID: clientID, provider: try row.decode(String.self, at: 0),
                               name: try row.decode(String.self, at: 1), baseURL: try row.decode(String.self, at: 2),
                               settingsJSON: try row.decode(String.self, at: 3), credentialsJSON: credentials)
    }

    /// The sealer for a configured key text (64 hex digits or 43 base64url); nil for empty text.
    public static func sealer(keyText: String?) throws -> CredentialSealer? {
        guard let keyText, !keyText.isEmpty else { return nil }
        return CredentialSealer(key: try AESGCMKey(configured: keyText))
    }
}

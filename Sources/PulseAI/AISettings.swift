import Foundation
import PulseEmbeddings
import PulsePostgres
import PulseSecurity
import Synchronization

/// A client's AI settings (`ai_settings`): which embedding provider it uses and its
/// duplicate threshold. No row means the local model and the default threshold.
public struct AISettings: Sendable, Equatable, Codable {
    public enum Provider: String, Sendable, Codable { case local, openai }
    public var provider: Provider = .local
    public var baseURL: String?
    public var model: String?
    public var dimension: Int?
    public var duplicateThreshold: Double = AISettings.defaultDuplicateThreshold
    /// Whether an API key is stored (the key itself is never returned).
    public var hasAPIKey = false

    /// Cosine similarity above which two items are proposed as duplicates unless tuned.
    public static let defaultDuplicateThreshold = 0.8

    public init() {}
}

/// Reads and writes `ai_settings` and turns them into an `EmbeddingProvider` per client.
/// The OpenAI-compatible provider's key is sealed with `CredentialSealer` bound to
/// (client, -1) and opened only when the provider is built.
final class AISettingsStore: Sendable {
    let database: PostgresDatabase
    let sealer: CredentialSealer?
    let local: @Sendable () throws -> any EmbeddingProvider
    let timeout: TimeInterval
    private let cache = Mutex<[Int: (AISettings, any EmbeddingProvider)]>([:])
    static let sealBinding = -1

    init(database: PostgresDatabase, sealer: CredentialSealer?, timeout: TimeInterval = 30,
         local: @escaping @Sendable () throws -> any EmbeddingProvider) {
        self.database = database
        self.sealer = sealer
        self.local = local
        self.timeout = timeout
    }

    func settings(clientID: Int) async throws -> AISettings {
        try await load(clientID: clientID).settings
    }

    private func load(clientID: Int) async throws -> (settings: AISettings, sealedKey: [UInt8]?) {
        let rows = try await database.client(clientID).query(
            "SELECT provider, base_url, model, dimension, api_key_sealed, duplicate_threshold FROM ai_settings WHERE client_id = $1",
            [clientID])
        var settings = AISettings()
        guard let row = rows.first else { return (settings, nil) }
        settings.provider = AISettings.Provider(rawValue: try row.decode(String.self, at: 0)) ?? .local
        settings.baseURL = try row.decode(String?.self, at: 1)
        settings.model = try row.decode(String?.self, at: 2)
        settings.dimension = try row.decode(Int?.self, at: 3)
        let sealed = try row.decode(Data?.self, at: 4).map { [UInt8]($0) }
        settings.hasAPIKey = sealed != nil
        settings.duplicateThreshold = try row.decode(Double.self, at: 5)
        return (settings, sealed)
    }

    /// Stores new settings; `apiKey` nil keeps the stored key, "" removes it.
    func save(clientID: Int, settings: AISettings, apiKey: String?) async throws {
        var sealed: [UInt8]?? = nil  // nil: keep
        if let apiKey {
            if apiKey.isEmpty {
                sealed = .some(nil)
            } else {
                guard let sealer else {
                    throw AIError.unavailable("no credentials key configured (PULSE_INTEGRATIONS_CREDENTIALS_KEY): an API key cannot be stored")
                }
                sealed = .some(try sealer.seal(apiKey, clientID: clientID, integrationID: Self.sealBinding))
            }
        }
        let keepKey = sealed == nil
        let keyValue: Data? = sealed.flatMap { $0 }.map { Data($0) }
        try await database.client(clientID).write { tx in
            try await tx.query("""
                INSERT INTO ai_settings (client_id, provider, base_url, model, dimension, api_key_sealed, duplicate_threshold)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (client_id) DO UPDATE SET provider = EXCLUDED.provider, base_url = EXCLUDED.base_url,
                    model = EXCLUDED.model, dimension = EXCLUDED.dimension, duplicate_threshold = EXCLUDED.duplicate_threshold,
                    api_key_sealed = CASE WHEN $8 THEN ai_settings.api_key_sealed ELSE EXCLUDED.api_key_sealed END
                """, [clientID, settings.provider.rawValue, settings.baseURL, settings.model, settings.dimension, keyValue,
                      settings.duplicateThreshold, keepKey])
            if let model = settings.model, let dimension = settings.dimension, settings.provider == .openai {
                try await tx.query("INSERT INTO pulse_embedding_models (model, dimension) VALUES ($1, $2) ON CONFLICT (model) DO NOTHING",
                                   [model, dimension])
            }
        }
        cache.withLock { _ = $0.removeValue(forKey: clientID) }
    }

    /// The provider the client's vectors are made with (cached until its settings change).
    func provider(clientID: Int) async throws -> any EmbeddingProvider {
        let (settings, sealed) = try await load(clientID: clientID)
        if let cached = cache.withLock({ $0[clientID] }), cached.0 == settings { return cached.1 }
        let provider: any EmbeddingProvider
        switch settings.provider {
        case .local:
            provider = try local()
        case .openai:
            guard let base = settings.baseURL, let url = URL(string: base), let model = settings.model, let dimension = settings.dimension else {
                throw AIError.unavailable("the client's OpenAI-compatible provider is not fully configured")
            }
            var apiKey: String?
            if let sealed {
                guard let sealer else { throw AIError.unavailable("no credentials key configured to open the provider's API key") }
                apiKey = try sealer.open(sealed, clientID: clientID, integrationID: Self.sealBinding)
            }
            var configuration = OpenAIEmbeddingConfiguration(baseURL: url, apiKey: apiKey, model: model, dimension: dimension)
            configuration.timeout = timeout
            configuration.maxBatch = 64
            provider = OpenAICompatibleEmbeddingProvider(configuration: configuration, transport: try PulseHTTPTransport())
        }
        cache.withLock { $0[clientID] = (settings, provider) }
        return provider
    }
}

/// Errors of the AI service that are not HTTP input errors.
enum AIError: Error, CustomStringConvertible {
    case unavailable(String)
    var description: String {
        switch self {
        case .unavailable(let text): text
        }
    }
}

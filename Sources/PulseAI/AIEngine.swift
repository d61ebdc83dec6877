import Foundation
import Logging
import PulseEmbeddings
import PulseObservability
import PulsePostgres
import PulseSecurity
import Synchronization

/// Everything pulse-ai runs, built once per process: settings and providers, the document
/// store, the vector indexes, the embedding pipeline, search, predictions, anomalies,
/// validation and feedback. `AIServiceComposition` builds it and registers its routes.
public final class AIEngine: Sendable {
    public let database: PostgresDatabase
    let logger: Logger
    let documents: AIDocumentStore
    let settings: AISettingsStore
    let indexes: VectorIndexStore
    let monitor: AIMonitor
    let feedback: FeedbackStore
    public let pipeline: EmbeddingPipeline
    let search: AISearch
    let estimator: StoryPointEstimator
    let forecaster: DeliveryForecaster
    let scorer: PredictionScorer
    let anomalies: AnomalyService
    let validator: DataValidator
    private let background = Mutex<[Task<Void, Never>]>([])

    /// - Parameters:
    ///   - dataDirectory: `paths.data_dir`; indexes live in `<dataDirectory>/ai/indexes`.
    ///   - credentialsKey: 64 hex digits sealing provider API keys (nil: keys cannot be stored).
    ///   - localProvider: builds the in-process provider (default: the local MiniLM model, loaded once on first use).
    public init(database: PostgresDatabase, dataDirectory: String, metrics: MetricsRegistry, logger: Logger,
                credentialsKey: String? = nil, providerTimeout: TimeInterval = 30, batchSize: Int = 32,
                localProvider: (@Sendable () throws -> any EmbeddingProvider)? = nil) throws {
        self.database = database
        self.logger = logger
        let sealer = try credentialsKey.map { key throws in CredentialSealer(key: try AESGCMKey(configured: key)) }
        let local = localProvider ?? LazyLocalProvider().get
        documents = AIDocumentStore(database: database)
        settings = AISettingsStore(database: database, sealer: sealer, timeout: providerTimeout, local: local)
        monitor = AIMonitor(database: database, metrics: metrics, logger: logger)
        indexes = VectorIndexStore(directory: dataDirectory + "/ai/indexes", documents: documents, logger: logger)
        feedback = FeedbackStore(database: database)
        pipeline = EmbeddingPipeline(documents: documents, settings: settings, indexes: indexes, monitor: monitor,
                                     logger: logger, batchSize: batchSize)
        search = AISearch(documents: documents, settings: settings, indexes: indexes, feedback: feedback, monitor: monitor)
        estimator = StoryPointEstimator(search: search)
        forecaster = DeliveryForecaster(database: database)
        scorer = PredictionScorer(database: database, monitor: monitor)
        anomalies = AnomalyService(database: database, monitor: monitor)
        validator = DataValidator(database: database)
        // After each sync's embedding run: score predictions whose outcome is now known, look
        // for anomalies in the new week's figures, validate the new data.
        let scorer = self.scorer, anomalies = self.anomalies, validator = self.validator
        pipeline.afterDrain.withLock {
            $0.append { clientID in
                do {
                    try await scorer.score(clientID: clientID)
                    try await anomalies.run(clientID: clientID)
                    try await validator.run(clientID: clientID)
                } catch {
                    logger.error("Post-sync AI runs failed", metadata: ["client": "\(clientID)", "error": "\(error)"])
                }
            }
        }
    }

    /// Starts the background work: LISTEN `pulse_sync_finished` (a drain per notified
    /// client), the backlog of every client now, and the once-a-minute latency flush.
    public func start() throws {
        let listener = try PostgresListener(conninfo: database.primary.conninfo, channels: [SyncNotification.channel]) { [self] in
            // Notifications may have been missed while the connection was down.
            Task { await drainAllClients() }
        }
        let listen = Task { [self] in
            do {
                for try await notification in listener {
                    guard let event = SyncNotification(payload: notification.payload) else {
                        logger.warning("Unreadable pulse_sync_finished payload ignored", metadata: ["payload": "\(notification.payload.prefix(200))"])
                        continue
                    }
                    logger.debug("Sync finished: embedding", metadata: ["client": "\(event.clientID)", "job": "\(event.jobID ?? 0)"])
                    pipeline.requestDrain(clientID: event.clientID)
                }
            } catch {
                logger.error("pulse_sync_finished listener stopped", metadata: ["error": "\(error)"])
            }
        }
        let backlog = Task { [self] in await drainAllClients() }
        let flush = Task { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(60)) } catch { break }
                await monitor.flushSearchLatency()
            }
        }
        background.withLock { $0 += [listen, backlog, flush] }
    }

    /// Stops the background tasks (tests).
    public func stop() {
        for task in background.withLock({ $0 }) { task.cancel() }
    }

    func drainAllClients() async {
        do {
            let rows = try await database.query("SELECT pulse_ai_active_clients()")
            logger.info("Embedding backlog check", metadata: ["clients": "\(rows.count)"])
            for row in rows { pipeline.requestDrain(clientID: try row.decode(Int.self, at: 0)) }
        } catch {
            logger.error("Could not list clients for the embedding backlog", metadata: ["error": "\(error)"])
        }
    }
}

/// The ETL's `NOTIFY pulse_sync_finished` payload: `{"client_id","integration_id","job_id","provider"}`.
struct SyncNotification: Sendable {
    static let channel = "pulse_sync_finished"
    let clientID: Int
    let jobID: Int?

    init?(payload: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
            let client = (object["client_id"] as? NSNumber)?.intValue, client > 0
        else { return nil }
        clientID = client
        jobID = (object["job_id"] as? NSNumber)?.intValue
    }
}

/// The local model, loaded on first use and shared by every client.
final class LazyLocalProvider: Sendable {
    private let provider = Mutex<LocalEmbeddingProvider?>(nil)

    func get() throws -> any EmbeddingProvider {
        try provider.withLock { cached in
            if let cached { return cached }
            var configuration = LocalModelConfiguration.resolve()
            configuration.modelName = "all-MiniLM-L6-v2"  // the name pulse_embedding_models lists
            configuration.threads = 2  // backlog batches use both cores
            let loaded = LocalEmbeddingProvider(model: try LocalEmbeddingModel(configuration: configuration))
            cached = loaded
            return loaded
        }
    }
}

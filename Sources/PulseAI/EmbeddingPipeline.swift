import Foundation
import Logging
import PulseEmbeddings
import PulseObservability
import PulsePostgres
import Synchronization

/// Where a client's embedding backlog stands (`GET /ai/embeddings/status`).
public struct EmbeddingProgress: Sendable, Codable, Equatable {
    public var clientID: Int
    public var state = "idle"  // idle, running, error
    public var model: String?
    public var dimension: Int?
    public var total = 0
    public var embedded = 0
    public var pending = 0
    public var withoutText = 0
    public var embeddedThisRun = 0
    public var itemsPerSecond: Double?
    public var lastRunStartedAt: Date?
    public var lastRunFinishedAt: Date?
    public var lastError: String?
    public var indexVectors: Int?
    public var indexOrigin: String?
}

/// Embeds new and changed items of a client with the client's provider, batch by batch,
/// and keeps the client's vector index in step. Drains of one client run one at a time;
/// a drain requested while one runs is queued once (requests coalesce).
public final class EmbeddingPipeline: Sendable {
    let documents: AIDocumentStore
    let settings: AISettingsStore
    let indexes: VectorIndexStore
    let monitor: AIMonitor
    let logger: Logger
    let batchSize: Int
    private let progress = Mutex<[Int: EmbeddingProgress]>([:])
    private struct Slot {
        var tail: Task<Void, Never>?
        var queued: (id: Int, task: Task<Void, Never>)?
    }
    private let queue = Mutex<(next: Int, slots: [Int: Slot])>((0, [:]))
    /// Runs after each drain of a client (prediction scoring, anomaly and validation runs).
    let afterDrain = Mutex<[@Sendable (Int) async -> Void]>([])

    init(documents: AIDocumentStore, settings: AISettingsStore, indexes: VectorIndexStore, monitor: AIMonitor,
         logger: Logger, batchSize: Int = 32) {
        self.documents = documents
        self.settings = settings
        self.indexes = indexes
        self.monitor = monitor
        self.logger = logger
        self.batchSize = batchSize
    }

    public func status(clientID: Int) -> EmbeddingProgress {
        progress.withLock { $0[clientID] } ?? EmbeddingProgress(clientID: clientID)
    }

    /// Queues a drain of `clientID` and returns the task that runs it (awaiting it waits for
    /// the drain, and for the one before it).
    @discardableResult
    public func requestDrain(clientID: Int) -> Task<Void, Never> {
        queue.withLock { state -> Task<Void, Never> in
            var slot = state.slots[clientID] ?? Slot()
            if let queued = slot.queued { return queued.task }
            state.next += 1
            let id = state.next, previous = slot.tail
            let task = Task { [self] in
                await previous?.value
                // From here on a new request queues behind this run instead of joining it.
                queue.withLock { state in
                    if state.slots[clientID]?.queued?.id == id { state.slots[clientID]?.queued = nil }
                }
                await drain(clientID: clientID)
            }
            slot.tail = task
            slot.queued = (id, task)
            state.slots[clientID] = slot
            return task
        }
    }

    /// Drains now (awaits the queue).
    public func drainNow(clientID: Int) async { await requestDrain(clientID: clientID).value }

    private func update(_ clientID: Int, _ change: (inout EmbeddingProgress) -> Void) {
        progress.withLock { all in
            var value = all[clientID] ?? EmbeddingProgress(clientID: clientID)
            change(&value)
            all[clientID] = value
        }
    }

    private func drain(clientID: Int) async {
        let started = Date()
        update(clientID) { $0.state = "running"; $0.lastRunStartedAt = started; $0.embeddedThisRun = 0 }
        var embedded = 0
        var embedSeconds = 0.0
        var failure: String?
        var model: EmbeddingModelInfo?
        do {
            let provider = try await settings.provider(clientID: clientID)
            model = provider.model
            let key = VectorIndexStore.Key(clientID: clientID, model: provider.model.name, dimension: provider.model.dimension)
            let index = try await indexes.index(key)
            indexes.dropOtherModels(clientID: clientID, keep: key)
            update(clientID) { $0.model = key.model; $0.dimension = key.dimension; $0.indexOrigin = self.indexes.origin(key)?.rawValue }
            var removed = try await documents.refresh(clientID: clientID)
            removed += try await documents.clearEmptied(clientID: clientID)
            for ref in removed { index.remove(ref) }
            if !removed.isEmpty { indexes.markDirty(key) }
            try await refreshCounts(clientID: clientID, model: key.model)
            while !Task.isCancelled {
                let batch = try await documents.pending(clientID: clientID, model: key.model, limit: batchSize)
                if batch.isEmpty { break }
                let clock = ContinuousClock.now
                let vectors: [[Float]]
                do {
                    let result = try await provider.embed(batch.map(\.text))
                    guard result.count == batch.count else {
                        throw EmbeddingError.invalidResponse("\(result.count) embeddings for \(batch.count) texts")
                    }
                    vectors = try result.map { embedding throws(EmbeddingError) in
                        guard embedding.model == provider.model, embedding.vector.count == key.dimension else {
                            throw .dimensionMismatch(model: key.model, expected: key.dimension, received: embedding.vector.count)
                        }
                        guard embedding.vector.allSatisfy(\.isFinite), embedding.vector.contains(where: { $0 != 0 }) else {
                            throw .invalidResponse("a vector is zero or not finite")
                        }
                        return embedding.vector
                    }
                }
                embedSeconds += (ContinuousClock.now - clock).seconds
                // Vectors are stored before the index sees them: the database stays the truth.
                try await documents.store(clientID: clientID, model: key.model, dimension: key.dimension, documents: batch, vectors: vectors)
                for (document, vector) in zip(batch, vectors) { try index.add(document.ref, vector: vector) }
                indexes.markDirty(key)
                embedded += batch.count
                monitor.embeddedItems.labels(key.model).increment(by: batch.count)
                let rate = embedSeconds > 0 ? Double(embedded) / embedSeconds : nil
                update(clientID) { p in
                    p.embeddedThisRun = embedded
                    p.embedded += batch.count
                    p.pending = max(0, p.pending - batch.count)
                    p.itemsPerSecond = rate
                    p.indexVectors = index.count
                }
                monitor.pending.labels(String(clientID)).set(Double(status(clientID: clientID).pending))
            }
            indexes.saveDirty()
            try await refreshCounts(clientID: clientID, model: key.model)
            update(clientID) { $0.indexVectors = index.count }
            monitor.indexVectors.labels(String(clientID), key.model).set(Double(index.count))
            if embedded > 0, embedSeconds > 0 {
                await monitor.record(clientID: clientID, metric: "embedding_throughput", value: Double(embedded) / embedSeconds, unit: "items/s",
                                     context: ["model": key.model, "items": "\(embedded)"])
            }
            await monitor.record(clientID: clientID, metric: "index_size", value: Double(index.count), unit: "vectors",
                                 context: ["model": key.model, "bytes": "\(index.index.memoryBytes)"])
        } catch {
            failure = "\(error)"
            indexes.saveDirty()
            logger.error("Embedding run failed; stored vectors and the index stay as they were",
                         metadata: ["client": "\(clientID)", "model": "\(model?.name ?? "?")", "error": "\(error)"])
        }
        let finished = Date()
        update(clientID) { p in
            p.state = failure == nil ? "idle" : "error"
            p.lastError = failure
            p.lastRunFinishedAt = finished
        }
        if embedded > 0 {
            logger.info("Embedded items", metadata: ["client": "\(clientID)", "items": "\(embedded)",
                                                     "seconds": "\(String(format: "%.1f", finished.timeIntervalSince(started)))"])
        }
        for hook in afterDrain.withLock({ $0 }) { await hook(clientID) }
    }

    private func refreshCounts(clientID: Int, model: String) async throws {
        let counts = try await documents.counts(clientID: clientID, model: model)
        update(clientID) { p in
            p.total = counts.total
            p.embedded = counts.embedded
            p.pending = counts.pending
            p.withoutText = counts.empty
        }
        monitor.pending.labels(String(clientID)).set(Double(counts.pending))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

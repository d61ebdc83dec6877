import Foundation
import Logging
import PulseVector
import Synchronization

/// One HNSW index per client and embedding model, kept in memory, persisted under
/// `<data_dir>/ai/indexes/client-<id>/<model>-<dimension>.hnsw` and loaded at first use.
///
/// A loaded file is reconciled with the database (the source of truth: the `embedding`
/// columns): items deleted since the save are removed, items embedded at or after the save
/// are (re-)added. A missing, corrupt or mismatching file is rebuilt from the database.
/// A file is written to a temporary name, fsynced and renamed (PulseVector), so a process
/// killed while saving leaves the previous file, which then loads and is reconciled.
final class VectorIndexStore: Sendable {
    struct Key: Hashable, Sendable {
        let clientID: Int
        let model: String
        let dimension: Int
    }

    /// How an index came to be in memory (for logs, status and tests).
    enum Origin: String, Sendable { case loaded, rebuilt, created }

    let directory: String
    let documents: AIDocumentStore
    let logger: Logger
    private let indexes = Mutex<[Key: ClientIndex]>([:])
    private let origins = Mutex<[Key: Origin]>([:])
    private let dirty = Mutex<Set<Key>>([])
    private let opening = OpeningGate()

    init(directory: String, documents: AIDocumentStore, logger: Logger) {
        self.directory = directory
        self.documents = documents
        self.logger = logger
    }

    func path(_ key: Key) -> String {
        let safe = String(key.model.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        return "\(directory)/client-\(key.clientID)/\(safe)-\(key.dimension).hnsw"
    }

    func origin(_ key: Key) -> Origin? { origins.withLock { $0[key] } }

    /// Indexes in memory (for /metrics).
    var loaded: [(key: Key, count: Int, bytes: Int)] {
        indexes.withLock { $0.map { ($0.key, $0.value.index.count, $0.value.index.memoryBytes) } }
    }

    /// The index of `key`, loaded or rebuilt on first use.
    func index(_ key: Key) async throws -> ClientIndex {
        if let index = indexes.withLock({ $0[key] }) { return index }
        return try await opening.run(key) { [self] in
            if let index = indexes.withLock({ $0[key] }) { return index }
            let (index, origin) = try await open(key)
            indexes.withLock { $0[key] = index }
            origins.withLock { $0[key] = origin }
            return index
        }
    }

    private func open(_ key: Key) async throws -> (ClientIndex, Origin) {
        let file = path(key)
        removeTemporaryFiles(next: file)
        if FileManager.default.fileExists(atPath: file) {
            do {
                let loaded = try HNSWIndex.load(from: file)
                guard loaded.dimension == key.dimension else {
                    throw VectorError.corruptFile(path: file, reason: "dimension \(loaded.dimension), expected \(key.dimension)")
                }
                let ids = try Self.readIDs(file + ".ids")
                guard ids.count == loaded.count, ids.allSatisfy({ loaded.contains(id: $0) }) else {
                    throw VectorError.corruptFile(path: file, reason: "id list does not match the index")
                }
                let index = ClientIndex(index: loaded, ids: ids)
                let savedAt = Self.savedAt(file)
                let changed = try await reconcile(index, key: key, savedAt: savedAt)
                logger.info("Vector index loaded", metadata: ["client": "\(key.clientID)", "model": "\(key.model)",
                                                            "vectors": "\(loaded.count)", "reconciled": "\(changed)"])
                if changed > 0 { markDirty(key) }
                return (index, .loaded)
            } catch {
                logger.warning("Vector index unreadable: rebuilding it from the database",
                               metadata: ["path": "\(file)", "error": "\(error)"])
            }
        }
        let index = ClientIndex(index: try HNSWIndex(parameters: HNSWParameters(dimension: key.dimension)), ids: [])
        let stored = try await documents.vectors(clientID: key.clientID, model: key.model)
        if !stored.isEmpty {
            index.index.reserve(capacity: stored.count)
            var flat: [Float] = []
            flat.reserveCapacity(stored.count * key.dimension)
            var ids: [UInt64] = []
            for item in stored where item.vector.count == key.dimension {
                ids.append(item.ref.vectorID)
                flat += item.vector
            }
            try index.addBatch(ids: ids, vectors: flat)
            markDirty(key)
        }
        let origin: Origin = FileManager.default.fileExists(atPath: file) || !stored.isEmpty ? .rebuilt : .created
        logger.info("Vector index built from the database", metadata: ["client": "\(key.clientID)", "model": "\(key.model)",
                                                                      "vectors": "\(index.index.count)"])
        return (index, origin)
    }

    /// Makes a loaded index match the database; returns how many entries changed.
    private func reconcile(_ index: ClientIndex, key: Key, savedAt: Date?) async throws -> Int {
        let stored = try await documents.vectors(clientID: key.clientID, model: key.model)
        var changed = 0
        var inDatabase = Set<UInt64>()
        for item in stored {
            let id = item.ref.vectorID
            inDatabase.insert(id)
            // Embedded after (or within a second before) the save: the file may hold an older vector.
            let fresh = savedAt.map { item.embeddedAt.addingTimeInterval(1) < $0 } ?? false
            if !index.index.contains(id: id) || !fresh {
                if item.vector.count == key.dimension {
                    try index.add(item.ref, vector: item.vector)
                    changed += 1
                }
            }
        }
        for id in index.idSnapshot where !inDatabase.contains(id) {
            if let ref = AIItemRef(vectorID: id) { index.remove(ref) }
            changed += 1
        }
        return changed
    }

    private func removeTemporaryFiles(next file: String) {
        let folder = (file as NSString).deletingLastPathComponent, name = (file as NSString).lastPathComponent
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(name + ".tmp") {
            try? FileManager.default.removeItem(atPath: folder + "/" + entry)
        }
    }

    func markDirty(_ key: Key) { dirty.withLock { _ = $0.insert(key) } }

    /// Writes every changed index (and a sidecar with the save time).
    func saveDirty() {
        let keys = dirty.withLock { set -> Set<Key> in
            let keys = set
            set.removeAll()
            return keys
        }
        for key in keys {
            guard let index = indexes.withLock({ $0[key] }) else { continue }
            let file = path(key)
            do {
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let started = Date()
                try index.save(to: file)
                try Data("{\"saved_at\": \(started.timeIntervalSince1970)}".utf8).write(to: URL(fileURLWithPath: file + ".meta"), options: .atomic)
            } catch {
                markDirty(key)
                logger.error("Vector index not saved", metadata: ["path": "\(file)", "error": "\(error)"])
            }
        }
    }

    /// When the file was last saved (the sidecar's time; nil when unknown: everything is re-added).
    static func savedAt(_ file: String) -> Date? {
        guard let data = FileManager.default.contents(atPath: file + ".meta"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let seconds = object["saved_at"] as? Double
        else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Drops the in-memory indexes of a client's other models (after a model change).
    func dropOtherModels(clientID: Int, keep: Key) {
        indexes.withLock { all in
            for key in all.keys where key.clientID == clientID && key != keep { all.removeValue(forKey: key) }
        }
    }

    /// Forgets every in-memory index (tests: simulate a restart).
    func unloadAll() {
        indexes.withLock { $0.removeAll() }
        origins.withLock { $0.removeAll() }
    }
}

/// An index and the ids it holds (PulseVector does not list ids; the list is saved next to
/// the file so a reload knows what to reconcile).
final class ClientIndex: Sendable {
    let index: HNSWIndex
    private let ids: Mutex<Set<UInt64>>

    init(index: HNSWIndex, ids: Set<UInt64>) {
        self.index = index
        self.ids = Mutex(ids)
    }

    var idSnapshot: Set<UInt64> { ids.withLock { $0 } }
    var count: Int { index.count }

    func add(_ ref: AIItemRef, vector: [Float]) throws {
        try index.add(id: ref.vectorID, vector: vector)
        ids.withLock { _ = $0.insert(ref.vectorID) }
    }

    func addBatch(ids new: [UInt64], vectors: [Float]) throws {
        try index.add(ids: new, vectors: vectors, threads: 2)
        ids.withLock { $0.formUnion(new) }
    }

    func remove(_ ref: AIItemRef) {
        _ = index.remove(id: ref.vectorID)
        ids.withLock { _ = $0.remove(ref.vectorID) }
    }

    /// Writes the ids file first, then the index (each atomically); a crash between them
    /// leaves a pair that does not match, which the next load rebuilds.
    func save(to file: String) throws {
        let snapshot = idSnapshot
        var bytes = [UInt8]()
        bytes.reserveCapacity(snapshot.count * 8)
        for id in snapshot.sorted() { withUnsafeBytes(of: id.littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: URL(fileURLWithPath: file + ".ids"), options: .atomic)
        try index.save(to: file)
    }
}

extension VectorIndexStore {
    static func readIDs(_ path: String) throws -> Set<UInt64> {
        guard let data = FileManager.default.contents(atPath: path), data.count % 8 == 0 else {
            throw VectorError.corruptFile(path: path, reason: "missing or truncated id list")
        }
        var ids = Set<UInt64>()
        data.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: 8) {
                ids.insert(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            }
        }
        return ids
    }
}

/// Runs one opening per key at a time; later callers wait for the first.
final class OpeningGate: Sendable {
    private let tasks = Mutex<[VectorIndexStore.Key: Task<ClientIndex, any Error>]>([:])

    func run(_ key: VectorIndexStore.Key, _ body: @escaping @Sendable () async throws -> ClientIndex) async throws -> ClientIndex {
        let task = tasks.withLock { tasks -> Task<ClientIndex, any Error> in
            if let existing = tasks[key] { return existing }
            let task = Task { try await body() }
            tasks[key] = task
            return task
        }
        defer { tasks.withLock { _ = $0.removeValue(forKey: key) } }
        return try await task.value
    }
}

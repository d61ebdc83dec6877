/// An HNSW (hierarchical navigable small world) index of Float32 vectors under cosine distance.
///
/// Vectors are normalised on insert and on query, so cosine is a SIMD dot product. Ids are the
/// caller's `UInt64`s; internally each vector has a slot in flat, hnswlib-style storage.
///
/// Concurrency: any number of searches run in parallel with each other and with one writer.
/// Writers (`add`, `remove`) are serialised. A single `add` finds its neighbours under the shared
/// lock (searches keep running) and takes the exclusive lock only to link the node. A batch
/// `add(ids:vectors:threads:)` holds the exclusive lock for the whole batch and inserts with
/// several threads, locking link lists per node. All access to the raw storage follows this
/// discipline, which is why the type can be `@unchecked Sendable`.
public final class HNSWIndex: @unchecked Sendable {
    public let parameters: HNSWParameters
    let storage: GraphStorage
    var generator: LevelGenerator
    var entryPoint = noNode
    var maxLevel = -1
    var slotsByID: [UInt64: UInt32] = [:]
    /// Slots of deleted nodes, reused by later inserts.
    var freeSlots: [UInt32] = []
    let lock = ReadWriteLock()
    let writerLock = PosixMutex()
    let scratchPool: ScratchPool

    /// Creates an empty index. Throws ``VectorError/invalidParameter(_:)`` for out-of-range values.
    public init(parameters: HNSWParameters) throws {
        let p = try parameters.validated()
        self.parameters = p
        storage = GraphStorage(dimension: p.dimension, m: p.m)
        generator = LevelGenerator(seed: p.seed, m: p.m)
        scratchPool = ScratchPool(stride: storage.stride)
    }

    public var dimension: Int { parameters.dimension }

    /// Number of live (not deleted) vectors.
    public var count: Int { lock.withReadLock { slotsByID.count } }

    public func contains(id: UInt64) -> Bool { lock.withReadLock { slotsByID[id] != nil } }

    /// Bytes held by vectors, links, bookkeeping and search scratch.
    public var memoryBytes: Int {
        lock.withReadLock {
            storage.allocatedBytes + slotsByID.capacity * 16 + freeSlots.capacity * 4 + scratchPool.bytes
        }
    }

    /// Makes room for `capacity` vectors up front (avoids regrowth during a large build).
    public func reserve(capacity: Int) {
        writerLock.withLock { lock.withWriteLock { storage.reserve(capacity, exact: true) } }
    }

    /// The `k` nearest live vectors to `query`, nearest first.
    /// - Parameters:
    ///   - ef: candidate list size (default `parameters.efSearch`, raised to at least `k`).
    ///   - filter: only ids for which it returns true are returned. Filtered-out nodes are still
    ///     traversed, so recall holds; a very selective filter makes the search visit more nodes.
    public func search(_ query: [Float], k: Int, ef: Int? = nil, filter: ((UInt64) -> Bool)? = nil) throws
        -> [SearchResult]
    {
        guard k > 0 else { throw VectorError.invalidParameter("k must be positive, got \(k)") }
        let stride = storage.stride
        let dim = parameters.dimension
        return try scratchPool.withScratch(capacity: 0) { scratch in
            try query.withUnsafeBufferPointer {
                try normalise($0, dimension: dim, into: scratch.query, stride: stride)
            }
            return lock.withReadLock { () -> [SearchResult] in
                guard entryPoint != noNode else { return [] }
                let view = storage.view
                let graph = GraphSearch(view: view, linkGuard: Unguarded())
                let start = graph.descend(scratch.query, entry: entryPoint, fromLevel: maxLevel, toLevel: 0)
                let width = max(ef ?? parameters.efSearch, k)
                if let filter {
                    graph.searchLayer(
                        scratch.query, entry: start, level: 0, ef: width, capacity: storage.capacity,
                        scratch: scratch, admission: FilteredLiveNodes(view: view, predicate: filter))
                } else {
                    graph.searchLayer(
                        scratch.query, entry: start, level: 0, ef: width, capacity: storage.capacity,
                        scratch: scratch, admission: LiveNodes(view: view, hasDeletions: !freeSlots.isEmpty))
                }
                while scratch.results.count > k { scratch.results.pop() }
                var hits = [SearchResult](repeating: SearchResult(id: 0, distance: 0), count: scratch.results.count)
                var i = hits.count - 1
                while scratch.results.count > 0 {
                    let top = scratch.results.top
                    hits[i] = SearchResult(id: view.labels[Int(top.id)], distance: top.distance)
                    scratch.results.pop()
                    i -= 1
                }
                return hits
            }
        }
    }

    /// Exact k nearest live vectors by scanning every slot (for verification and small sets).
    public func exactSearch(_ query: [Float], k: Int, filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        guard k > 0 else { throw VectorError.invalidParameter("k must be positive, got \(k)") }
        let stride = storage.stride
        let q = UnsafeMutableRawPointer.allocate(byteCount: stride * 4, alignment: 64).bindMemory(to: Float.self, capacity: stride)
        defer { q.deallocate() }
        try query.withUnsafeBufferPointer { try normalise($0, dimension: parameters.dimension, into: q, stride: stride) }
        return lock.withReadLock {
            let view = storage.view
            return exactTopK(query: q, vectors: view.vectors, rows: storage.count, stride: stride, k: k) { row in
                view.deleted[row] == 0 && (filter?(view.labels[row]) ?? true)
            }.map { SearchResult(id: view.labels[Int($0.id)], distance: $0.distance) }
        }
    }
}

/// Exact top-k over `rows` padded unit vectors, nearest first; `admits` selects the rows.
func exactTopK(
    query: UnsafePointer<Float>, vectors: UnsafePointer<Float>, rows: Int, stride: Int, k: Int,
    admits: (Int) -> Bool
) -> [Candidate] {
    var heap = CandidateHeap(capacity: k + 1)
    defer { heap.deallocate() }
    for row in 0..<rows where admits(row) {
        let d = cosineDistance(query, vectors + row * stride, stride)
        if heap.count < k {
            heap.push(d, UInt32(row))
        } else if d < heap.top.distance {
            heap.pop()
            heap.push(d, UInt32(row))
        }
    }
    var out = [Candidate]()
    out.reserveCapacity(heap.count)
    while heap.count > 0 {
        out.append(heap.top)
        heap.pop()
    }
    return out.reversed()
}

/// Tuning knobs of an ``HNSWIndex``. Names follow the HNSW paper and hnswlib.
public struct HNSWParameters: Sendable, Equatable {
    /// Vector length. Every inserted and queried vector must have exactly this many components.
    public var dimension: Int
    /// Neighbours per node on the upper layers (`M` in the paper, 16 in hnswlib, 32 in FAISS).
    /// Layer 0 keeps up to `2 * m`. Useful range 8...64; memory grows by about 8·m bytes a vector.
    public var m: Int
    /// Candidate list size while building (`efConstruction`; 200 in hnswlib, 40 in FAISS).
    /// Larger builds slower and gives better recall. Raised to at least `m`.
    public var efConstruction: Int
    /// Default candidate list size while searching (`ef`). Raised to at least `k` per query.
    public var efSearch: Int
    /// Seed of the level generator: the same seed and a single-threaded build give the same graph.
    public var seed: UInt64

    public init(dimension: Int, m: Int = 16, efConstruction: Int = 200, efSearch: Int = 64, seed: UInt64 = 100) {
        self.dimension = dimension
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.seed = seed
    }

    func validated() throws -> HNSWParameters {
        guard (1...65_536).contains(dimension) else {
            throw VectorError.invalidParameter("dimension must be in 1...65536, got \(dimension)")
        }
        guard (2...128).contains(m) else { throw VectorError.invalidParameter("m must be in 2...128, got \(m)") }
        guard (1...100_000).contains(efConstruction) else {
            throw VectorError.invalidParameter("efConstruction must be in 1...100000, got \(efConstruction)")
        }
        guard (1...100_000).contains(efSearch) else {
            throw VectorError.invalidParameter("efSearch must be in 1...100000, got \(efSearch)")
        }
        var p = self
        p.efConstruction = max(efConstruction, m)
        return p
    }
}

/// One search hit: the caller's id and the cosine distance (1 − cosine similarity, 0...2).
public struct SearchResult: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt64
    public let distance: Float

    public init(id: UInt64, distance: Float) {
        self.id = id
        self.distance = distance
    }

    public var description: String { "\(id):\(distance)" }
}

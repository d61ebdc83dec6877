/// Exact cosine search by scanning every vector: for small sets (a few thousand vectors, where
/// a scan beats building a graph) and as the reference that HNSW recall is measured against.
/// Same input rules as ``HNSWIndex``. Not thread safe: wrap it if it is shared.
public struct BruteForceIndex: Sendable {
    public let dimension: Int
    private let stride: Int
    private var vectors: [Float] = []
    private var ids: [UInt64] = []
    private var rows: [UInt64: Int] = [:]

    public init(dimension: Int) throws {
        guard (1...65_536).contains(dimension) else {
            throw VectorError.invalidParameter("dimension must be in 1...65536, got \(dimension)")
        }
        self.dimension = dimension
        stride = paddedStride(dimension)
    }

    public var count: Int { ids.count }

    /// Inserts or replaces the vector of `id`.
    public mutating func add(id: UInt64, vector: [Float]) throws {
        var staged = [Float](repeating: 0, count: stride)
        try staged.withUnsafeMutableBufferPointer { out in
            try vector.withUnsafeBufferPointer { try normalise($0, dimension: dimension, into: out.baseAddress!, stride: stride) }
        }
        if let row = rows[id] {
            vectors.replaceSubrange(row * stride..<(row + 1) * stride, with: staged)
        } else {
            rows[id] = ids.count
            ids.append(id)
            vectors.append(contentsOf: staged)
        }
    }

    /// Removes `id` (the last row moves into its place). Returns false if absent.
    @discardableResult
    public mutating func remove(id: UInt64) -> Bool {
        guard let row = rows.removeValue(forKey: id) else { return false }
        let last = ids.count - 1
        if row != last {
            let moved = ids[last]
            ids[row] = moved
            rows[moved] = row
            vectors.withUnsafeMutableBufferPointer { v in
                (v.baseAddress! + row * stride).update(from: v.baseAddress! + last * stride, count: stride)
            }
        }
        ids.removeLast()
        vectors.removeLast(stride)
        return true
    }

    /// The exact `k` nearest vectors, nearest first.
    public func search(_ query: [Float], k: Int, filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        guard k > 0 else { throw VectorError.invalidParameter("k must be positive, got \(k)") }
        guard !ids.isEmpty else {
            try query.withUnsafeBufferPointer { q in
                try withUnsafeTemporaryAllocation(of: Float.self, capacity: stride) {
                    try normalise(q, dimension: dimension, into: $0.baseAddress!, stride: stride)
                }
            }
            return []
        }
        var q = [Float](repeating: 0, count: stride)
        try q.withUnsafeMutableBufferPointer { out in
            try query.withUnsafeBufferPointer { try normalise($0, dimension: dimension, into: out.baseAddress!, stride: stride) }
        }
        let found = q.withUnsafeBufferPointer { qp in
            vectors.withUnsafeBufferPointer { vp in
                exactTopK(query: qp.baseAddress!, vectors: vp.baseAddress!, rows: ids.count, stride: stride, k: k) { row in
                    filter?(ids[row]) ?? true
                }
            }
        }
        return found.map { SearchResult(id: ids[Int($0.id)], distance: $0.distance) }
    }
}

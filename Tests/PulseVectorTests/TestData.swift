import Foundation
@testable import PulseVector

/// Seeded, clustered test vectors (the index's SplitMix64 + Box-Muller), so every run sees the same data.
struct TestData {
    private var random: LevelGenerator

    init(seed: UInt64) { random = LevelGenerator(seed: seed, m: 16) }

    mutating func nextUInt64() -> UInt64 { random.next() }

    mutating func uniform() -> Double { (Double(nextUInt64() >> 11) + 1) * 0x1p-53 }

    mutating func gaussian() -> Float {
        Float((-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()))
    }

    mutating func vector(_ dim: Int) -> [Float] { (0..<dim).map { _ in gaussian() } }

    /// `count` vectors around `clusters` random centres.
    mutating func clustered(count: Int, dim: Int, clusters: Int = 20, spread: Float = 0.6) -> [[Float]] {
        let centres = (0..<clusters).map { _ in vector(dim) }
        return (0..<count).map { _ in
            let c = centres[Int(nextUInt64() % UInt64(clusters))]
            return c.map { $0 + spread * gaussian() }
        }
    }
}

/// Mean recall@k of `index` against exact search over the same vectors.
func recall(of index: HNSWIndex, queries: [[Float]], k: Int, ef: Int? = nil) throws -> Double {
    var hits = 0
    for q in queries {
        let exact = Set(try index.exactSearch(q, k: k).map(\.id))
        hits += try index.search(q, k: k, ef: ef).filter { exact.contains($0.id) }.count
    }
    return Double(hits) / Double(queries.count * k)
}

func makeIndex(_ vectors: [[Float]], m: Int = 16, seed: UInt64 = 100) throws -> HNSWIndex {
    let index = try HNSWIndex(parameters: HNSWParameters(dimension: vectors[0].count, m: m, seed: seed))
    for (i, v) in vectors.enumerated() { try index.add(id: UInt64(i), vector: v) }
    return index
}

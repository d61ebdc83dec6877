import Testing
@testable import PulseVector

@Suite struct SearchTests {
    @Test func recallAtDefaultsIsAtLeast95Percent() throws {
        var data = TestData(seed: 1)
        let vectors = data.clustered(count: 3000, dim: 48)
        let index = try makeIndex(vectors)
        let queries = data.clustered(count: 100, dim: 48)
        let r = try recall(of: index, queries: queries, k: 10)
        #expect(r >= 0.95, "recall@10 \(r)")
        #expect(index.invariantViolations() == [])
    }

    @Test func hnswAgreesWithIndependentBruteForce() throws {
        var data = TestData(seed: 2)
        let vectors = data.clustered(count: 1000, dim: 24)
        let index = try makeIndex(vectors)
        var brute = try BruteForceIndex(dimension: 24)
        for (i, v) in vectors.enumerated() { try brute.add(id: UInt64(i), vector: v) }
        var hits = 0
        for q in data.clustered(count: 50, dim: 24) {
            let exact = try brute.search(q, k: 10)
            #expect(try index.exactSearch(q, k: 10).map(\.id) == exact.map(\.id))
            let found = try index.search(q, k: 10, ef: 100)
            hits += found.filter { f in exact.contains { $0.id == f.id } }.count
            #expect(found.map(\.distance) == found.map(\.distance).sorted())
        }
        #expect(Double(hits) / 500 >= 0.97)
    }

    @Test func cosineIgnoresScaleAndDistanceIsOneMinusCosine() throws {
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 3))
        try index.add(id: 1, vector: [1, 0, 0])
        try index.add(id: 2, vector: [0, 5, 0])
        try index.add(id: 3, vector: [-2, 0, 0])
        let hits = try index.search([10, 0, 0], k: 3)
        #expect(hits.map(\.id) == [1, 2, 3])
        #expect(abs(hits[0].distance) < 1e-6)
        #expect(abs(hits[1].distance - 1) < 1e-6)
        #expect(abs(hits[2].distance - 2) < 1e-6)
    }

    @Test func filterKeepsRecall() throws {
        var data = TestData(seed: 3)
        let vectors = data.clustered(count: 2000, dim: 32)
        let index = try makeIndex(vectors)
        var hits = 0
        let queries = data.clustered(count: 50, dim: 32)
        for q in queries {
            let exact = Set(try index.exactSearch(q, k: 10) { $0 % 3 == 0 }.map(\.id))
            let found = try index.search(q, k: 10, filter: { $0 % 3 == 0 })
            #expect(found.allSatisfy { $0.id % 3 == 0 })
            hits += found.filter { exact.contains($0.id) }.count
        }
        #expect(Double(hits) / Double(queries.count * 10) >= 0.95)
    }

    @Test func sameSeedOneThreadGivesSameGraph() throws {
        var data = TestData(seed: 4)
        let vectors = data.clustered(count: 800, dim: 16)
        let a = try makeIndex(vectors, seed: 7)
        let b = try HNSWIndex(parameters: HNSWParameters(dimension: 16, seed: 7))
        try b.add(ids: (0..<800).map { UInt64($0) }, vectors: vectors.flatMap { $0 }, threads: 1)
        for slot in 0..<800 {
            let va = a.storage.view, vb = b.storage.view
            #expect(va.levels[slot] == vb.levels[slot])
            let la = va.links(UInt32(slot), level: 0), lb = vb.links(UInt32(slot), level: 0)
            #expect(Array(UnsafeBufferPointer(start: la, count: Int(la[0]) + 1))
                == Array(UnsafeBufferPointer(start: lb, count: Int(lb[0]) + 1)))
        }
        let other = try makeIndex(vectors, seed: 8)
        #expect((0..<800).contains { a.storage.view.levels[$0] != other.storage.view.levels[$0] })
    }

    @Test func multiThreadedBuildKeepsRecall() throws {
        var data = TestData(seed: 5)
        let vectors = data.clustered(count: 3000, dim: 32)
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 32))
        try index.add(ids: (0..<3000).map { UInt64($0) }, vectors: vectors.flatMap { $0 }, threads: 2)
        #expect(index.count == 3000)
        #expect(index.invariantViolations() == [])
        #expect(try recall(of: index, queries: data.clustered(count: 100, dim: 32), k: 10) >= 0.95)
    }

    @Test func bruteForceRemoveAndReplace() throws {
        var brute = try BruteForceIndex(dimension: 2)
        try brute.add(id: 1, vector: [1, 0])
        try brute.add(id: 2, vector: [0, 1])
        try brute.add(id: 3, vector: [1, 1])
        let first = brute.remove(id: 1)
        let second = brute.remove(id: 1)
        #expect(first && !second)
        #expect(try brute.search([1, 0], k: 1).map(\.id) == [3])
        try brute.add(id: 2, vector: [1, 0.01])
        #expect(try brute.search([1, 0], k: 1).map(\.id) == [2])
        #expect(brute.count == 2)
    }
}

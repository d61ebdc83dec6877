import Testing
@testable import PulseVector

@Suite struct MutationTests {
    @Test func deletedIDsAreNeverReturnedAndSlotsAreReused() throws {
        var data = TestData(seed: 10)
        let vectors = data.clustered(count: 1500, dim: 24)
        let index = try makeIndex(vectors)
        for id in stride(from: 0, to: 1500, by: 2) { #expect(index.remove(id: UInt64(id))) }
        #expect(!index.remove(id: 0))
        #expect(index.count == 750)
        for q in vectors.prefix(200) {
            let hits = try index.search(q, k: 10)
            #expect(hits.count == 10)
            #expect(hits.allSatisfy { $0.id % 2 == 1 })
        }
        // New ids take the freed slots: the slot count does not grow.
        let fresh = data.clustered(count: 500, dim: 24)
        for (i, v) in fresh.enumerated() { try index.add(id: UInt64(10_000 + i), vector: v) }
        #expect(index.slotCount == 1500)
        #expect(index.count == 1250)
        #expect(index.invariantViolations() == [])
        for (i, v) in fresh.enumerated().prefix(100) {
            let hits = try index.search(v, k: 5)
            #expect(hits.first?.id == UInt64(10_000 + i))
            #expect(hits.allSatisfy { $0.id % 2 == 1 || $0.id >= 10_000 })
        }
    }

    @Test func updatesReplaceTheVectorAndNeverReturnTheOldOne() throws {
        var data = TestData(seed: 11)
        let vectors = data.clustered(count: 1000, dim: 16)
        let index = try makeIndex(vectors)
        let replacements = data.clustered(count: 100, dim: 16, clusters: 3, spread: 2)
        for (i, v) in replacements.enumerated() { try index.add(id: UInt64(i), vector: v) }
        #expect(index.count == 1000)
        #expect(index.slotCount == 1000)
        for (i, v) in replacements.enumerated() {
            let hit = try index.search(v, k: 1).first
            #expect(hit?.id == UInt64(i))
            #expect(abs(hit?.distance ?? 1) < 1e-5)
            // The old vector now belongs to nobody: its best match is not the updated id at distance 0.
            let old = try index.search(vectors[i], k: 1).first
            #expect(!(old?.id == UInt64(i) && abs(old?.distance ?? 1) < 1e-6))
        }
        #expect(index.invariantViolations() == [])
    }

    @Test func invariantsHoldAfterRandomOperationSequences() throws {
        for seed in UInt64(20)..<UInt64(24) {
            var data = TestData(seed: seed)
            let index = try HNSWIndex(parameters: HNSWParameters(dimension: 12, m: 4 + Int(seed % 3) * 4, efConstruction: 40, seed: seed))
            var live = Set<UInt64>()
            for _ in 0..<1500 {
                let id = data.nextUInt64() % 400
                switch data.nextUInt64() % 10 {
                case 0..<6:
                    try index.add(id: id, vector: data.vector(12))
                    live.insert(id)
                case 6..<9:
                    #expect(index.remove(id: id) == live.contains(id))
                    live.remove(id)
                default:
                    let hits = try index.search(data.vector(12), k: 8)
                    #expect(hits.allSatisfy { live.contains($0.id) })
                    #expect(hits.count == min(8, live.count))
                }
            }
            #expect(index.invariantViolations() == [], "seed \(seed)")
            #expect(index.count == live.count)
            #expect(index.slotCount <= 400)
        }
    }

    @Test func removingEverythingLeavesAnEmptyButUsableIndex() throws {
        var data = TestData(seed: 12)
        let vectors = data.clustered(count: 200, dim: 8)
        let index = try makeIndex(vectors)
        for i in 0..<200 { index.remove(id: UInt64(i)) }
        #expect(try index.search(vectors[0], k: 5) == [])
        try index.add(id: 999, vector: vectors[3])
        #expect(try index.search(vectors[3], k: 5).map(\.id) == [999])
        #expect(index.invariantViolations() == [])
    }

    @Test func movedNodesKeepNoInLinksFromTheirOldPosition() throws {
        var data = TestData(seed: 13)
        let vectors = data.clustered(count: 1200, dim: 16)
        let index = try makeIndex(vectors, m: 8)
        // Far from the original clusters: every link chosen for the old position is now wrong.
        let far = data.clustered(count: 90, dim: 16, clusters: 2, spread: 0.3)
        for i in 0..<30 {
            let id = UInt64(i * 7)
            try index.add(id: id, vector: far[i])
            #expect(index.unreciprocatedInLinks(of: id).isEmpty, "update of \(id)")
        }
        // A deleted slot reused by a new id is moved the same way.
        for i in 30..<60 {
            #expect(index.remove(id: UInt64(1000 + i)))
            try index.add(id: UInt64(50_000 + i), vector: far[i])
            #expect(index.unreciprocatedInLinks(of: UInt64(50_000 + i)).isEmpty, "reuse by \(50_000 + i)")
        }
        #expect(index.slotCount == 1200)
        // Batch updates: links to a moved node come only from its new neighbours or from the
        // other nodes of the same batch.
        let batchIDs = (60..<90).map { UInt64($0 * 11) }
        try index.add(ids: batchIDs, vectors: Array(far[60..<90].joined()), threads: 1)
        let batch = Set(batchIDs)
        for id in batchIDs {
            #expect(index.unreciprocatedInLinks(of: id).allSatisfy { batch.contains($0.from) }, "batch update of \(id)")
        }
        #expect(index.invariantViolations() == [])
        // The repaired graph still finds the moved vectors and the untouched ones.
        for (i, v) in far.enumerated().prefix(30) { #expect(try index.search(v, k: 1).first?.id == UInt64(i * 7)) }
        #expect(try recall(of: index, queries: Array(vectors.suffix(100)), k: 10) >= 0.95)
    }
}


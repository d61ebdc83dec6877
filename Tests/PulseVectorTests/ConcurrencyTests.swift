import Testing
@testable import PulseVector

@Suite struct ConcurrencyTests {
    /// Readers search without pause while one writer inserts, updates and deletes. Every hit must
    /// be an id that was live at some point, results stay sorted, and nothing crashes or races
    /// (run once under `swift test --sanitize=thread`).
    @Test func searchesRunWhileOneWriterInserts() async throws {
        var data = TestData(seed: 40)
        let vectors = data.clustered(count: 1200, dim: 24)
        let queries = data.clustered(count: 50, dim: 24)
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 24, efConstruction: 64))
        try index.add(ids: (0..<200).map { UInt64($0) }, vectors: vectors.prefix(200).flatMap { $0 })
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 200..<1200 {
                    try index.add(id: UInt64(i), vector: vectors[i])
                    if i % 10 == 0 { index.remove(id: UInt64(i - 100)) }
                    if i % 25 == 0 { try index.add(id: UInt64(i - 50), vector: vectors[i - 51]) }
                }
                return 0
            }
            for reader in 0..<3 {
                group.addTask {
                    var searches = 0
                    while index.count < 1100 || searches < 100 {
                        let hits = try index.search(queries[(searches + reader) % queries.count], k: 10)
                        #expect(hits.allSatisfy { $0.id < 1200 })
                        #expect(hits.map(\.distance) == hits.map(\.distance).sorted())
                        searches += 1
                    }
                    return searches
                }
            }
            var total = 0
            for try await n in group { total += n }
            #expect(total >= 300)
        }
        #expect(index.invariantViolations() == [])
        let r = try recall(of: index, queries: queries, k: 10)
        #expect(r >= 0.95, "recall \(r)")
    }
}

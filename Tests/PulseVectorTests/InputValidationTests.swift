import Testing
@testable import PulseVector

@Suite struct InputValidationTests {
    @Test(arguments: [
        ([Float](repeating: 1, count: 3), VectorError.dimensionMismatch(expected: 4, got: 3)),
        ([1, .nan, 0, 0], VectorError.nonFiniteComponent(index: 1)),
        ([1, 0, .infinity, 0], VectorError.nonFiniteComponent(index: 2)),
        ([0, 0, 0, -Float.infinity], VectorError.nonFiniteComponent(index: 3)),
        ([0, 0, 0, 0], VectorError.zeroVector),
    ])
    func badVectorsAreRefusedAndChangeNothing(vector: [Float], expected: VectorError) throws {
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 4))
        try index.add(id: 1, vector: [1, 2, 3, 4])
        #expect(throws: expected) { try index.add(id: 2, vector: vector) }
        #expect(throws: expected) { try index.add(id: 1, vector: vector) }
        #expect(throws: expected) { try index.search(vector, k: 1) }
        #expect(throws: expected) { try index.add(ids: [5, 6], vectors: [1, 1, 1, 1] + vector) }
        #expect(index.count == 1)
        #expect(try index.search([1, 2, 3, 4], k: 5).map(\.id) == [1])
        var brute = try BruteForceIndex(dimension: 4)
        do {
            try brute.add(id: 1, vector: vector)
            Issue.record("brute force accepted a bad vector")
        } catch let error as VectorError {
            #expect(error == expected)
        }
        #expect(brute.count == 0)
        #expect(throws: expected) { try brute.search(vector, k: 1) }
        #expect("\(expected)".isEmpty == false)
    }

    @Test func badParametersAreRefused() throws {
        #expect(throws: VectorError.self) { try HNSWIndex(parameters: HNSWParameters(dimension: 0)) }
        #expect(throws: VectorError.self) { try HNSWIndex(parameters: HNSWParameters(dimension: 8, m: 1)) }
        #expect(throws: VectorError.self) { try HNSWIndex(parameters: HNSWParameters(dimension: 8, efSearch: 0)) }
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 2))
        #expect(throws: VectorError.self) { try index.search([1, 0], k: 0) }
        #expect(throws: VectorError.duplicateID(3)) { try index.add(ids: [3, 3], vectors: [1, 0, 0, 1]) }
        #expect(throws: VectorError.self) { try index.add(ids: [1], vectors: [1, 0], threads: 0) }
        #expect(index.count == 0)
        #expect(try index.search([1, 0], k: 3) == [])
    }

    @Test func extremeButFiniteMagnitudesAreAccepted() throws {
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: 4))
        try index.add(id: 1, vector: [3e30, 4e30, 0, 0])
        try index.add(id: 2, vector: [0, 0, 1e-12, 0])
        let hit = try index.search([3, 4, 0, 0], k: 1)
        #expect(hit.map(\.id) == [1])
        #expect(abs(hit[0].distance) < 1e-6)
        #expect(try index.search([0, 0, 5, 0], k: 1).map(\.id) == [2])
    }
}

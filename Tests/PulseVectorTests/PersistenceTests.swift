import Foundation
import Testing
@testable import PulseVector

@Suite struct PersistenceTests {
    private func tempDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-vector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func sampleIndex() throws -> (HNSWIndex, [[Float]]) {
        var data = TestData(seed: 30)
        let vectors = data.clustered(count: 600, dim: 20)
        let index = try makeIndex(vectors)
        for id in stride(from: 0, to: 600, by: 7) { index.remove(id: UInt64(id)) }
        return (index, data.clustered(count: 30, dim: 20))
    }

    @Test func saveThenLoadGivesIdenticalResults() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (index, queries) = try sampleIndex()
        let path = dir.appendingPathComponent("a.hnsw").path
        try index.save(to: path)
        let loaded = try HNSWIndex.load(from: path)
        #expect(loaded.parameters == index.parameters)
        #expect(loaded.count == index.count)
        #expect(loaded.invariantViolations() == [])
        for q in queries { #expect(try loaded.search(q, k: 10) == index.search(q, k: 10)) }
        // The generator state and free slots survive too: the same next insert gives the same file.
        try index.add(id: 5000, vector: queries[0])
        try loaded.add(id: 5000, vector: queries[0])
        try index.save(to: path + "1")
        try loaded.save(to: path + "2")
        #expect(FileManager.default.contents(atPath: path + "1") == FileManager.default.contents(atPath: path + "2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".tmp-") })
    }

    @Test func emptyIndexRoundTrips() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("e.hnsw").path
        try HNSWIndex(parameters: HNSWParameters(dimension: 5, m: 8)).save(to: path)
        let loaded = try HNSWIndex.load(from: path)
        #expect(loaded.count == 0 && loaded.parameters.m == 8)
        #expect(try loaded.search([1, 0, 0, 0, 0], k: 1) == [])
    }

    @Test func damagedFilesAreRefusedWithAClearError() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (index, _) = try sampleIndex()
        let path = dir.appendingPathComponent("good.hnsw").path
        try index.save(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var cases: [(String, Data)] = [
            ("truncated", good.prefix(good.count - 1)),
            ("half", good.prefix(good.count / 2)),
            ("header only", good.prefix(40)),
            ("empty", Data()),
            ("extra byte", good + Data([0])),
        ]
        for offset in [0, 9, 20, 60, 70, good.count / 3, good.count - 40, good.count - 12, good.count - 3] {
            var bad = good
            bad[offset] ^= 0x5A
            cases.append(("flip at \(offset)", bad))
        }
        for (name, bytes) in cases {
            let bad = dir.appendingPathComponent("bad.hnsw").path
            try bytes.write(to: URL(fileURLWithPath: bad))
            do {
                _ = try HNSWIndex.load(from: bad)
                Issue.record("\(name): loaded a damaged file")
            } catch let error as VectorError {
                switch error {
                case .corruptFile, .unsupportedVersion: #expect("\(error)".contains(bad), "\(name)")
                default: Issue.record("\(name): unexpected \(error)")
                }
            }
        }
        #expect(throws: VectorError.self) { try HNSWIndex.load(from: dir.appendingPathComponent("missing").path) }
        #expect(throws: VectorError.self) { try index.save(to: dir.appendingPathComponent("no/such/dir/x").path) }
    }
}

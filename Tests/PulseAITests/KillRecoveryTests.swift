import Foundation
import PulsePostgres
import PulseService
import PulseTestSupport
import Testing
@testable import PulseAI

/// pulse-ai as a real process, killed with SIGKILL at random points of its embedding runs
/// (model load, embedding, database writes, index saves), three times while the data
/// changes; afterwards the index that loads (from its file or rebuilt) matches the database.
@Suite("AI index after kill -9", .serialized, .timeLimit(.minutes(5)))
struct KillRecoveryTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var executable: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let dir = (exe as NSString).deletingLastPathComponent
        return FileManager.default.isExecutableFile(atPath: dir + "/pulse-ai") ? dir + "/pulse-ai" : packageRoot + "/.build/debug/pulse-ai"
    }

    static let topics = ["login page times out", "invoice shows the wrong currency", "export to CSV is empty", "dark mode toggle",
                         "push notifications arrive twice", "nightly backup job fails", "search ignores accents", "checkout crashes on Safari"]

    /// Work items embedded (by any model) plus documents marked embedded: moves with every committed batch.
    func embeddedCount(_ h: AIHarness, _ clientID: Int) async throws -> Int {
        try await h.database.client(clientID).query(
            "SELECT count(*) FILTER (WHERE embedded_hash = content_hash) FROM ai_documents WHERE client_id = $1", [clientID])[0].decode(Int.self, at: 0)
    }

    @Test func indexMatchesTheDatabaseAfterKills() async throws {
        let h = try await AIHarness.make(dedicated: true)
        let clientID = try await h.client()
        var ids: [Int64] = []
        for n in 0..<120 {
            ids.append(try await h.workItem(clientID, project: nil, key: "KILL-\(n)", summary: "Item \(n): \(Self.topics[n % Self.topics.count])",
                                            description: "Variant \(n) of the problem, seen by customer \(n * 7 % 31)."))
        }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<3 {
            if round > 0 {
                // Changes between the runs: new text for some items, some deleted.
                for id in ids.shuffled().prefix(15) {
                    try await h.database.client(clientID).query("UPDATE work_items SET summary = summary || ' (round \(round))' WHERE id = $1", [id])
                }
                let gone = ids.removeLast()
                try await h.database.client(clientID).query("DELETE FROM work_items WHERE id = $1", [gone])
            }
            let log = NSTemporaryDirectory() + "pulse-ai-kill-\(UUID().uuidString.prefix(6)).log"
            let pid = try ChildProcess.spawn(ChildSpec(
                name: "ai", executable: Self.executable, arguments: ["--port", String(FreePorts.one())],
                environment: ["DATABASE_URL": h.cluster.connection.primaryURL, "PULSE_PATHS_DATA_DIR": h.dataDirectory,
                              "PULSE_EMBEDDING_MODEL_DIR": Self.packageRoot + "/models/all-MiniLM-L6-v2",
                              "AUTH_URL": "http://127.0.0.1:\(FreePorts.one())", "PULSE_LOG_LEVEL": "warning"],
                logFile: log))
            // Kill it at a random point after it has started writing vectors of this round.
            let before = try await embeddedCount(h, clientID)
            let started = ContinuousClock.now
            while try await embeddedCount(h, clientID) == before, ContinuousClock.now - started < .seconds(40) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await embeddedCount(h, clientID) != before, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...2000, using: &generator)))
            kill(pid, SIGKILL)
            var exit: ChildExit?
            while exit == nil {
                exit = ChildProcess.reap(pid)
                if exit == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(exit == .signalled(SIGKILL), "\(exit.map { "\($0)" } ?? "-"): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        // A new process (here: an engine) loads what the killed ones left and drains the rest.
        let engine = try h.engine()
        await engine.pipeline.drainNow(clientID: clientID)
        let status = engine.pipeline.status(clientID: clientID)
        #expect(status.state == "idle" && status.pending == 0, "\(status)")
        let key = VectorIndexStore.Key(clientID: clientID, model: "all-MiniLM-L6-v2", dimension: 384)
        let index = try await engine.indexes.index(key)
        let stored = try await engine.documents.vectors(clientID: clientID, model: "all-MiniLM-L6-v2")
        #expect(Set(stored.map(\.ref.vectorID)) == index.idSnapshot)
        #expect(index.count == stored.count && stored.count == ids.count)
        // Every stored vector is in the index as itself: its own nearest neighbour at distance ~0.
        for item in stored {
            let hit = try #require(try index.index.search(item.vector, k: 1, ef: 100).first)
            #expect(hit.id == item.ref.vectorID && hit.distance < 1e-3, "\(item.ref)")
        }
    }
}

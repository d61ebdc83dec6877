import Foundation
import Logging
import PulseETL
import PulseObservability
import PulseTestSupport
import Testing

/// `GET /etl/logs` and `/ws/logs` over per-client files written by PulseObservability's own
/// writer (the format the services use).
@Suite("ETL logs API", .serialized, .timeLimit(.minutes(2)))
struct LogAPITests {
    /// Writes lines as the services do: the real formatter into the real per-client files.
    static func write(_ files: ClientLogFiles, client: String, level: Logger.Level, category: LogCategory, _ message: String,
                      at timestamp: LogTimestamp, metadata: Logger.Metadata = [:]) {
        var metadata = metadata
        metadata["client"] = .string(client)
        let line = LogLineFormatter().format(timestamp: timestamp, level: level, category: category, message: message, module: "pulse.etl",
                                             metadata: metadata)
        files.write(line: line, client: client)
    }

    @Test func clientsReadTheirOwnLinesWithFiltersAndPaging() async throws {
        let directory = NSTemporaryDirectory() + "pulse-etl-logs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await ServiceTestHarness.with(logDirectory: directory) { s in
            let a = try await s.jobs.createClient(), b = try await s.jobs.createClient()
            let files = ClientLogFiles(directory: directory)
            let base = Int(Date().timeIntervalSince1970) - 3600
            for i in 0..<30 {
                Self.write(files, client: a.slug, level: i % 10 == 0 ? .error : .info, category: i % 2 == 0 ? .etl : .github,
                           "page \(i) stored", at: LogTimestamp(seconds: base + i, microseconds: 0), metadata: ["job_id": "\(i)"])
            }
            Self.write(files, client: b.slug, level: .error, category: .jira, "secret of b", at: LogTimestamp(seconds: base, microseconds: 0))
            let viewer = try s.token(client: a.id, permissions: ["etl:read"])

            let all = try await s.call(.get, "/etl/logs?limit=100", token: viewer)
            #expect(all.status == 200)
            let items = try #require(all.json["items"] as? [[String: Any]])
            #expect(items.count == 30)
            #expect(items.first?["message"] as? String == "page 29 stored")  // newest first
            #expect(items.allSatisfy { $0["client"] as? String == a.slug })
            #expect(!all.text.contains("secret of b"))

            let errors = try await s.call(.get, "/etl/logs?level=error", token: viewer)
            #expect((errors.json["items"] as? [[String: Any]])?.map { $0["message"] as? String } == ["page 20 stored", "page 10 stored", "page 0 stored"])
            let github = try await s.call(.get, "/etl/logs?category=github&text=PAGE%201", token: viewer)
            #expect((github.json["items"] as? [[String: Any]])?.compactMap { $0["message"] as? String }.sorted()
                == ["page 1 stored", "page 11 stored", "page 13 stored", "page 15 stored", "page 17 stored", "page 19 stored"])
            let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(base + 25)))
            #expect((try await s.call(.get, "/etl/logs?since=\(since)", token: viewer).json["items"] as? [Any])?.count == 5)

            // Paging: 30 lines in pages of 12.
            var seen: [String] = [], cursor: String?
            repeat {
                let page = try await s.call(.get, "/etl/logs?limit=12" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""), token: viewer)
                seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 30 && Set(seen).count == 30)

            // Another client's logs: refused to a client admin, readable by an operator.
            #expect(try await s.call(.get, "/etl/logs?client=\(b.slug)", token: viewer).status == 403)
            let operatorToken = try s.token(client: a.id, permissions: ["etl:read", "clients:admin"])
            let other = try await s.call(.get, "/etl/logs?client=\(b.slug)", token: operatorToken)
            #expect((other.json["items"] as? [[String: Any]])?.map { $0["message"] as? String } == ["secret of b"])
            #expect(try await s.call(.get, "/etl/logs?level=loud", token: viewer).status == 400)
            #expect(try await s.call(.get, "/etl/logs").status == 401)

            // Live tail: only new lines, only the caller's client, filters applied.
            let ws = try await s.webSocket("/ws/logs?level=warning", token: viewer)
            try await Task.sleep(for: .milliseconds(300))
            Self.write(files, client: b.slug, level: .error, category: .jira, "b again", at: .now())
            Self.write(files, client: a.slug, level: .info, category: .etl, "quiet", at: .now())
            Self.write(files, client: a.slug, level: .warning, category: .github, "rate limited", at: .now(), metadata: ["wait_s": "30"])
            let frame = try await ws.nextJSON()
            #expect(frame["type"] as? String == "log")
            let entry = try #require(frame["entry"] as? [String: Any])
            #expect(entry["message"] as? String == "rate limited" && entry["category"] as? String == "GITHUB")
            #expect((entry["fields"] as? String)?.contains("wait_s=30") == true)
            _ = await ws.close()
        }
    }

    @Test func withoutClientFilesTheAnswerSaysSo() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient()
            let answer = try await s.call(.get, "/etl/logs", token: try s.token(client: a.id, permissions: ["etl:read"]))
            #expect(answer.status == 503 && answer.text.contains("log.client_dir"))
        }
    }
}

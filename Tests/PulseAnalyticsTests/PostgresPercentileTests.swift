import Foundation
import PulseAnalytics
import PulsePostgres
import PulseTestSupport
import Testing

@Suite("DORA: percentiles equal PostgreSQL percentile_cont")
struct PostgresPercentileTests {
    @Test func percentilesMatchPostgreSQL() async throws {
        let handle = try await PostgresTestCluster.shared.start()
        let connection = try await PostgresConnection.connect(handle.connection.superuserURL!)
        defer { connection.close() }
        var generator = SystemRandomNumberGenerator()
        var samples: [[Double]] = [[1], [1, 2], [3, 1, 2], [7200, 36000, 90000, 86400 * 3]]
        for count in [5, 10, 17, 101] {
            samples.append((0..<count).map { _ in Double(Int.random(in: 0...5_000_000, using: &generator)) / 7 })
        }
        for values in samples {
            let array = "{" + values.map { String($0) }.joined(separator: ",") + "}"
            let rows = try await connection.query(
                """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.75) WITHIN GROUP (ORDER BY v),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY v)
                FROM unnest($1::float8[]) AS v
                """, [array])
            let expected = try (0..<3).map { try rows[0].decode(Double.self, at: $0) }
            let mine = DurationSummary(values)
            for (a, b) in zip([mine.median, mine.p75, mine.p90], expected) {
                let a = try #require(a)
                #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(values.count) values: \(a) vs \(b)")
            }
        }
    }
}

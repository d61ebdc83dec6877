import Foundation
import PulseHTTPClient
@testable import PulseETL
import Testing

/// A full Jira sync measured (rows/s, requests per item, peak RSS), run only when asked:
/// `PULSE_JIRA_BENCH_ISSUES=1500 swift test --skip-build --filter JiraBenchmarkTests`
/// (issues per project, 2 projects). Prints one line of figures for docs/benchmarks.md.
@Suite struct JiraBenchmarkTests {
    static let issuesPerProject = ProcessInfo.processInfo.environment["PULSE_JIRA_BENCH_ISSUES"].flatMap(Int.init)

    @Test(.enabled(if: issuesPerProject != nil)) func fullSyncAgainstTheFakeSite() async throws {
        let perProject = try #require(Self.issuesPerProject)
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock(), issuesPerProject: perProject)
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            let start = ContinuousClock.now
            try await job.sync(.full, site: site, client: try HTTPClient())
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let items = try await job.count("work_items")
            let rows = try await ["work_items", "changelogs", "sprint_work_items", "sprints", "projects", "statuses", "wits"]
                .asyncSum { try await job.count($0) }
            let requests = site.requests.count
            let searches = site.requests.filter { $0.path.hasSuffix("/search/jql") }.count
            let changelogs = site.requests.filter { $0.path.hasSuffix("/changelog") }.count
            print(String(format: "JIRA-BENCH issues=%d rows=%d seconds=%.2f rows/s=%.0f issues/s=%.0f requests=%d (search %d, changelog %d) requests/item=%.3f peakRSS=%@",
                         items, rows, seconds, Double(rows) / seconds, Double(items) / seconds, requests, searches, changelogs,
                         Double(requests) / Double(items), Self.peakRSS()))
            #expect(items == perProject * 2)
        }
    }

    static func peakRSS() -> String {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM") }.map { $0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) } ?? "?"
    }
}

extension Array {
    func asyncSum(_ body: (Element) async throws -> Int) async rethrows -> Int {
        var total = 0
        for element in self { total += try await body(element) }
        return total
    }
}

import Foundation
import Glibc
import Logging
import PulseHTTPClient
import PulseSandbox
@testable import PulseETL
import Testing

/// A full Jira sync measured (rows/s, requests per item, peak RSS), run only when asked:
/// `PULSE_JIRA_BENCH_SANDBOX=10x3000 swift test --skip-build --filter JiraBenchmarkTests`
/// (the sandbox's Jira with projects x issues per project, every project configured), or
/// `PULSE_JIRA_BENCH_ISSUES=1500` (the tests' fake site, 2 projects). Prints one line of
/// figures for docs/benchmarks.md.
@Suite struct JiraBenchmarkTests {
    static let issuesPerProject = ProcessInfo.processInfo.environment["PULSE_JIRA_BENCH_ISSUES"].flatMap(Int.init)
    static let sandboxScale: (projects: Int, issues: Int)? = ProcessInfo.processInfo.environment["PULSE_JIRA_BENCH_SANDBOX"].flatMap { text in
        let parts = text.split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    @Test(.enabled(if: sandboxScale != nil)) func fullSyncAgainstTheSandbox() async throws {
        let scale = try #require(Self.sandboxScale)
        let database = try await JiraSyncHarness.database()
        let configuration = SandboxConfiguration(seed: 42, scale: .init(repositories: 1, pullRequestsPerRepository: 5, commitsPerRepository: 20,
                                                                        jiraProjects: scale.projects, issuesPerProject: scale.issues))
        let server = SandboxServer(configuration: configuration)
        let port = try server.start()
        defer { Task { await server.shutdown() } }
        let keys = server.organisation.jira.projects.map(\.key)
        let settings = #"{"projects": [\#(keys.map { "\"\($0)\"" }.joined(separator: ",")) ], "incident_repository_field": "customfield_10050", "incident_deployment_field": "customfield_10051"}"#
        let job = try await JiraSyncHarness(database: database, baseURL: "http://127.0.0.1:\(port)", token: "t", settings: settings)
        let rssBefore = Self.currentRSS()
        let cpuBefore = Self.cpuSeconds()
        let start = ContinuousClock.now
        let connector = JiraConnector(integration: job.integration, client: try HTTPClient(), logger: Logger(label: "bench"))
        try await connector.run(job.context(.full))
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let cpu = Self.cpuSeconds() - cpuBefore
        let items = try await job.count("work_items")
        let rows = try await ["work_items", "changelogs", "sprint_work_items", "sprints", "projects", "statuses", "wits"]
            .asyncSum { try await job.count($0) }
        let requests = server.requests
        let byKind = Dictionary(grouping: requests) { r in
            r.target.contains("/search/jql") ? "search" : r.target.contains("changelog") ? "changelog" : "other"
        }.mapValues(\.count)
        print(String(format: "JIRA-BENCH sandbox %dx%d issues=%d rows=%d seconds=%.2f rows/s=%.0f issues/s=%.0f requests=%d (search %d, changelog %d, other %d) requests/item=%.3f RSS before=%@ peak=%@ cpu(process, sandbox included)=%.2fs",
                     scale.projects, scale.issues, items, rows, seconds, Double(rows) / seconds, Double(items) / seconds, requests.count,
                     byKind["search"] ?? 0, byKind["changelog"] ?? 0, byKind["other"] ?? 0, Double(requests.count) / Double(items),
                     rssBefore, Self.peakRSS(), cpu))
        #expect(items == server.organisation.jira.issues.count)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func currentRSS() -> String {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("VmRSS") }.map { $0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) } ?? "?"
    }

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

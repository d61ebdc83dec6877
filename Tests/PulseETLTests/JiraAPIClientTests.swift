import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
@testable import PulseETL
import Synchronization
import Testing

/// The Jira client against the fake site on a real socket, with virtual time.
@Suite struct JiraAPIClientTests {
    func api(_ site: JiraFakeSite, _ base: String, token: String = "secret-token", events: EventLog = EventLog(),
             attempts: Int = 6) throws -> JiraAPIClient {
        JiraAPIClient(baseURL: base + "/", email: "bot@example.com", apiToken: token, http: try HTTPClient(),
                      policy: JiraRetryPolicy(maximumAttempts: attempts), clock: site.clock.jiraClock,
                      logger: Logger(label: "test"), progress: { events.append($0) })
    }

    @Test func retryAfterIsHonouredAndNoRequestLeavesBeforeIt() async throws {
        let site = JiraFakeSite(clock: JiraVirtualClock())
        site.script(.init(path: "/myself", status: 429, headers: [("Retry-After", "30"), ("RateLimit-Reason", "jira-burst-based")], body: ""))
        site.script(.init(path: "/myself", status: 503, headers: [("X-RateLimit-Reset", JiraFakeSite.isoMinute(site.clock.now.addingTimeInterval(150)))], body: "<html>busy</html>"))
        let events = EventLog()
        try await withJiraSite(site) { base in
            let me = try await api(site, base, events: events).get("/rest/api/3/myself")
            #expect(me["timeZone"].string == "Australia/Sydney")
        }
        let times = site.requests.filter { $0.path.hasSuffix("/myself") }.map(\.at)
        #expect(times.count == 3)
        #expect(times[1].timeIntervalSince(times[0]) >= 30)
        // X-RateLimit-Reset names a minute 150 s (rounded down to the minute) after the first 429.
        #expect(times[2].timeIntervalSince(times[1]) >= 90)
        let waits = events.all.compactMap { if case .rateLimitWait(let s, let r) = $0.kind { return (s, r) } else { return nil } }
        #expect(waits.count == 2)
        #expect(waits[0].0 == 30 && waits[0].1.contains("jira-burst-based"))
    }

    @Test func serverErrorsAndUnreadableBodiesAreRetriedWithBackoffThenReported() async throws {
        let site = JiraFakeSite(clock: JiraVirtualClock())
        site.script(.init(path: "/status", status: 502, headers: [("Content-Type", "text/html")], body: "<html><title>502 Bad Gateway</title></html>"))
        site.script(.init(path: "/status", status: 200, headers: [], body: #"[{"id":"1","name":"To Do""#))
        let events = EventLog()
        try await withJiraSite(site) { base in
            let statuses = try await api(site, base, events: events).get("/rest/api/3/status")
            #expect(statuses.array.count == JiraFakeSite.statuses.count)
            for _ in 0..<3 { site.script(.init(path: "/issuetype", status: 500, headers: [], body: "")) }
            do {
                _ = try await api(site, base, attempts: 3).get("/rest/api/3/issuetype")
                Issue.record("expected a failure")
            } catch let error as JiraAPIError {
                #expect(error.retryable)
                #expect(error.message.contains("500") && error.message.contains("3 attempts"))
            }
        }
        let retries = events.all.compactMap { if case .retry(_, let r) = $0.kind { return r } else { return nil } }
        #expect(retries.count == 2)
        #expect(retries[0].contains("502") && retries[0].contains("502 Bad Gateway"))
        #expect(retries[1].contains("truncated"))
        let times = site.requests.filter { $0.path.hasSuffix("/status") }.map(\.at)
        #expect(times.count == 3 && times[1] > times[0] && times[2] > times[1])
    }

    @Test func errorsAreSaidInWords() async throws {
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            do {
                _ = try await api(site, base, token: "wrong").get("/rest/api/3/myself")
                Issue.record("expected 401")
            } catch let error as JiraAPIError {
                #expect(error.status == 401 && !error.retryable)
                #expect(error.message.contains("email or API token is wrong"))
                #expect(error.message.contains("Client must be authenticated"))
            }
            do {
                _ = try await api(site, base).get("/rest/api/3/search", query: [("jql", "project = PAY")])
                Issue.record("expected 410")
            } catch let error as JiraAPIError {
                #expect(error.status == 410 && !error.retryable)
                #expect(error.message.contains("removed") && error.message.contains("/rest/api/3/search/jql"))
            }
            let body = try String(contentsOf: JiraFakeSite.fixtures.appendingPathComponent("errors/GET_rest_api_3_field_search.400.json"), encoding: .utf8)
            site.script(.init(path: "/field", status: 400, headers: [], body: body))
            do {
                _ = try await api(site, base).get("/rest/api/3/field")
                Issue.record("expected 400")
            } catch let error as JiraAPIError {
                #expect(error.message.contains("400") && error.message.contains("Only custom fields can be queried."))
            }
        }
    }

    @Test func offsetPagesReadBackTheServedPageSizeAndSurviveEmptyPages() async throws {
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let client = try api(site, base)
            var keys: [String] = []
            // The site caps project pages at 2 although 50 are asked for: 3 projects in 2 pages.
            try await client.offsetPages("/rest/api/3/project/search", pageSize: 50) { values in keys += values.compactMap { $0["key"].string } }
            #expect(keys == ["PAY", "WEB", "OPS"])
            // Changelog of an issue with 5 histories, capped at 2 per page: 3 pages.
            var histories = 0
            let before = site.requests.count
            try await client.offsetPages("/rest/api/3/issue/10005/changelog", pageSize: 100) { histories += $0.count }
            #expect(histories == 5)
            #expect(site.requests.count - before == 3)
        }
        // A page that is empty but says more follow is stepped over, not looped on.
        let empty = JiraFakeSite(clock: JiraVirtualClock())
        empty.script(.init(path: "/project/search", status: 200, headers: [], body: #"{"startAt":0,"maxResults":2,"total":3,"isLast":false,"values":[]}"#))
        try await withJiraSite(empty) { base in
            var keys: [String] = []
            try await api(empty, base).offsetPages("/rest/api/3/project/search", pageSize: 2) { values in keys += values.compactMap { $0["key"].string } }
            #expect(keys == ["OPS"])
        }
    }
}

/// Collects progress events from a `@Sendable` callback.
final class EventLog: Sendable {
    private let events = Mutex<[SyncProgressEvent]>([])
    func append(_ event: SyncProgressEvent) { events.withLock { $0.append(event) } }
    var all: [SyncProgressEvent] { events.withLock { $0 } }
}

extension JiraFakeSite {
    /// `yyyy-MM-ddTHH:mmZ`, the `X-RateLimit-Reset` format.
    static func isoMinute(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm'Z'"
        return f.string(from: date)
    }
}

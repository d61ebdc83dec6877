import Foundation
import PulseHTTP
import PulseSandbox
import Testing

/// Fault mode: rate-limit refusals with their waits (and the early-retry rule), 502 pages,
/// latency, a listing that changes between calls, injected bad payloads.
@Suite struct SandboxFaultTests {
    @Test func gitHubSecondaryLimitsAnswer403And429WithRetryAfter() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, faults: .init(rateLimitEvery: 3, retryAfterSeconds: 1))
        try await withSandbox(config) { server, client in
            var statuses: [Int] = []
            for _ in 0..<12 {
                let r = try await client.github("/repos/acme-pay/api")
                statuses.append(r.status.code)
                if r.status.code != 200 {
                    #expect(r.headers["retry-after"] == "1")
                    #expect(SandboxJSON.parse(r.body)?["message"]?.stringValue?.contains("secondary rate limit") == true)
                    // Coming back at once is refused again (and recorded as early).
                    let early = try await client.github("/repos/acme-pay/api")
                    #expect(early.status.code == r.status.code)
                    try await Task.sleep(for: .milliseconds(1_100))
                }
            }
            #expect(statuses.contains(403) && statuses.contains(429))
            let records = server.requests
            #expect(records.contains { $0.early })
            // Every request after a refusal, except the early ones, came after its wait.
            for (i, r) in records.enumerated() where r.retryNotBefore != nil && !r.early {
                if let next = records.dropFirst(i + 1).first(where: { !$0.early }) { #expect(next.receivedAt >= r.retryNotBefore!) }
            }
        }
    }

    @Test func jiraRateLimitAnswers429WithRetryAfterAndReset() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, faults: .init(rateLimitEvery: 2, retryAfterSeconds: 2))
        try await withSandbox(config) { _, client in
            _ = try await client.jira("/rest/api/3/myself")
            let limited = try await client.jira("/rest/api/3/myself")
            #expect(limited.status.code == 429)
            #expect(limited.headers["Retry-After"] == "2")
            let reset = try #require(limited.headers["X-RateLimit-Reset"])
            #expect(reset.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$"#, options: .regularExpression) != nil)
            #expect(limited.headers["RateLimit-Reason"] == "jira-burst-based")
        }
    }

    @Test func badGatewayPagesAreHTML() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, faults: .init(badGatewayEvery: 2))
        try await withSandbox(config) { _, client in
            let a = try await client.github("/repos/acme-pay/api/pulls")
            let b = try await client.github("/repos/acme-pay/api/pulls")
            #expect([a.status.code, b.status.code].sorted() == [200, 502])
            let bad = a.status.code == 502 ? a : b
            #expect(bad.headers["Content-Type"]?.hasPrefix("text/html") == true && bad.bodyText.contains("502 Bad Gateway"))
            let c = try await client.jira("/rest/api/3/myself"), d = try await client.jira("/rest/api/3/myself")
            #expect([c.status.code, d.status.code].sorted() == [200, 502])
        }
    }

    @Test func latencySlowsEveryResponse() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, faults: .init(latencyMilliseconds: 300))
        try await withSandbox(config) { _, client in
            let start = ContinuousClock.now
            _ = try await client.github("/repos/acme-pay/api")
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func aShiftingListingMovesAnItemToAnEarlierPage() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, faults: .init(shiftingPages: true))
        try await withSandbox(config) { server, client in
            let before = server.organisation.repository(named: "api")!.pulls.count
            let naive = try await client.allGitHubPages("/repos/acme-pay/api/pulls?state=all&sort=updated&direction=desc&per_page=10")
            let numbers = naive.compactMap { $0["number"]?.intValue }
            #expect(Set(numbers).count < before)  // one PR jumped to page 1 after it was read: the naive pager missed it
            let again = try await client.allGitHubPages("/repos/acme-pay/api/pulls?state=all&sort=updated&direction=desc&per_page=10")
            #expect(Set(again.compactMap { $0["number"]?.intValue }).count == before)  // once only: a second pass sees everything
        }
    }

    @Test(arguments: [SandboxPayloadFault.missingField("title"), .wrongType("number"), .null("user"), .truncated, .htmlError])
    func injectedBadPayloadsHitOneEndpointOnce(fault: SandboxPayloadFault) async throws {
        try await withSandbox { server, client in
            server.inject(fault, path: "/repos/acme-pay/api/pulls")
            let bad = try await client.github("/repos/acme-pay/api/pulls?state=all")
            let json = SandboxJSON.parse(bad.body)
            switch fault {
            case .missingField: #expect(json?.arrayValue?.allSatisfy { $0["title"] == nil } == true)
            case .wrongType: #expect(json?.arrayValue?.first?["number"]?.stringValue != nil)
            case .null: #expect(json?.arrayValue?.first?["user"]?.isNull == true)
            case .truncated: #expect(json == nil && bad.status.code == 200)
            case .htmlError: #expect(bad.status.code == 502 && json == nil)
            }
            let good = try await client.github("/repos/acme-pay/api/pulls?state=all")
            #expect(good.status.code == 200 && SandboxJSON.parse(good.body)?.arrayValue?.first?["title"]?.stringValue != nil)
            server.inject(fault, path: "/rest/api/3/search/jql")
            let jira = try await client.jira("/rest/api/3/search/jql?jql=project%3DPAY&fields=summary,status")
            #expect(jira.status.code == (fault == .htmlError ? 502 : 200))
            if case .missingField = fault { #expect(SandboxJSON.parse(jira.body)?["issues"]?.arrayValue?.isEmpty == false) }
        }
    }

    @Test func mutationIsServed() async throws {
        try await withSandbox { server, client in
            let before = try await client.allGitHubPages("/repos/acme-pay/api/commits?per_page=100")
            let issuesBefore = server.organisation.jira.issues.map(\.updated).max()!
            server.mutate(fraction: 0.01)
            let after = try await client.allGitHubPages("/repos/acme-pay/api/commits?per_page=100")
            #expect(after.count > before.count)
            #expect(server.organisation.jira.issues.map(\.updated).max()! > issuesBefore)
            let changed = server.organisation.jira.issues.max { $0.updated < $1.updated }!
            let log = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/issue/\(changed.key)/changelog").body))
            #expect(log["total"]?.intValue == Int64(changed.histories.count))
        }
    }
}

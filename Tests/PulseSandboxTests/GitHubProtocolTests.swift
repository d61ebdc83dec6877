import Foundation
import PulseHTTP
import PulseSandbox
import Testing

/// Paging, Link, ETag/304, rate limits and auth, as GitHub does them.
@Suite struct GitHubProtocolTests {
    @Test func pagingToTheEndReturnsEachItemOnce() async throws {
        try await withSandbox { server, client in
            let org = server.organisation
            let repo = org.repositories[0]
            for perPage in [7, 30, 100] {
                let commits = try await client.allGitHubPages("/repos/acme-pay/\(repo.name)/commits?per_page=\(perPage)")
                #expect(commits.compactMap { $0["sha"]?.stringValue } == repo.commits.map(\.sha))
                let pulls = try await client.allGitHubPages("/repos/acme-pay/\(repo.name)/pulls?state=all&sort=updated&direction=desc&per_page=\(perPage)")
                let numbers = pulls.compactMap { $0["number"]?.intValue }
                #expect(numbers.count == repo.pulls.count && Set(numbers).count == numbers.count)
            }
            let deployments = try await client.allGitHubPages("/repos/acme-pay/\(repo.name)/deployments?per_page=5")
            #expect(deployments.compactMap { $0["id"]?.intValue } == repo.deployments.reversed().map(\.id))
            let runs = try await client.allGitHubPages("/repos/acme-pay/\(repo.name)/actions/runs?per_page=4") { $0["workflow_runs"]?.arrayValue ?? [] }
            #expect(runs.count == repo.workflowRuns.count)
            let repos = try await client.allGitHubPages("/orgs/acme-pay/repos?per_page=1&sort=full_name")
            #expect(repos.compactMap { $0["name"]?.stringValue } == org.repositories.map(\.name).sorted())
        }
    }

    @Test func linkHeaderIsGitHubs() async throws {
        try await withSandbox { server, client in
            let first = try await client.github("/repos/acme-pay/api/commits?per_page=10")
            let host = "http://127.0.0.1:\(client.base.split(separator: ":").last!)"
            let total = server.organisation.repository(named: "api")!.commits.count
            let last = (total + 9) / 10
            #expect(first.headers["Link"] == "<\(host)/repos/acme-pay/api/commits?per_page=10&page=2>; rel=\"next\", <\(host)/repos/acme-pay/api/commits?per_page=10&page=\(last)>; rel=\"last\"")
            let middle = LinkHeader.parse(try await client.github("/repos/acme-pay/api/commits?per_page=10&page=3").headers["Link"])
            #expect(middle["prev"]?.hasSuffix("page=2") == true && middle["next"]?.hasSuffix("page=4") == true)
            #expect(middle["first"]?.hasSuffix("page=1") == true && middle["last"]?.hasSuffix("page=\(last)") == true)
            let end = LinkHeader.parse(try await client.github("/repos/acme-pay/api/commits?per_page=10&page=\(last)").headers["Link"])
            #expect(end["next"] == nil && end["last"] == nil && end["prev"] != nil)
            let single = try await client.github("/repos/acme-pay/api/releases?per_page=100")
            #expect(single.headers["Link"] == nil)
            // GitHub Enterprise: the same under /api/v3, and the links keep the prefix.
            let enterprise = try await client.github("/api/v3/repos/acme-pay/api/commits?per_page=10")
            #expect(enterprise.status.code == 200)
            #expect(LinkHeader.next(enterprise.headers["Link"])?.hasPrefix("\(host)/api/v3/repos/acme-pay/api/commits") == true)
        }
    }

    @Test func etagAnswers304WithoutSpendingTheBudget() async throws {
        try await withSandbox { _, client in
            let first = try await client.github("/repos/acme-pay/api/pulls?state=all")
            let etag = try #require(first.headers["ETag"])
            var headers = SandboxClient.gitHubAuth
            headers["If-None-Match"] = etag
            let again = try await client.github("/repos/acme-pay/api/pulls?state=all", headers: headers)
            #expect(again.status.code == 304)
            #expect(again.body.isEmpty)
            #expect(again.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"])
            headers["If-None-Match"] = "\"something-else\""
            #expect(try await client.github("/repos/acme-pay/api/pulls?state=all", headers: headers).status.code == 200)
        }
    }

    @Test func rateLimitHeadersCountDownPerToken() async throws {
        try await withSandbox { _, client in
            let a = try await client.github("/repos/acme-pay/api")
            let b = try await client.github("/repos/acme-pay/web")
            #expect(a.headers["x-ratelimit-limit"] == "5000")
            #expect(Int(a.headers["x-ratelimit-remaining"]!)! == Int(b.headers["x-ratelimit-remaining"]!)! + 1)
            #expect(b.headers["x-ratelimit-used"] == "2" && b.headers["x-ratelimit-resource"] == "core")
            let reset = Int64(try #require(a.headers["x-ratelimit-reset"]))!
            #expect(abs(reset - Int64(Date().timeIntervalSince1970) - 3_600) < 5)
            let other = try await client.github("/repos/acme-pay/api", headers: ["Authorization": "Bearer another-token"])
            #expect(other.headers["x-ratelimit-used"] == "1")
            let overview = try #require(SandboxJSON.parse(try await client.github("/rate_limit").body))
            #expect(overview["resources"]?["core"]?["used"]?.intValue == 2)
            #expect(overview["rate"]?["remaining"]?.intValue == 4_998)
        }
    }

    @Test func primaryLimitExhaustionRefusesUntilTheReset() async throws {
        let config = SandboxConfiguration(seed: 7, scale: .test, rateLimit: .init(limit: 3, windowSeconds: 6))
        try await withSandbox(config) { server, client in
            for _ in 0..<3 { #expect(try await client.github("/repos/acme-pay/api").status.code == 200) }
            let refused = try await client.github("/repos/acme-pay/api")
            #expect(refused.status.code == 403)
            #expect(refused.headers["x-ratelimit-remaining"] == "0")
            let reset = try #require(Double(refused.headers["x-ratelimit-reset"] ?? ""))
            #expect(SandboxJSON.parse(refused.body)?["message"]?.stringValue?.contains("rate limit exceeded") == true)
            try await Task.sleep(for: .seconds(max(0, reset - Date().timeIntervalSince1970) + 0.2))
            let after = try await client.github("/repos/acme-pay/api")
            #expect(after.status.code == 200 && after.headers["x-ratelimit-used"] == "1")
            #expect(server.requests.last?.receivedAt ?? 0 >= reset)
        }
    }

    @Test func withoutATokenGitHubAnswers401() async throws {
        try await withSandbox { _, client in
            for headers: HTTPHeaders in [[:], ["Authorization": "Bearer "], ["Authorization": "Basic eDp5"]] {
                let response = try await client.github("/orgs/acme-pay/repos", headers: headers)
                #expect(response.status.code == 401)
                #expect(SandboxJSON.parse(response.body)?["message"]?.stringValue == "Bad credentials")
            }
            let organisation = try #require(SandboxJSON.parse(try await client.github("/orgs/acme-pay").body))
            #expect(organisation["login"]?.stringValue == "acme-pay" && organisation["type"]?.stringValue == "Organization")
            #expect(try await client.github("/orgs/someone-else").status.code == 404)
            let missing = try await client.github("/repos/acme-pay/nope")
            #expect(missing.status.code == 404)
            #expect(SandboxJSON.parse(missing.body)?["message"]?.stringValue == "Not Found")
            #expect(SandboxJSON.parse(missing.body)?["documentation_url"]?.stringValue != nil)
        }
    }

    @Test func filtersNarrowTheListings() async throws {
        try await withSandbox { server, client in
            let repo = server.organisation.repository(named: "api")!
            let prod = try await client.allGitHubPages("/repos/acme-pay/api/deployments?environment=\(repo.productionEnvironment)&per_page=100")
            #expect(prod.count == repo.deployments.filter { $0.environment == repo.productionEnvironment }.count)
            let mid = repo.commits[repo.commits.count / 2].committedAt
            let since = try await client.allGitHubPages("/repos/acme-pay/api/commits?since=\(SandboxTime.github(mid))&per_page=100")
            #expect(since.count == repo.commits.filter { $0.committedAt >= mid }.count)
            let runs = try #require(SandboxJSON.parse(try await client.github("/repos/acme-pay/api/actions/runs?branch=\(repo.defaultBranch)&event=push&status=success").body))
            #expect(runs["total_count"]?.intValue == Int64(repo.workflowRuns.filter { $0.conclusion == "success" }.count))
            let issues = try await client.allGitHubPages("/repos/acme-pay/api/issues?state=all&per_page=100")
            #expect(issues.filter { $0["pull_request"] != nil }.count == repo.pulls.count)
            #expect(issues.count == repo.pulls.count + repo.issues.count)
            let byUpdate = try await client.allGitHubPages("/repos/acme-pay/api/pulls?state=all&sort=updated&per_page=100")
            #expect(byUpdate.compactMap { $0["number"]?.intValue } == repo.pulls.sorted { ($0.updatedAt, $0.number) < ($1.updatedAt, $1.number) }.map { Int64($0.number) })
            let rebased = try #require(repo.pulls.first { $0.mergeMethod == .rebase })
            let association = try #require(SandboxJSON.parse(try await client.github("/repos/acme-pay/api/commits/\(rebased.mergeCommitSha!)/pulls").body))
            #expect(association.arrayValue?.first?["number"]?.intValue == Int64(rebased.number))
        }
    }
}

import PulseSandbox
import Testing

/// Every GitHub endpoint's payload has the keys and JSON types of GitHub's own example.
@Suite struct GitHubShapeTests {
    static let cases: [(path: String, fixture: String)] = [
        ("/orgs/acme-pay/repos", "github/GET_orgs_ORG_repos.json"),
        ("/repos/acme-pay/api/pulls?state=all", "github/GET_repos_OWNER_REPO_pulls.json"),
        ("/repos/acme-pay/api/pulls/1", "github/GET_repos_OWNER_REPO_pulls_PULL_NUMBER.json"),
        ("/repos/acme-pay/api/pulls/{reviewed}/reviews", "github/GET_repos_OWNER_REPO_pulls_PULL_NUMBER_reviews.json"),
        ("/repos/acme-pay/api/pulls/1/commits", "github/GET_repos_OWNER_REPO_pulls_PULL_NUMBER_commits.json"),
        ("/repos/acme-pay/api/commits", "github/GET_repos_OWNER_REPO_commits.json"),
        ("/repos/acme-pay/api/deployments", "github/GET_repos_OWNER_REPO_deployments.json"),
        ("/repos/acme-pay/api/deployments/{deployment}", "github/GET_repos_OWNER_REPO_deployments_DEPLOYMENT_ID.json"),
        ("/repos/acme-pay/api/deployments/{deployment}/statuses", "github/GET_repos_OWNER_REPO_deployments_DEPLOYMENT_ID_statuses.json"),
        ("/repos/acme-pay/api/releases", "github/GET_repos_OWNER_REPO_releases.json"),
        ("/repos/acme-pay/api/actions/runs", "github/GET_repos_OWNER_REPO_actions_runs.json"),
        ("/repos/acme-pay/api/issues?state=all&sort=updated", "github/GET_repos_OWNER_REPO_issues.json"),
        ("/rate_limit", "github/GET_rate_limit.json"),
    ]

    @Test func payloadsHaveTheFixturesKeysAndTypes() async throws {
        try await withSandbox { server, client in
            let api = try #require(server.organisation.repository(named: "api"))
            let reviewed = try #require(api.pulls.first { !$0.reviews.isEmpty })
            let deployment = try #require(api.deployments.first)
            for (template, fixturePath) in Self.cases {
                let path = template.replacingOccurrences(of: "{reviewed}", with: String(reviewed.number))
                    .replacingOccurrences(of: "{deployment}", with: String(deployment.id))
                let response = try await client.github(path)
                #expect(response.status.code == 200, "\(path)")
                let ours = try #require(SandboxJSON.parse(response.body), "\(path) is not JSON")
                let fixture = try Fixtures.load(fixturePath)
                if let items = ours.arrayValue { #expect(!items.isEmpty, "\(path) is empty") }
                let problems = Shape.differences(ours, fixture)
                #expect(problems.isEmpty, "\(path): \(problems.prefix(12))")
            }
        }
    }

    @Test func idsAreNumbersSomeAbove32Bits() async throws {
        let org = SandboxOrganisation(seed: 7, scale: .test)
        let ids = org.repositories.flatMap { r in r.pulls.map(\.id) + r.deployments.map(\.id) + r.workflowRuns.map(\.id) }
        #expect(ids.contains { $0 > Int64(Int32.max) })
        #expect(ids.contains { $0 < Int64(Int32.max) })
        #expect(Set(ids).count == ids.count)
    }

    @Test func nullAuthorsAndUnicodeAreServed() async throws {
        try await withSandbox { server, client in
            let repo = try #require(server.organisation.repositories.first { $0.commits.contains { $0.author == nil } })
            let commits = try await client.allGitHubPages("/repos/acme-pay/\(repo.name)/commits?per_page=100")
            #expect(commits.contains { $0["author"]?.isNull == true })
            #expect(commits.contains { ($0["commit"]?["author"]?["name"]?.stringValue ?? "").unicodeScalars.contains { !$0.isASCII } })
        }
    }
}

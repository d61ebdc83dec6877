import Foundation
import PulseSandbox
import Testing

/// The generated organisation: deterministic, and holding every situation the DORA
/// definitions name.
@Suite struct SandboxDataTests {
    @Test func sameSeedSameBytes() async throws {
        let paths = ["/repos/acme-pay/api/commits?per_page=100", "/repos/acme-pay/web/pulls?state=all&per_page=100",
                     "/repos/acme-pay/api/deployments", "/repos/acme-pay/api/actions/runs", "/orgs/acme-pay/repos"]
        // Two servers (two ports): the same bytes once the address is taken out.
        func bodies() async throws -> [String] {
            try await withSandbox { _, client in
                var out: [String] = []
                for p in paths {
                    let text = try await client.github(p).bodyText
                    out.append(text.replacingOccurrences(of: client.base.replacingOccurrences(of: "http://", with: ""), with: "HOST"))
                }
                return out
            }
        }
        let a = try await bodies(), b = try await bodies()
        let same = a == b
        #expect(same)
        #expect(a.allSatisfy { $0.count > 1_000 })
        let other = SandboxOrganisation(seed: 8, scale: .test)
        #expect(other.repositories[0].commits[0].sha != SandboxOrganisation(seed: 7, scale: .test).repositories[0].commits[0].sha)
    }

    @Test func scaleDecidesTheSizes() {
        let org = SandboxOrganisation(seed: 7, scale: .test)
        #expect(org.repositories.count == 3)
        for r in org.repositories {
            #expect(r.pulls.count == 25)
            #expect(abs(r.commits.count - 80) <= 2)
        }
        #expect(org.repositories.contains { $0.defaultBranch == "master" } && org.repositories.contains { $0.defaultBranch == "main" })
    }

    @Test func theCommitGraphIsConsistent() {
        let org = SandboxOrganisation(seed: 7, scale: .test)
        for r in org.repositories {
            let shas = Set(r.commits.map(\.sha))
            #expect(shas.count == r.commits.count)
            #expect(r.commits.allSatisfy { $0.sha.count == 40 && $0.sha.allSatisfy(\.isHexDigit) })
            #expect(r.commits.filter { $0.parents.isEmpty }.count == 1)  // one root
            #expect(r.commits.allSatisfy { $0.parents.allSatisfy(shas.contains) })
            #expect(r.commits.contains { $0.parents.count == 2 })
            for d in r.deployments where d.ref == r.defaultBranch { #expect(shas.contains(d.sha)) }
        }
    }

    @Test func everyDoraSituationExists() {
        let org = SandboxOrganisation(seed: 42, scale: .demo)
        let pulls = org.repositories.flatMap(\.pulls)
        let deployments = org.repositories.flatMap(\.deployments)
        #expect(pulls.contains { $0.mergeMethod == .merge && $0.baseRef != "develop" && !$0.baseRef.hasPrefix("release/") })
        #expect(pulls.contains { $0.mergeMethod == .squash })
        #expect(pulls.contains { $0.mergeMethod == .rebase && $0.commits.count > 1 })
        #expect(pulls.contains { $0.merged && ($0.baseRef == "develop" || $0.baseRef.hasPrefix("release/")) })
        #expect(pulls.contains { $0.state == "closed" && !$0.merged })
        #expect(pulls.contains { $0.state == "open" })
        #expect(pulls.contains { $0.labels.contains("hotfix") })
        #expect(pulls.contains { $0.labels.contains("revert") })
        #expect(pulls.contains { $0.title.lowercased().contains("hotfix") && !$0.labels.contains("hotfix") })
        for env in ["production", "prod", "preprod", "staging"] { #expect(deployments.contains { $0.environment == env }, "\(env)") }
        #expect(deployments.contains { $0.transientEnvironment && $0.environment.hasPrefix("pr-") })
        #expect(deployments.contains { $0.kind == "rollback" })
        #expect(deployments.contains { $0.kind == "redeploy" })
        #expect(deployments.contains { $0.kind == "retry" })
        #expect(deployments.contains { $0.statuses.map(\.state).suffix(2) == ["success", "failure"] })
        #expect(deployments.contains { $0.latestState == "error" })
        #expect(deployments.contains { $0.latestState == "in_progress" })
        for r in org.repositories {
            // Direct pushes: default-branch commits without a PR.
            #expect(r.commits.contains { $0.parents.count == 1 && r.commitPulls[$0.sha] == nil })
            // The first deployment comes months after the first commit.
            let first = r.deployments.map(\.createdAt).min()!
            #expect(first - r.commits.last!.committedAt > 90 * 86_400)
            // Rollbacks deploy an older sha than the deployment before them.
            let prod = r.deployments.filter { $0.environment == r.productionEnvironment }
            for (i, d) in prod.enumerated() where d.kind == "rollback" {
                #expect(r.commitIndex[d.sha]! > r.commitIndex[prod[i - 1].sha]!)
            }
            #expect(r.workflowRuns.contains { $0.runAttempt > 1 })
            #expect(r.workflowRuns.allSatisfy { $0.path == ".github/workflows/deploy.yml" && $0.headBranch == r.defaultBranch })
        }
        #expect(org.repositories.flatMap(\.workflowRuns).contains { $0.conclusion == "failure" })
        #expect(org.repositories.flatMap(\.releases).contains { $0.draft && $0.publishedAt == nil })
        #expect(org.repositories.flatMap(\.commits).contains { $0.author == nil })
        // Every generated time is before the reference instant.
        #expect(org.repositories.allSatisfy { $0.commits.allSatisfy { $0.committedAt < org.reference } })
    }

    @Test func mutationChangesAboutTheFractionDeterministically() {
        var a = SandboxOrganisation(seed: 7, scale: .test), b = a
        let before = a
        a.mutate(fraction: 0.01)
        b.mutate(fraction: 0.01)
        #expect(a.repositories.map { $0.commits[0].sha } == b.repositories.map { $0.commits[0].sha })
        for (old, new) in zip(before.repositories, a.repositories) {
            #expect(new.commits.count > old.commits.count)
            #expect(new.commits.count - old.commits.count <= max(2, old.commits.count / 20))
            #expect(new.pulls.map(\.updatedAt).max()! > old.pulls.map(\.updatedAt).max()!)
        }
        #expect(a.reference > before.reference)
        // Ids stay unique however often it runs.
        var many = SandboxOrganisation(seed: 7, scale: .demo)
        for _ in 0..<3 { many.mutate(fraction: 0.02) }
        var ids: [Int64] = []
        for r in many.repositories {
            ids += r.deployments.map(\.id)
            ids += r.deployments.flatMap { d in d.statuses.map(\.id) }
            ids += r.pulls.map(\.id)
            ids += r.pulls.flatMap { p in p.reviews.map(\.id) }
        }
        #expect(Set(ids).count == ids.count)
        #expect(many.repositories.allSatisfy { r in Set(r.pulls.map(\.number)).count == r.pulls.count && Set(r.commits.map(\.sha)).count == r.commits.count })
        let histories = many.jira.issues.flatMap { $0.histories.map(\.id) }
        #expect(Set(histories).count == histories.count)
    }
}

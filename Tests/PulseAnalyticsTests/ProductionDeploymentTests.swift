import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: what a production deployment is")
struct ProductionDeploymentTests {
    static func base() -> History {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.commit(2, parents: [1], at: 1)
        return history
    }

    @Test func aFailedAttemptThenASuccessfulRetryIsOneDeployment() throws {
        var history = Self.base()
        history.attempt(1, 2, [("in_progress", 4), ("failure", 5)])
        history.attempt(2, 2, [("in_progress", 5.5), ("success", 6)])
        let deployments = try history.derive().deployments
        #expect(deployments.map(\.id) == [2] && deployments[0].finishedAt == h(6))
    }

    @Test func theLatestStatusDecides() throws {
        var history = Self.base()
        history.attempt(1, 2, [("success", 5), ("failure", 6)])  // success then failure: not a deployment
        history.attempt(2, 2, [("error", 5), ("success", 7)])  // error then success: deployed at the success
        history.attempt(3, 2, [("queued", 8), ("in_progress", 9)])  // still in progress
        let deployments = try history.derive().deployments
        #expect(deployments.map(\.id) == [2] && deployments[0].finishedAt == h(7))
    }

    @Test func theEnvironmentMustFullyMatchThePatternCaseInsensitively() throws {
        var history = Self.base()
        for (id, environment) in [(1, "preprod"), (2, "staging"), (3, "pr-12-preview"), (4, "production-eu"),
                                  (5, "Production"), (6, "PROD"), (7, "prod")] as [(Int64, String)] {
            history.attempt(id, 2, environment: environment, [("success", Double(id))])
        }
        #expect(try history.derive().deployments.map(\.id) == [5, 6, 7])
        history.settings.productionEnvironmentPattern = "production-[a-z]+"
        #expect(try history.derive().deployments.map(\.id) == [4])
    }

    @Test func deployWorkflowRunsOnTheDefaultBranchArePushedDeploymentsToo() throws {
        var history = Self.base()
        history.settings.deployWorkflows = ["acme/pay": ".github/workflows/deploy.yml"]
        history.repository.workflowRuns = [
            WorkflowRunFact(id: 50, path: ".github/workflows/deploy.yml", headBranch: "main", headSha: sha(2), conclusion: "success", updatedAt: h(5)),
            WorkflowRunFact(id: 51, path: ".github/workflows/deploy.yml", headBranch: "feature", headSha: sha(2), conclusion: "success", updatedAt: h(6)),
            WorkflowRunFact(id: 52, path: ".github/workflows/deploy.yml", headBranch: "main", headSha: sha(2), conclusion: "failure", updatedAt: h(7)),
            WorkflowRunFact(id: 53, path: ".github/workflows/ci.yml", headBranch: "main", headSha: sha(2), conclusion: "success", updatedAt: h(8)),
        ]
        history.attempt(60, 1, environment: "anything", [("success", 3)], source: .pushAPI)
        let deployments = try history.derive().deployments
        #expect(deployments.map(\.id) == [60, 50])
        #expect(deployments.map(\.source) == [.pushAPI, .workflowRun] && deployments[1].finishedAt == h(5))
    }

    @Test func deploymentsAreOrderedByFinishNotByCreation() throws {
        var history = Self.base()
        history.attempt(1, 2, [("in_progress", 1), ("success", 9)])
        history.attempt(2, 1, [("in_progress", 2), ("success", 3)])
        let deployments = try history.derive().deployments
        #expect(deployments.map(\.id) == [2, 1] && deployments[1].previousID == 2)
    }

    @Test func unsafeOrInvalidPatternsAreRefusedNamingTheParameter() {
        for pattern in ["(a+)+", "(prod|production)*", "(.*)*x", "(\\w+\\s?)+$", "([a-z]+)*", "(a)\\1", "(?=prod)prod", "[prod", ""] {
            #expect(throws: DORASettingsError.self, "\(pattern)") { _ = try EnvironmentMatcher(pattern: pattern) }
            do { _ = try EnvironmentMatcher(pattern: pattern) } catch { #expect(error.parameter == "production_environment_pattern") }
        }
        for pattern in ["prod|production", "(prod|production)-(eu|us)", "prod-[a-z]{2}", "live|prod.*"] {
            #expect(throws: Never.self) { _ = try EnvironmentMatcher(pattern: pattern) }
        }
    }
}

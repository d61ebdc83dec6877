import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: failed deployments, restores, recovery and rework")
struct FailureTests {
    /// Commits 1 <- 2 <- 3 <- 4 on main.
    static func line() -> History {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.commit(2, parents: [1], at: 1)
        history.commit(3, parents: [2], at: 2)
        history.commit(4, parents: [3], at: 3)
        return history
    }

    @Test func rollbackToOneDeploymentBack() throws {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.deploy(2, 2, at: 10)
        history.deploy(3, 1, at: 12)
        let derived = try history.derive()
        #expect(derived.deployment(1)?.failed == false)
        let failed = try #require(derived.deployment(2))
        #expect(failed.failureReason == .rollback && failed.restoredByID == 3 && failed.recoverySeconds == hours(2))
        #expect(derived.deployment(3)?.isRework == true && derived.deployment(3)?.restoreKind == .rollback)
        let figures = DORAMetrics.figures(derived.deployments, period: wholePeriod)
        #expect(figures.failedDeployments == 1 && figures.changeFailureRate == 1.0 / 3.0)
        #expect(figures.reworkDeployments == 1 && figures.deploymentReworkRate == 1.0 / 3.0)
        #expect(figures.recoveryCount == 1 && figures.recoveryMedian == 7200 && figures.recoveryP90 == 7200)
    }

    @Test func rollbackToTwoDeploymentsBackFailsTheDeploymentItFollows() throws {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.deploy(2, 2, at: 10)
        history.deploy(3, 3, at: 20)
        history.deploy(4, 1, at: 21)  // back to 1: a strict ancestor of 3
        history.deploy(5, 4, at: 30)
        let derived = try history.derive()
        // "the next deployment ships a strict ancestor of its sha": only deployment 3.
        #expect(derived.deployment(2)?.failed == false)
        #expect(derived.deployment(3)?.failureReason == .rollback && derived.deployment(3)?.restoredByID == 4)
        #expect(derived.deployment(5)?.changes.map(\.commitSha) == [sha(4)])
        #expect(derived.deployment(5)?.failed == false && derived.deployment(4)?.failed == false)
    }

    @Test func aRedeployOfTheSameShaIsNotARollback() throws {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.deploy(2, 2, at: 10)
        history.deploy(3, 2, at: 11)
        let derived = try history.derive()
        #expect(derived.deployments.allSatisfy { !$0.failed && !$0.isRework })
    }

    /// main: 1 <- 2 (deployed at h10); hotfix PR #5 squashed as 3.
    static func hotfix(deployedAt hours: Double, labels: [String] = ["hotfix"], merged: Bool = true) -> History {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.deploy(2, 2, at: 10)
        if merged {
            history.pr(5, commits: [(105, 11)], merge: 3, mergedAt: 12, labels: labels, title: "Hotfix: null pointer")
        } else {
            history.pr(5, commits: [(105, 11)], merge: nil, mergedAt: nil, labels: labels, state: "closed")
        }
        history.deploy(3, 3, at: hours)
        return history
    }

    @Test func hotfixInsideTheWindowFailsTheDeploymentJustBefore() throws {
        let derived = try Self.hotfix(deployedAt: 58).derive()  // 48 h after deployment 2: inclusive
        let failed = try #require(derived.deployment(2))
        #expect(failed.failureReason == .hotfix && failed.restoredByID == 3 && failed.recoverySeconds == hours(48))
        #expect(derived.deployment(3)?.isRework == true && derived.deployment(3)?.restoreKind == .hotfix)
        #expect(derived.deployment(1)?.failed == false)
    }

    @Test func hotfixOutsideTheWindowFailsNothing() throws {
        let derived = try Self.hotfix(deployedAt: 58.5).derive()
        #expect(derived.deployments.allSatisfy { !$0.failed && !$0.isRework })
    }

    @Test func labelsDecideNotTitles() throws {
        #expect(try Self.hotfix(deployedAt: 20, labels: []).derive().deployments.allSatisfy { !$0.failed })
        var history = Self.hotfix(deployedAt: 20, labels: ["urgent-fix"])
        history.settings.hotfixLabels = ["Urgent-Fix"]
        #expect(try history.derive().deployment(2)?.failureReason == .hotfix)
    }

    @Test func hotfixPRClosedUnmergedFailsNothing() throws {
        var history = Self.hotfix(deployedAt: 20, merged: false)
        // Commit 3 is a direct push now; the closed PR is not a change.
        let derived = try history.derive()
        #expect(derived.deployments.allSatisfy { !$0.failed })
        #expect(derived.deployment(3)?.changes.map(\.commitSha) == [sha(3)])
        history.settings.failureWindowHours = 1000
        #expect(try history.derive().deployments.allSatisfy { !$0.failed })
    }

    @Test func revertWithADeploymentInBetweenFailsTheDeploymentThatShippedTheRevertedPR() throws {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.pr(7, commits: [(107, 5)], merge: 2, mergedAt: 6)
        history.deploy(2, 2, at: 10)
        history.pr(8, commits: [(108, 11)], merge: 3, mergedAt: 12)
        history.deploy(3, 3, at: 20)
        history.pr(9, commits: [(109, 21)], merge: 4, mergedAt: 22, labels: ["revert"], title: "Revert \"Add cache\"",
                   body: "Reverts acme/pay#7")
        history.deploy(4, 4, at: 30)
        let derived = try history.derive()
        #expect(derived.deployment(2)?.failureReason == .revert)
        #expect(derived.deployment(2)?.restoredByID == 4 && derived.deployment(2)?.recoverySeconds == hours(20))
        #expect(derived.deployment(3)?.failed == false)
        #expect(derived.deployment(4)?.isRework == true && derived.deployment(4)?.restoreKind == .revert)
    }

    @Test func aRevertOutsideTheWindowStillFailsButDoesNotRestore() throws {
        var history = Self.line()
        history.deploy(1, 1, at: 4)
        history.pr(7, commits: [(107, 5)], merge: 2, mergedAt: 6)
        history.deploy(2, 2, at: 10)
        history.pr(9, commits: [(109, 21)], merge: 3, mergedAt: 22, labels: ["revert"], body: "Reverts #7")
        history.deploy(3, 3, at: 100)
        let derived = try history.derive()
        #expect(derived.deployment(2)?.failureReason == .revert && derived.deployment(2)?.restoredByID == nil)
        #expect(derived.deployment(2)?.recoverySeconds == nil && derived.deployment(3)?.isRework == false)
    }

    @Test func failuresAreJudgedWithDataAfterThePeriodEnd() throws {
        let derived = try Self.hotfix(deployedAt: 40).derive()  // hotfix on Tuesday Jan 6, 16:00
        let monday = DORAMetrics.figures(derived.deployments, period: DORAPeriod(from: "2026-01-05", to: "2026-01-05")!)
        #expect(monday.deployments == 2 && monday.failedDeployments == 1 && monday.changeFailureRate == 0.5)
        #expect(monday.recoveryMedian == hours(30) && monday.reworkDeployments == 0)
    }
}

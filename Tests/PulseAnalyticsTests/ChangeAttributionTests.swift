import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: changes and change lead time")
struct ChangeAttributionTests {
    @Test func firstDeploymentEverIsExcludedFromLeadTimeButCountsForFrequency() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.commit(2, parents: [1], at: 1)
        history.deploy(1, 2, at: 10)
        history.commit(3, parents: [2], at: 20)
        history.deploy(2, 3, at: 30)
        let derived = try history.derive()
        let first = try #require(derived.deployment(1))
        #expect(first.firstEver && first.changes.count == 2)
        #expect(first.changes.allSatisfy { $0.leadTimeSeconds == nil })
        let second = try #require(derived.deployment(2))
        #expect(!second.firstEver && second.previousID == 1)
        #expect(second.changes.map(\.commitSha) == [sha(3)] && second.changes[0].leadTimeSeconds == hours(10))
        let figures = DORAMetrics.figures(derived.deployments, period: wholePeriod)
        #expect(figures.deployments == 2 && figures.leadTimeChanges == 1 && figures.leadTime.median == 36000)
    }

    @Test func squashMergeIsOneChangeFromTheEarliestCommitOfThePR() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        // PR #1: commits 101 (h2) and 102 (h3) on its branch; squash commit 2 lands at h5.
        history.commit(2, parents: [1], at: 5)
        history.pr(1, commits: [(101, 2), (102, 3)], merge: 2, mergedAt: 5)
        history.deploy(2, 2, at: 10)
        let second = try #require(try history.derive().deployment(2))
        #expect(second.changes.count == 1)
        #expect(second.changes[0].prNumber == 1 && second.changes[0].commitSha == nil)
        #expect(second.changes[0].leadTimeSeconds == hours(8))
    }

    @Test func rebaseMergeIsOneChangeThroughTheCommitToPRAssociation() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        // PR #2's commits 101 (h2), 102 (h3) rebased onto main as 11, 12 (same author dates).
        history.commit(11, parents: [1], at: 2)
        history.commit(12, parents: [11], at: 3)
        // The connector left merge_commit_sha empty: the association alone tells the copies apart.
        history.pr(2, commits: [(101, 2), (102, 3)], merge: nil, mergedAt: 4, associated: [11, 12])
        history.deploy(2, 12, at: 10)
        let second = try #require(try history.derive().deployment(2))
        #expect(second.changes.count == 1 && second.changes[0].prNumber == 2)
        #expect(second.changes[0].landingSha == sha(12))
        #expect(second.changes[0].leadTimeSeconds == hours(8))
    }

    @Test func rebasedPRShipsOnlyWhenItsLastRebasedCommitIsDeployed() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        history.commit(11, parents: [1], at: 2)
        history.commit(12, parents: [11], at: 3)
        history.pr(2, commits: [(101, 2), (102, 3)], merge: 12, mergedAt: 4, associated: [11, 12])
        history.deploy(2, 11, at: 10)
        history.deploy(3, 12, at: 20)
        let derived = try history.derive()
        #expect(derived.deployment(2)?.changes.isEmpty == true)
        #expect(derived.deployment(3)?.changes.map(\.prNumber) == [2])
        #expect(derived.deployment(3)?.changes[0].leadTimeSeconds == hours(18))
    }

    @Test func cherryPickKeepsItsEarlierAuthorDate() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        // PR #3 cherry-picks commit 21 authored 100 h before t0, then adds 22 (h2); merge commit 3.
        history.commit(21, parents: [1], at: -100)
        history.commit(22, parents: [21], at: 2)
        history.commit(3, parents: [1, 22], at: 5)
        history.pr(3, commits: [(21, -100), (22, 2)], merge: 3, mergedAt: 5, associated: [21, 22, 3])
        history.deploy(2, 3, at: 10)
        let second = try #require(try history.derive().deployment(2))
        #expect(second.changes.count == 1 && second.changes[0].prNumber == 3)
        #expect(second.changes[0].leadTimeSeconds == hours(110))
    }

    @Test func stackedPRMergedIntoAnotherBranchIsNotAChange() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        // PR #11 (base feature-a): commit 31 (h1.5), merged into feature-a by merge commit 33.
        // PR #10 (base main): commits 32 (h2), 31, 33; merged into main by merge commit 4.
        history.commit(31, parents: [1], at: 1.5)
        history.commit(32, parents: [1], at: 2)
        history.commit(33, parents: [32, 31], at: 3)
        history.commit(4, parents: [1, 33], at: 4)
        history.pr(11, commits: [(31, 1.5)], merge: 33, mergedAt: 3, base: "feature-a", associated: [31, 33])
        history.pr(10, commits: [(32, 2), (31, 1.5), (33, 3)], merge: 4, mergedAt: 4, associated: [31, 32, 33, 4])
        history.deploy(2, 4, at: 10)
        let second = try #require(try history.derive().deployment(2))
        #expect(second.changes.map(\.prNumber) == [10])
        #expect(second.changes[0].leadTimeSeconds == hours(8.5))
    }

    @Test func directPushOfTwoCommitsIsTwoChanges() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        history.commit(2, parents: [1], at: 2)
        history.commit(3, parents: [2], at: 3)
        history.deploy(2, 3, at: 10)
        let derived = try history.derive()
        let second = try #require(derived.deployment(2))
        #expect(second.changes.map(\.commitSha) == [sha(2), sha(3)])
        #expect(second.changes.map(\.leadTimeSeconds) == [hours(8), hours(7)])
        let figures = DORAMetrics.figures(derived.deployments, period: wholePeriod)
        #expect(figures.leadTimeChanges == 2 && figures.leadTime.median == hours(7.5))
    }

    @Test func eachChangeCountsOnceAndARedeployAfterARollbackShipsNothing() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)
        history.commit(2, parents: [1], at: 2)
        history.deploy(2, 2, at: 10)
        history.deploy(3, 1, at: 11)  // rollback
        history.deploy(4, 2, at: 12)  // redeploy of the rolled-back sha
        history.commit(3, parents: [2], at: 13)
        history.deploy(5, 3, at: 20)
        let derived = try history.derive()
        #expect(derived.deployment(2)?.changes.map(\.commitSha) == [sha(2)])
        #expect(derived.deployment(3)?.changes.isEmpty == true)
        #expect(derived.deployment(4)?.changes.isEmpty == true)
        #expect(derived.deployment(5)?.changes.map(\.commitSha) == [sha(3)])
        #expect(derived.deployment(5)?.changes[0].leadTimeSeconds == hours(7))
    }

    @Test func aPeriodWhoseFirstDeploymentIsNotTheFirstEverKeepsItsLeadTimes() throws {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.deploy(1, 1, at: 1)  // Monday Jan 5
        history.commit(2, parents: [1], at: 20)  // committed before the period
        history.deploy(2, 2, at: 24 * 3 + 5)  // Thursday Jan 8
        let derived = try history.derive()
        let thursdayOn = DORAPeriod(from: "2026-01-08", to: "2026-01-10")!
        let figures = DORAMetrics.figures(derived.deployments, period: thursdayOn)
        #expect(figures.deployments == 1 && figures.leadTimeChanges == 1)
        #expect(figures.leadTime.median == Double(24 * 3 + 5 - 20) * 3600)
        let mondayOnly = DORAMetrics.figures(derived.deployments, period: DORAPeriod(from: "2026-01-05", to: "2026-01-05")!)
        #expect(mondayOnly.deployments == 1 && mondayOnly.leadTimeChanges == 0 && mondayOnly.leadTime.median == nil)
    }

    @Test func clientFiguresPoolAllChangesNotAMedianOfMedians() throws {
        var a = History()
        a.commit(1, parents: [], at: 0)
        a.deploy(1, 1, at: 1)
        a.commit(2, parents: [1], at: 9)
        a.commit(3, parents: [2], at: 8)
        a.commit(4, parents: [3], at: 7)
        a.deploy(2, 4, at: 10)  // lead times 1 h, 2 h, 3 h
        var b = History()
        b.repository = RepositoryFacts(id: 2, fullName: "acme/web")
        b.commit(51, parents: [], at: 0)
        b.deploy(11, 51, at: 1)
        b.commit(52, parents: [51], at: 0)
        b.deploy(12, 52, at: 10)  // lead time 10 h
        let pooled = try a.derive().deployments + b.derive().deployments
        let figures = DORAMetrics.figures(pooled, period: wholePeriod)
        #expect(figures.leadTimeChanges == 4)
        #expect(figures.leadTime.median == hours(2.5))  // a median of medians would say 6 h
    }
}

import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: incidents, their attribution and resolution")
struct IncidentTests {
    /// Deployment 1 (commit 1, h4) and deployment 2 (PR #7 = commit 2, h10).
    static func twoDeployments() -> History {
        var history = History()
        history.commit(1, parents: [], at: 0)
        history.commit(2, parents: [1], at: 5)
        history.deploy(1, 1, at: 4)
        history.pr(7, commits: [(107, 5)], merge: 2, mergedAt: 6)
        history.deploy(2, 2, at: 10)
        return history
    }

    @Test func anIncidentNamingADeploymentFailsItWhateverTheTime() throws {
        for reference in ["1", "9001", "https://api.github.com/repos/acme/pay/deployments/9001"] {
            var history = Self.twoDeployments()
            history.incident(1, at: 300, resolved: 310, deployment: reference)
            let derived = try history.derive()
            #expect(derived.attribution(1)?.deploymentID == 1 && derived.attribution(1)?.rule == .namesDeployment)
            #expect(derived.deployment(1)?.failureReason == .incidentNamesDeployment)
            #expect(derived.deployment(1)?.recoverySeconds == hours(306))
            #expect(derived.deployment(2)?.failed == false)
        }
    }

    @Test func namingADeploymentWinsOverTheWindowRule() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 11, deployment: "1")  // the window rule alone would say deployment 2
        let derived = try history.derive()
        #expect(derived.attribution(1)?.deploymentID == 1)
        #expect(derived.deployment(2)?.failed == false)
    }

    @Test func anIncidentNamingAPRFailsTheDeploymentThatShippedIt() throws {
        for text in ["Checkout down since acme/pay#7", "see https://github.com/acme/pay/pull/7"] {
            var history = Self.twoDeployments()
            history.incident(1, at: 200, description: text)
            let derived = try history.derive()
            #expect(derived.attribution(1)?.rule == .namesPR && derived.attribution(1)?.deploymentID == 2)
            #expect(derived.attribution(1)?.prID == 1007)
            #expect(derived.deployment(2)?.failureReason == .incidentNamesPR)
        }
    }

    @Test func anIncidentNamingACommitFailsTheDeploymentThatShippedIt() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 200, title: "Regression from \(sha(1).prefix(8))")
        let derived = try history.derive()
        #expect(derived.attribution(1)?.rule == .namesCommit && derived.attribution(1)?.deploymentID == 1)
        #expect(derived.attribution(1)?.commitSha == sha(1))
        #expect(derived.deployment(1)?.failureReason == .incidentNamesCommit)
    }

    @Test func anUnlinkedIncidentAt47HoursIsAttributedAnd50HoursIsNot() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 57, resolved: 60)  // 47 h after deployment 2
        history.incident(2, at: 60)  // 50 h after
        history.incident(3, at: 58)  // exactly 48 h: inclusive
        let derived = try history.derive()
        #expect(derived.attribution(1)?.deploymentID == 2 && derived.attribution(1)?.rule == .timeWindow)
        #expect(derived.attribution(3)?.deploymentID == 2)
        #expect(derived.attribution(2)?.deploymentID == nil)
        #expect(derived.attribution(2)?.unattributedReason?.contains("outside the 48 h window") == true)
        #expect(derived.deployment(2)?.failureReason == .incidentWindow && derived.deployment(1)?.failed == false)
    }

    @Test func theWindowRuleTakesTheLatestDeploymentBeforeTheIncident() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 9)  // after 1 (h4), before 2 (h10)
        let derived = try history.derive()
        #expect(derived.attribution(1)?.deploymentID == 1)
    }

    @Test func anIncidentBeforeTheFirstDeploymentIsAttributedToNothing() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 1)
        let derived = try history.derive()
        #expect(derived.attribution(1)?.deploymentID == nil)
        #expect(derived.attribution(1)?.unattributedReason == "no production deployment of its repository finished before it started")
        #expect(derived.deployments.allSatisfy { !$0.failed })
    }

    @Test func anotherRepositorysIncidentIsNotAttributedByTheWindow() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 11, repository: 2)
        #expect(try history.derive().attribution(1) == nil)
    }

    @Test func twoIncidentsOnOneDeploymentAreOneFailureRecoveredAtTheLatestResolution() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 12, resolved: 30)
        history.incident(2, at: 13, resolved: 40, deployment: "2")
        let derived = try history.derive()
        let failed = try #require(derived.deployment(2))
        #expect(failed.failureReason == .incidentNamesDeployment && failed.incidentIDs == [1, 2])
        #expect(failed.recoverySeconds == hours(30))
        let figures = DORAMetrics.figures(derived.deployments, period: wholePeriod)
        #expect(figures.failedDeployments == 1 && figures.changeFailureRate == 0.5 && figures.recoveryCount == 1)
    }

    @Test func anOpenIncidentLeavesNoRecoveryTime() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 12, resolved: 30)
        history.incident(2, at: 13)
        let derived = try history.derive()
        #expect(derived.deployment(2)?.failed == true && derived.deployment(2)?.recoverySeconds == nil)
        let figures = DORAMetrics.figures(derived.deployments, period: wholePeriod)
        #expect(figures.recoveryCount == 0 && figures.recoveryMedian == nil && figures.recoveryP90 == nil)
    }

    @Test func aRestoringDeploymentBeatsTheIncidentResolution() throws {
        var history = Self.twoDeployments()
        history.incident(1, at: 11, resolved: 100)
        history.deploy(3, 1, at: 12)  // rollback
        let failed = try #require(try history.derive().deployment(2))
        #expect(failed.failureReason == .incidentWindow && failed.restoredByID == 3 && failed.recoverySeconds == hours(2))
    }

    // MARK: Jira work items -> incidents

    static let mappings = IncidentMappings(
        witsMappings: ["Incident": "incident", "Bug": "bug", "Story": "story"],
        statusMappings: ["Open": "to_do", "In Progress": "in_progress", "Ready for Release": "in_progress",
                         "Done": "done", "Closed": "done", "Reopened": "in_progress"],
        repositoryField: "customfield_10050", deploymentField: "customfield_10051")

    @Test func onlyTypesMappedToIncidentAreIncidents() {
        let bug = WorkItemFact(id: 1, key: "PAY-1", type: "Bug", summary: "Broken since acme/pay#7", createdAt: h(11),
                               fields: ["customfield_10050": "acme/pay"])
        #expect(IncidentDerivation.incident(bug, mappings: Self.mappings) == nil)
        let incident = WorkItemFact(id: 2, key: "PAY-2", type: "incident", summary: "Down", createdAt: h(11),
                                    fields: ["customfield_10050": "acme/pay", "customfield_10051": "9001"])
        let derived = IncidentDerivation.incident(incident, mappings: Self.mappings)
        #expect(derived?.repositoryReference == "acme/pay" && derived?.deploymentReference == "9001")
        #expect(derived?.startedAt == h(11) && derived?.resolvedAt == nil && derived?.externalID == "PAY-2")
        let byComponent = WorkItemFact(id: 3, key: "PAY-3", type: "Incident", summary: "Down", createdAt: h(11),
                                       components: ["backend", "acme/web"])
        #expect(IncidentDerivation.incident(byComponent, mappings: Self.mappings)?.repositoryReference == "acme/web")
    }

    @Test func resolutionIsTheLastMoveFromNotDoneIntoDone() {
        let m = Self.mappings
        let reopened = [StatusTransition(at: h(1), from: "Open", to: "In Progress"),
                        StatusTransition(at: h(5), from: "In Progress", to: "Done"),
                        StatusTransition(at: h(6), from: "Done", to: "Reopened"),
                        StatusTransition(at: h(9), from: "Reopened", to: "Done")]
        #expect(IncidentDerivation.resolution(reopened, mappings: m) == h(9))
        #expect(IncidentDerivation.resolution(Array(reopened.prefix(3)), mappings: m) == nil)  // reopened, still open
        let doneToDone = [StatusTransition(at: h(5), from: "In Progress", to: "Done"),
                          StatusTransition(at: h(8), from: "Done", to: "Closed")]
        #expect(IncidentDerivation.resolution(doneToDone, mappings: m) == h(5))
        // "Ready for Release" is in Jira's done category but mapped to in_progress: not a resolution.
        let readyForRelease = [StatusTransition(at: h(5), from: "In Progress", to: "Ready for Release"),
                               StatusTransition(at: h(7), from: "Ready for Release", to: "Done")]
        #expect(IncidentDerivation.resolution(readyForRelease, mappings: m) == h(7))
        #expect(IncidentDerivation.resolution(Array(readyForRelease.prefix(1)), mappings: m) == nil)
        #expect(IncidentDerivation.resolution([], mappings: m) == nil)
    }
}

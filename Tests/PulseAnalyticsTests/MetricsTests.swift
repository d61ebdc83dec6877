import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: deployment frequency, periods and time zones")
struct MetricsTests {
    static func deployments(_ instants: [Date]) -> [DerivedDeployment] {
        instants.enumerated().map { DerivedDeployment(id: Int64($0.offset + 1), repositoryID: 1, sha: sha($0.offset), finishedAt: $0.element) }
    }

    static func day(_ text: String, hour: Double = 12) -> Date { DORAPeriod.day(text)!.addingTimeInterval(hour * 3600) }

    @Test func weeksCutByThePeriodsEdgesAreLeftOut() {
        // Wed Jan 7 .. Tue Jan 27 2026: full ISO weeks Jan 12-18 and Jan 19-25.
        let period = DORAPeriod(from: "2026-01-07", to: "2026-01-27")!
        let list = Self.deployments([
            Self.day("2026-01-07"), Self.day("2026-01-08"),  // partial first week
            Self.day("2026-01-12", hour: 1), Self.day("2026-01-12", hour: 20), Self.day("2026-01-13"), Self.day("2026-01-14"),
            Self.day("2026-01-20"),
            Self.day("2026-01-26"),  // partial last week
            Self.day("2026-01-28"),  // after the period
        ])
        #expect(DORAMetrics.deploymentDaysPerWeek(list.map(\.finishedAt), period: period) == [3, 1])
        let figures = DORAMetrics.figures(list, period: period)
        #expect(figures.deployments == 8 && figures.deploymentDays == 7)
        #expect(figures.medianDeploymentDaysPerWeek == 2)
        #expect(figures.deploymentsPerDay == 8.0 / 21.0 && figures.periodDays == 21)
    }

    @Test func partialEdgeWeeksCountOnlyWhenNoFullWeekExists() {
        // Wed Jan 7 .. Tue Jan 13: no full ISO week; partial weeks Jan 7-11 and Jan 12-13.
        let period = DORAPeriod(from: "2026-01-07", to: "2026-01-13")!
        let list = Self.deployments([Self.day("2026-01-08"), Self.day("2026-01-09"), Self.day("2026-01-12")])
        #expect(DORAMetrics.deploymentDaysPerWeek(list.map(\.finishedAt), period: period) == [2, 1])
        #expect(DORAMetrics.figures(list, period: period).medianDeploymentDaysPerWeek == 1.5)
        // A single Monday-to-Sunday week is a full week.
        let week = DORAPeriod(from: "2026-01-12", to: "2026-01-18")!
        #expect(DORAMetrics.deploymentDaysPerWeek(list.map(\.finishedAt), period: week) == [1])
    }

    @Test func daysAndWeeksAreUTCWhateverTheOffsetOfTheSource() throws {
        let parser = ISO8601DateFormatter()
        // Sunday 23:30 at -02:00 is Monday 01:30 UTC; Monday 00:30 at +02:00 is Sunday 22:30 UTC.
        let mondayUTC = try #require(parser.date(from: "2026-01-11T23:30:00-02:00"))
        let sundayUTC = try #require(parser.date(from: "2026-01-12T00:30:00+02:00"))
        let list = Self.deployments([mondayUTC, sundayUTC])
        let monday = DORAMetrics.figures(list, period: DORAPeriod(from: "2026-01-12", to: "2026-01-12")!)
        #expect(monday.deployments == 1 && monday.deploymentDays == 1)
        let sunday = DORAMetrics.figures(list, period: DORAPeriod(from: "2026-01-11", to: "2026-01-11")!)
        #expect(sunday.deployments == 1)
        // Jan 5..18: two full weeks, one deployment day in each.
        let twoWeeks = DORAMetrics.figures(list, period: DORAPeriod(from: "2026-01-05", to: "2026-01-18")!)
        #expect(twoWeeks.medianDeploymentDaysPerWeek == 1 && twoWeeks.deploymentDays == 2)
    }

    @Test func periodsParseWholeDaysAndRefuseBadInput() {
        let period = DORAPeriod(from: "2026-01-01", to: "2026-03-31")
        #expect(period?.days == 90 && period?.start == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(DORAPeriod(from: "2026-02-01", to: "2026-01-01") == nil)
        #expect(DORAPeriod(from: "2026-02-30", to: "2026-03-01") == nil)
        #expect(DORAPeriod(from: "2026-1-01", to: "2026-03-01") == nil)
        #expect(DORAPeriod(from: "yesterday", to: "2026-03-01") == nil)
        #expect(period?.previous == DORAPeriod(from: "2025-10-03", to: "2025-12-31"))
    }

    @Test func emptyPeriodsHaveNullRatesAndPercentiles() {
        let figures = DORAMetrics.figures([], period: wholePeriod)
        #expect(figures.deployments == 0 && figures.changeFailureRate == nil && figures.deploymentReworkRate == nil)
        #expect(figures.leadTime == DurationSummary([]) && figures.leadTime.median == nil && figures.recoveryMedian == nil)
        #expect(figures.medianDeploymentDaysPerWeek == 0)
    }

    @Test func percentilesInterpolateLinearly() {
        #expect(percentileCont(0.5, [1, 2, 3, 4]) == 2.5)
        #expect(percentileCont(0.9, [10, 20]) == 19)
        #expect(percentileCont(0.75, [5]) == 5)
        #expect(percentileCont(0.5, []) == nil)
        #expect(percentileCont(0.9, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9.1)
    }
}

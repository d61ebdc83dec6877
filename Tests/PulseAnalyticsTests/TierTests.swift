import Foundation
import PulseAnalytics
import Testing

@Suite("DORA: tiers at every band edge of every report year")
struct TierTests {
    let classifier = TierClassifier(bands: BenchmarkCatalog.published)
    static let hour = 3600.0, day = 86400.0, week = 604_800.0, month = 2_592_000.0, sixMonths = 15_552_000.0

    @Test func everyYearHasFourBandsPerMetric() {
        #expect(classifier.years == [2019, 2021, 2023, 2024])
        for year in classifier.years {
            for metric in ["deployment_frequency", "lead_time", "recovery_time", "change_failure_rate"] {
                #expect(BenchmarkCatalog.published.filter { $0.year == year && $0.metric == metric }.count == 4)
            }
        }
    }

    @Test func leadTimeComparesWithLessThan() {
        let edges: [Int: [(Double, Tier)]] = [
            2019: [(Self.day - 1, .elite), (Self.day, .high), (Self.week - 1, .high), (Self.week, .medium), (Self.month - 1, .medium), (Self.month, .low)],
            2021: [(Self.hour - 1, .elite), (Self.hour, .high), (Self.week - 1, .high), (Self.week, .medium), (Self.sixMonths - 1, .medium), (Self.sixMonths, .low)],
            2023: [(0, .elite), (Self.day - 1, .elite), (Self.day, .high), (Self.week, .medium), (Self.month - 1, .medium), (Self.month, .low)],
            2024: [(Self.day - 1, .elite), (Self.day, .high), (Self.week, .medium), (Self.month, .low)],
        ]
        for (year, cases) in edges {
            for (value, tier) in cases {
                #expect(classifier.duration(year: year, metric: "lead_time", value) == tier, "\(year) \(value)")
            }
        }
        #expect(classifier.duration(year: 2023, metric: "lead_time", nil) == nil)
    }

    @Test func recoveryTimeComparesWithLessThan() {
        for year in [2019, 2021, 2023, 2024] {
            let cases: [(Double, Tier)] = [(Self.hour - 1, .elite), (Self.hour, .high), (Self.day - 1, .high), (Self.day, .medium),
                                           (Self.week - 1, .medium), (Self.week, .low)]
            for (value, tier) in cases {
                #expect(classifier.duration(year: year, metric: "recovery_time", value) == tier, "\(year) \(value)")
            }
        }
    }

    @Test func changeFailureRateComparesWithAtMost() {
        let edges: [Int: [(Double, Tier)]] = [
            2019: [(0, .elite), (0.15, .elite), (0.1501, .low), (0.6, .low)],
            2021: [(0.15, .elite), (0.1501, .high), (0.30, .high), (0.3001, .low)],
            2023: [(0.05, .elite), (0.0501, .high), (0.10, .high), (0.1001, .medium), (0.15, .medium), (0.1501, .low)],
        ]
        for (year, cases) in edges {
            for (value, tier) in cases {
                #expect(classifier.rate(year: year, metric: "change_failure_rate", value) == tier, "\(year) \(value)")
            }
        }
        // 3 failed of 20 is exactly 15 %.
        #expect(classifier.rate(year: 2023, metric: "change_failure_rate", 3.0 / 20.0) == .medium)
    }

    @Test func the2024ChangeFailureBandsUseTheNearestValueTiesToTheHigherCluster() {
        let cases: [(Double, Tier)] = [(0, .elite), (0.05, .elite), (0.075, .elite), (0.0751, .medium), (0.10, .medium),
                                       (0.1499, .medium), (0.15, .high), (3.0 / 20.0, .high), (0.20, .high), (0.30, .high),
                                       (0.3001, .low), (0.40, .low), (1, .low)]
        for (value, tier) in cases {
            #expect(classifier.rate(year: 2024, metric: "change_failure_rate", value) == tier, "\(value)")
        }
    }

    @Test func deploymentFrequencyFromMedianDeploymentDaysPerWeek() {
        for year in [2019, 2021, 2023, 2024] {
            #expect(classifier.deploymentFrequency(year: year, median: 5, average: 5) == .elite)
            #expect(classifier.deploymentFrequency(year: year, median: 4.5, average: 5) == .high)
            #expect(classifier.deploymentFrequency(year: year, median: 1, average: 1) == .high)
            #expect(classifier.deploymentFrequency(year: year, median: 0.5, average: 0.5) == .medium)
            #expect(classifier.deploymentFrequency(year: year, median: 0, average: 7.0 / 30.0) == .medium)
            #expect(classifier.deploymentFrequency(year: year, median: 0, average: 7.0 / 31.0) == .low)
        }
    }

    @Test func tiersFromFigures() {
        // One deployment day in 30 days is medium; in 31 days low.
        let one = [DerivedDeployment(id: 1, repositoryID: 1, sha: sha(1), finishedAt: h(1))]
        let thirty = DORAMetrics.figures(one, period: DORAPeriod(start: t0, days: 30))
        #expect(classifier.tiers(year: 2023, figures: thirty)?.deploymentFrequency == .medium)
        let thirtyOne = DORAMetrics.figures(one, period: DORAPeriod(start: t0, days: 31))
        let tiers = classifier.tiers(year: 2023, figures: thirtyOne)
        #expect(tiers?.deploymentFrequency == .low && tiers?.leadTime == nil && tiers?.changeFailureRate == .elite)
        #expect(tiers?.failedDeploymentRecoveryTime == nil)
        #expect(classifier.tiers(year: 2022, figures: thirty) == nil)
        let none = DORAMetrics.figures([], period: wholePeriod)
        #expect(classifier.tiers(year: 2024, figures: none)?.deploymentFrequency == .low)
        #expect(classifier.tiers(year: 2024, figures: none)?.changeFailureRate == nil)
    }
}

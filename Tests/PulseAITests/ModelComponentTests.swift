import Foundation
import Testing
@testable import PulseAI

/// Each model component on cases worked out by hand.
@Suite("AI model components")
struct ModelComponentTests {
    @Test func reciprocalRankFusionByHand() {
        // a: 1/61; b: 1/62 + 1/61; c: 1/63 + 1/62; d: 1/63.
        let fused = RankFusion.fuse([["a", "b", "c"], ["b", "c", "d"]], k: 60)
        #expect(fused.map(\.id) == ["b", "c", "a", "d"])
        #expect(abs(fused[0].score - (1.0 / 62 + 1.0 / 61)) < 1e-12)
        #expect(abs(fused[3].score - 1.0 / 63) < 1e-12)
        // One list keeps its order; ties break by first appearance.
        #expect(RankFusion.fuse([["x", "y"], ["y", "x"]]).map(\.id) == ["x", "y"])
        #expect(RankFusion.fuse([[String]]()).isEmpty)
    }

    @Test func medianMADAndModifiedZScore() {
        #expect(RobustStatistics.median([3, 1, 2]) == 2)
        #expect(RobustStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(RobustStatistics.median([]) == nil)
        // median 3, deviations 2,1,0,1,97 → MAD 1: one outlier does not move it.
        #expect(RobustStatistics.mad([1, 2, 3, 4, 100]) == 1)
        // history 1...5: median 3, MAD 1 → z(10) = 0.6745 · 7 / 1.
        #expect(abs(RobustStatistics.modifiedZScore(10, history: [1, 2, 3, 4, 5])! - 0.6745 * 7) < 1e-9)
        // MAD 0 → 1.253314 · mean absolute deviation (0.125) = 0.1567, floored at 5% of the median (0.25) → z(6) = 4.
        #expect(abs(RobustStatistics.modifiedZScore(6, history: [5, 5, 5, 5, 6, 5, 5, 5])! - 4) < 1e-9)
        // A mean ± 2σ rule on the same history with one big outlier in it would miss the next one; MAD does not.
        let history: [Double] = [10, 11, 9, 10, 12, 10, 9, 11, 60]
        #expect(RobustStatistics.modifiedZScore(40, history: history)! > 3.5)
    }

    @Test func percentiles() {
        #expect(RobustStatistics.percentile(sorted: [1, 2, 3, 4], 0.5) == 2.5)
        #expect(abs(RobustStatistics.percentile(sorted: [1, 2, 3, 4], 0.85) - 3.55) < 1e-12)
        #expect(RobustStatistics.percentile(sorted: [7], 0.99) == 7)
        #expect(RobustStatistics.percentile(sorted: [1, 2, 3, 4], 0) == 1)
        #expect(RobustStatistics.percentile(sorted: [1, 2, 3, 4], 1) == 4)
    }

    @Test func monteCarloWithConstantThroughputIsExact() throws {
        // 5 a week, 12 left: every trial takes 3 weeks.
        let result = try #require(MonteCarloForecast.simulate(history: [5, 5, 5], remaining: 12, trials: 10_000, seed: 1))
        #expect(result.p50 == 3 && result.p85 == 3 && result.p95 == 3)
        #expect(result.probability(withinWeeks: 2) == 0)
        #expect(result.probability(withinWeeks: 3) == 1)
        #expect(MonteCarloForecast.simulate(history: [0, 0], remaining: 3, trials: 100, seed: 1) == nil)
        #expect(MonteCarloForecast.simulate(history: [], remaining: 3, trials: 100, seed: 1) == nil)
        #expect(try #require(MonteCarloForecast.simulate(history: [4], remaining: 0, trials: 10, seed: 1)).p95 == 0)
    }

    @Test func monteCarloGeometricCaseAndSeeds() throws {
        // Weeks of 0 or 10, 10 left: done in the first week that draws 10. P(≤ w) = 1 − 0.5^w:
        // 0.75 at 2, 0.875 at 3 → P85 = 3; 0.9375 at 4, 0.96875 at 5 → P95 = 5.
        let result = try #require(MonteCarloForecast.simulate(history: [0, 10], remaining: 10, trials: 100_000, seed: 42))
        #expect(result.p85 == 3)
        #expect(result.p95 == 5)
        #expect(abs(result.probability(withinWeeks: 1) - 0.5) < 0.01)
        #expect(abs(result.probability(withinWeeks: 3) - 0.875) < 0.01)
        let again = try #require(MonteCarloForecast.simulate(history: [0, 10], remaining: 10, trials: 100_000, seed: 42))
        #expect(again == result)
        let other = try #require(MonteCarloForecast.simulate(history: [0, 10], remaining: 10, trials: 100_000, seed: 43))
        #expect(other.weeks != result.weeks)
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)  // SplitMix64's published first output for seed 0
    }

    @Test func percentileDates() {
        let start = DeliveryForecaster.day.date(from: "2026-01-01")!
        #expect(DeliveryForecaster.day.string(from: MonteCarloForecast.date(afterWeeks: 3, from: start)) == "2026-01-22")
        #expect(DeliveryForecaster.day.string(from: MonteCarloForecast.date(afterWeeks: 0, from: start)) == "2026-01-01")
        #expect(DeliveryForecaster.day.string(from: MonteCarloForecast.date(afterWeeks: 9, from: start)) == "2026-03-05")
    }

    @Test func weightedMedianAndConfidence() {
        // Cumulative weights 0.2, 0.7, 1.0: half (0.5) is reached at 3.
        #expect(StoryPointEstimator.weightedMedian([(1, 0.2), (3, 0.5), (8, 0.3)]) == 3)
        #expect(StoryPointEstimator.weightedMedian([(3, 0.4), (1, 0.6)]) == 1)
        #expect(StoryPointEstimator.weightedMedian([]) == nil)
        // All agree: confidence = their mean similarity.
        #expect(abs(StoryPointEstimator.confidence(points: [3, 3, 3], similarities: [0.9, 0.8, 0.7], estimate: 3) - 0.8) < 1e-12)
        // Only 3 is within 1.5 of 3: a third of the (equal) weight agrees, at similarity 1.
        #expect(abs(StoryPointEstimator.confidence(points: [1, 3, 5], similarities: [1, 1, 1], estimate: 3) - 1.0 / 3) < 1e-12)
        // Weight is similarity²: 8 at 0.9 against 1 at 0.3 → 0.81 / 0.9 agrees, times 0.9.
        #expect(abs(StoryPointEstimator.confidence(points: [8, 1], similarities: [0.9, 0.3], estimate: 8) - 0.81 / 0.9 * 0.9) < 1e-12)
    }

    @Test func robustDetectorFlagsOnlyTheBadDirection() throws {
        let weeks = (0..<9).map { Date(timeIntervalSince1970: Double($0) * 7 * 86_400) }
        var series = WeeklySeries(metric: "pr_cycle_time", scope: "client", unit: "hours", badDirection: 1, weeks: weeks,
                                  values: [10, 11, 9, 10, 12, 10, 9, 11, 30])
        // median 10, MAD 1 → z = 0.6745 · 20 = 13.49: critical.
        let finding = try #require(RobustDetector.evaluate(series))
        #expect(abs(finding.zScore - 13.49) < 1e-9)
        #expect(finding.severity == "critical")
        #expect(finding.week == weeks[8])
        series.badDirection = -1
        #expect(RobustDetector.evaluate(series) == nil)
        series.badDirection = 1
        series.values[8] = 13  // z = 2.02
        #expect(RobustDetector.evaluate(series) == nil)
        series.values = [10, nil, nil, 10, 12, 10, 9, 11, 30]  // 6 weeks of history: too few
        #expect(RobustDetector.evaluate(series) == nil)
        #expect(RobustDetector.severity(4) == "medium" && RobustDetector.severity(-6) == "high")
    }

    @Test func idsWordsAndNotifications() throws {
        let ref = AIItemRef(type: .pr, id: 123_456_789)
        #expect(AIItemRef(vectorID: ref.vectorID) == ref)
        #expect(AIItemRef(vectorID: 0) == nil)
        #expect(AISearch.words("Hello, World! hello  Ünïcode-42") == ["hello", "world", "ünïcode", "42"])
        #expect(AISearch.words("  ,,, ").isEmpty)
        let event = try #require(SyncNotification(payload: #"{"client_id": 3, "integration_id": 1, "job_id": 9, "provider": "jira"}"#))
        #expect(event.clientID == 3 && event.jobID == 9)
        #expect(SyncNotification(payload: "garbage") == nil)
        #expect(SyncNotification(payload: #"{"client_id": "3"}"#) == nil)
        #expect(FeedbackStore.pairKey(AIItemRef(type: .workItem, id: 9), AIItemRef(type: .workItem, id: 2))
                == FeedbackStore.pairKey(AIItemRef(type: .workItem, id: 2), AIItemRef(type: .workItem, id: 9)))
        #expect(throws: (any Error).self) { try AIItemType.parseList("work_item,nope") }
        #expect(try AIItemType.parseList("pr, incident") == [.pr, .incident])
    }
}

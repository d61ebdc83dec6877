import Foundation

/// elite | high | medium | low
public enum Tier: String, Sendable, Equatable, Codable, CaseIterable {
    case elite, high, medium, low
}

/// One row of `dora_market_benchmarks`: a report year's band of a metric. Units: deployment
/// frequency in deployment days per week (lower bounds), durations in seconds and rates as
/// fractions (upper bounds; NULL = open-ended). A metric whose four bands all have
/// lower == upper is a set of point values (2024 change failure rate): nearest band wins.
public struct BenchmarkBand: Sendable, Equatable {
    public var year: Int
    public var metric: String
    public var tier: Tier
    public var lowerBound: Double?
    public var upperBound: Double?
    public var label: String
    public var source: String

    public init(year: Int, metric: String, tier: Tier, lowerBound: Double?, upperBound: Double?, label: String, source: String) {
        self.year = year
        self.metric = metric
        self.tier = tier
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.label = label
        self.source = source
    }
}

/// The tiers of one report year.
public struct TierSet: Sendable, Equatable {
    public var deploymentFrequency: Tier?
    public var leadTime: Tier?
    public var changeFailureRate: Tier?
    public var failedDeploymentRecoveryTime: Tier?
}

/// Classifies figures against the bands (SPEC "Tiers": durations `<`, rates `<=`, 1 month =
/// 30 days; deployment frequency from the median deployment days per week; point bands by
/// nearest value, ties to the higher cluster).
public struct TierClassifier: Sendable {
    public let bands: [BenchmarkBand]
    public init(bands: [BenchmarkBand]) { self.bands = bands }

    public var years: [Int] { Array(Set(bands.map(\.year))).sorted() }

    func bands(_ year: Int, _ metric: String) -> [BenchmarkBand] {
        bands.filter { $0.year == year && $0.metric == metric }.sorted {
            Tier.allCases.firstIndex(of: $0.tier)! < Tier.allCases.firstIndex(of: $1.tier)!
        }
    }

    /// nil when the year has no bands.
    public func tiers(year: Int, figures: DORAFigures) -> TierSet? {
        guard years.contains(year) else { return nil }
        let averageDaysPerWeek = Double(figures.deploymentDays) * 7 / Double(max(figures.periodDays, 1))
        return TierSet(
            deploymentFrequency: deploymentFrequency(year: year, median: figures.medianDeploymentDaysPerWeek, average: averageDaysPerWeek),
            leadTime: duration(year: year, metric: "lead_time", figures.leadTime.median),
            changeFailureRate: rate(year: year, metric: "change_failure_rate", figures.changeFailureRate),
            failedDeploymentRecoveryTime: duration(year: year, metric: "recovery_time", figures.recoveryMedian))
    }

    public func deploymentFrequency(year: Int, median: Double?, average: Double) -> Tier? {
        let list = bands(year, "deployment_frequency")
        guard !list.isEmpty, let median else { return nil }
        for band in list {
            let bound = band.lowerBound ?? 0
            switch band.tier {
            case .elite, .high: if median >= bound - 1e-9 { return band.tier }
            case .medium: if average >= bound - 1e-9 { return .medium }
            case .low: return .low
            }
        }
        return .low
    }

    public func duration(year: Int, metric: String, _ value: Double?) -> Tier? {
        guard let value else { return nil }
        let list = bands(year, metric)
        return list.first { $0.upperBound == nil || value < $0.upperBound! }?.tier
    }

    public func rate(year: Int, metric: String, _ value: Double?) -> Tier? {
        guard let value else { return nil }
        let list = bands(year, metric)
        if !list.isEmpty, list.allSatisfy({ $0.lowerBound != nil && $0.lowerBound == $0.upperBound }) {
            // Nearest point value; list is ordered elite -> low, so the first within a tie wins.
            var best: (tier: Tier, distance: Double)?
            for band in list {
                let distance = abs(value - band.upperBound!)
                if best == nil || distance < best!.distance - 1e-9 { best = (band.tier, distance) }
            }
            return best?.tier
        }
        return list.first { $0.upperBound == nil || value <= $0.upperBound! + 1e-12 }?.tier
    }
}

import Foundation

/// The published bands as migration 0015 seeds them into `dora_market_benchmarks`
/// (docs/dora-benchmarks.md). The API reads the table; this list is the same data for the
/// pure engine's tests, and a database test checks the two agree.
public enum BenchmarkCatalog {
    static let hour = 3600.0, day = 86400.0, week = 604800.0, month = 2_592_000.0, sixMonths = 15_552_000.0

    static let source2019 = "DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table 'Aspect of Software Delivery Performance'"
    static let source2021 = "DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)"
    static let source2023Elite = "DORA 2023 report infographic, research/2023/2023-DORA-Report-Infographic.v10.pdf ('Top performers')"
    static let source2023 = "[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md ('2023 DORA benchmarks'); DevLake migration 20240223_add_dora_2023_benchmark.go"
    static let source2024 = "[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)"

    static func df(_ year: Int, _ labels: [String], _ source: (Tier) -> String) -> [BenchmarkBand] {
        let lower: [Double] = [5, 1, 7.0 / 30.0, 0]
        return Tier.allCases.enumerated().map { i, tier in
            BenchmarkBand(year: year, metric: "deployment_frequency", tier: tier, lowerBound: lower[i], upperBound: nil,
                          label: labels[i], source: source(tier))
        }
    }

    static func upper(_ year: Int, _ metric: String, _ bounds: [Double?], _ labels: [String], _ source: (Tier) -> String) -> [BenchmarkBand] {
        Tier.allCases.enumerated().map { i, tier in
            BenchmarkBand(year: year, metric: metric, tier: tier, lowerBound: i == 0 ? 0 : bounds[i - 1], upperBound: bounds[i],
                          label: labels[i], source: source(tier))
        }
    }

    public static let published: [BenchmarkBand] = {
        var bands: [BenchmarkBand] = []
        let s19: (Tier) -> String = { _ in source2019 }
        bands += df(2019, ["On-demand (multiple deploys per day)", "Between once per day and once per week",
                           "Between once per week and once per month", "Between once per month and once every six months"], s19)
        bands += upper(2019, "lead_time", [day, week, month, nil], ["Less than one day", "Between one day and one week",
                                                                     "Between one week and one month", "Between one month and six months"], s19)
        bands += upper(2019, "recovery_time", [hour, day, week, nil], ["Less than one hour", "Less than one day",
                                                                        "Less than one day (read as: less than one week, the low band's lower edge)",
                                                                        "Between one week and one month"], s19)
        bands += upper(2019, "change_failure_rate", [0.15, 0.15, 0.15, nil], ["0-15%", "0-15%", "0-15%", "46-60%"], s19)
        let s21: (Tier) -> String = { _ in source2021 }
        bands += df(2021, ["On-demand (multiple deploys per day)", "Between once per week and once per month",
                           "Between once per month and once every 6 months", "Fewer than once per six months"], s21)
        bands += upper(2021, "lead_time", [hour, week, sixMonths, nil], ["Less than one hour", "Between one day and one week",
                                                                          "Between one month and six months", "More than six months"], s21)
        bands += upper(2021, "recovery_time", [hour, day, week, nil], ["Less than one hour", "Less than one day",
                                                                        "Between one day and one week", "More than six months"], s21)
        bands += upper(2021, "change_failure_rate", [0.15, 0.30, 0.30, nil], ["0-15%", "16-30%", "16-30%", "16-30% (above 30% read as low)"], s21)
        let s23: (Tier) -> String = { $0 == .elite ? source2023Elite : source2023 }
        bands += df(2023, ["On-demand", "Between once per day and once per week", "Between once per week and once per month",
                           "Fewer than once per month"], s23)
        bands += upper(2023, "lead_time", [day, week, month, nil], ["Less than one day", "Between one day and one week",
                                                                     "Between one week and one month", "More than one month"], s23)
        bands += upper(2023, "recovery_time", [hour, day, week, nil], ["Less than one hour", "Less than one day",
                                                                        "Between one day and one week", "More than one week"], s23)
        bands += upper(2023, "change_failure_rate", [0.05, 0.10, 0.15, nil], ["0-5%", "5-10%", "10-15%", "More than 15% (64%)"], s23)
        let s24: (Tier) -> String = { _ in source2024 }
        bands += df(2024, ["On demand", "Between once per day and once per week", "Between once per week and once per month",
                           "Between once per month and once every six months"], s24)
        bands += upper(2024, "lead_time", [day, week, month, nil], ["Less than one day", "Between one day and one week",
                                                                     "Between one week and one month", "Between one month and six months"], s24)
        bands += upper(2024, "recovery_time", [hour, day, week, nil], ["Less than one hour", "Less than one day",
                                                                        "Less than one day (one source: one day to one week)",
                                                                        "Between one week and one month (one source: more than one week)"], s24)
        bands += zip(Tier.allCases, [0.05, 0.20, 0.10, 0.40]).map { tier, value in
            BenchmarkBand(year: 2024, metric: "change_failure_rate", tier: tier, lowerBound: value, upperBound: value,
                          label: "\(Int(value * 100))%", source: source2024)
        }
        return bands
    }()
}

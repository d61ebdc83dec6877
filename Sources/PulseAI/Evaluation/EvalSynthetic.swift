import Foundation

/// Delivery-forecast back-tests on synthetic teams: weekly throughput is Poisson with a team
/// rate of 2-12 items, a slow drift (±1% a week) and holiday weeks (5%, at 30% capacity).
/// 26 weeks of history feed the forecast; the same process then runs on until the remaining
/// 20-120 items are done; a test is covered when the actual weeks are at most the P85.
enum ForecastBacktest {
    struct Result {
        var count: Int
        var coverage: Double
        var meanMilliseconds: Double
    }

    static func poisson(_ lambda: Double, _ rng: inout SplitMix64) -> Int {
        // Knuth's method (λ ≤ 30 here).
        let limit = exp(-lambda)
        var k = 0, p = 1.0
        repeat {
            k += 1
            p *= Double(rng.next() >> 11) / Double(1 << 53)
        } while p > limit
        return k - 1
    }

    static func uniform(_ rng: inout SplitMix64) -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

    static func run(teams: Int, seed: UInt64) -> Result {
        var rng = SplitMix64(seed: seed ^ 0xF0CA57)
        var covered = 0
        var milliseconds = 0.0
        for _ in 0..<teams {
            let rate = 2 + uniform(&rng) * 10, drift = (uniform(&rng) - 0.5) * 0.02
            var week = 0
            func next() -> Int {
                week += 1
                let holiday = uniform(&rng) < 0.05 ? 0.3 : 1
                return poisson(max(0.1, rate * (1 + drift * Double(week)) * holiday), &rng)
            }
            let history = (0..<26).map { _ in next() }
            let remaining = 20 + Int(rng.next() % 101)
            let started = ContinuousClock.now
            guard let forecast = MonteCarloForecast.simulate(history: history, remaining: remaining, trials: 10_000, seed: rng.next()) else { continue }
            milliseconds += (ContinuousClock.now - started).seconds * 1000
            var left = remaining, weeks = 0
            while left > 0 && weeks < 1000 {
                left -= next()
                weeks += 1
            }
            if weeks <= forecast.p85 { covered += 1 }
        }
        return Result(count: teams, coverage: Double(covered) / Double(teams), meanMilliseconds: milliseconds / Double(teams))
    }
}

/// Anomaly detection on synthetic weekly series (17 weeks: 16 of history and the week
/// judged). Kinds: deployments per week (Poisson, 5-30; a fall is bad), durations
/// (log-normal around 1-600 s, σ 0.2-0.35; a rise is bad) and error rates (binomial on
/// 20-200 runs at 1-10%; a rise is bad). 30% get a planted anomaly in the last week
/// (deployments × 0-0.3, durations × 2.5-5, error rate × 3-6); 15% carry a one-off spike
/// somewhere in their history that must not fool the detector.
enum AnomalyBenchmark {
    struct Result {
        var series: Int
        var planted: Int
        var precision: Double
        var recall: Double
    }

    static func normal(_ rng: inout SplitMix64) -> Double {
        let u1 = max(1e-12, ForecastBacktest.uniform(&rng)), u2 = ForecastBacktest.uniform(&rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    static func run(series count: Int, seed: UInt64) -> Result {
        var rng = SplitMix64(seed: seed ^ 0xA7033)
        var truePositive = 0, falsePositive = 0, planted = 0
        let weeks = (0..<17).map { Date(timeIntervalSince1970: Double($0) * 7 * 86_400) }
        for n in 0..<count {
            let kind = n % 3
            let anomalous = ForecastBacktest.uniform(&rng) < 0.3
            let spike = ForecastBacktest.uniform(&rng) < 0.15 ? Int(rng.next() % 16) : -1
            var values: [Double?] = []
            var direction = 1.0
            switch kind {
            case 0:
                direction = -1
                let rate = 5 + ForecastBacktest.uniform(&rng) * 25
                for w in 0..<17 {
                    var v = Double(ForecastBacktest.poisson(rate, &rng))
                    if w == spike { v *= 3 }
                    if w == 16 && anomalous { v = (v * ForecastBacktest.uniform(&rng) * 0.3).rounded(.down) }
                    values.append(v)
                }
            case 1:
                let median = 1 + ForecastBacktest.uniform(&rng) * 599, sigma = 0.2 + ForecastBacktest.uniform(&rng) * 0.15
                for w in 0..<17 {
                    var v = median * exp(sigma * normal(&rng))
                    if w == spike { v *= 4 }
                    if w == 16 && anomalous { v *= 2.5 + ForecastBacktest.uniform(&rng) * 2.5 }
                    values.append(v)
                }
            default:
                let runs = 20 + Int(rng.next() % 181), p = 0.01 + ForecastBacktest.uniform(&rng) * 0.09
                for w in 0..<17 {
                    let probability = w == 16 && anomalous ? min(0.9, p * (3 + ForecastBacktest.uniform(&rng) * 3)) : (w == spike ? min(0.9, p * 4) : p)
                    var failed = 0
                    for _ in 0..<runs where ForecastBacktest.uniform(&rng) < probability { failed += 1 }
                    values.append(Double(failed) / Double(runs))
                }
            }
            if anomalous { planted += 1 }
            let series = WeeklySeries(metric: "m\(kind)", scope: "s\(n)", unit: "", badDirection: direction, weeks: weeks, values: values)
            let flagged = RobustDetector.evaluate(series) != nil
            if flagged && anomalous { truePositive += 1 }
            if flagged && !anomalous { falsePositive += 1 }
        }
        let flagged = truePositive + falsePositive
        return Result(series: count, planted: planted, precision: flagged == 0 ? 0 : Double(truePositive) / Double(flagged),
                      recall: planted == 0 ? 0 : Double(truePositive) / Double(planted))
    }
}

import Foundation

/// A client's DORA settings (`PUT /api/v1/settings/dora`, stored as system_settings key `dora`).
public struct DORASettings: Sendable, Equatable, Codable {
    /// Anchored, case-insensitive: an environment is production when its whole name matches.
    public var productionEnvironmentPattern: String
    /// Inclusive window (hours) of the incident window rule and of hotfix/revert restores.
    public var failureWindowHours: Double
    public var hotfixLabels: [String]
    public var revertLabels: [String]
    public var benchmarkYear: Int
    /// "owner/repo" -> workflow file whose successful default-branch runs are deployments.
    public var deployWorkflows: [String: String]

    public static let `default` = DORASettings(
        productionEnvironmentPattern: "prod|production", failureWindowHours: 48, hotfixLabels: ["hotfix"],
        revertLabels: ["revert"], benchmarkYear: 2023, deployWorkflows: [:])

    public init(productionEnvironmentPattern: String, failureWindowHours: Double, hotfixLabels: [String],
                revertLabels: [String], benchmarkYear: Int, deployWorkflows: [String: String]) {
        self.productionEnvironmentPattern = productionEnvironmentPattern
        self.failureWindowHours = failureWindowHours
        self.hotfixLabels = hotfixLabels
        self.revertLabels = revertLabels
        self.benchmarkYear = benchmarkYear
        self.deployWorkflows = deployWorkflows
    }

    enum CodingKeys: String, CodingKey {
        case productionEnvironmentPattern = "production_environment_pattern"
        case failureWindowHours = "failure_window_hours"
        case hotfixLabels = "hotfix_labels"
        case revertLabels = "revert_labels"
        case benchmarkYear = "benchmark_year"
        case deployWorkflows = "deploy_workflows"
    }

    public var failureWindow: TimeInterval { failureWindowHours * 3600 }
}

/// A settings value that cannot be stored, naming the parameter.
public struct DORASettingsError: Error, Equatable, Sendable {
    public var parameter: String
    public var detail: String
}

/// The production environment matcher: the client's pattern, anchored (full match) and
/// case-insensitive. Patterns are restricted to a syntax that cannot backtrack
/// catastrophically: no backreferences, no lookaround, and no quantifier applied to a group
/// that itself contains a quantifier or an alternation of overlapping branches (the shapes
/// of `(a+)+`, `(a|a)*`, `(.*)*`). Every accepted pattern is also timed against adversarial
/// strings.
public struct EnvironmentMatcher: Sendable {
    public let pattern: String
    private let regex: NSRegularExpression

    public init(pattern: String) throws(DORASettingsError) {
        let parameter = "production_environment_pattern"
        guard !pattern.isEmpty, pattern.count <= 200 else {
            throw DORASettingsError(parameter: parameter, detail: "the pattern must have 1 to 200 characters")
        }
        if let unsafe = Self.unsafeConstruct(pattern) {
            throw DORASettingsError(parameter: parameter, detail: "the pattern is not allowed: \(unsafe)")
        }
        do {
            regex = try NSRegularExpression(pattern: "^(?:\(pattern))$", options: [.caseInsensitive])
        } catch {
            throw DORASettingsError(parameter: parameter, detail: "the pattern is not a valid regular expression")
        }
        self.pattern = pattern
        // Time budget: adversarial inputs must match fast.
        let start = Date()
        for probe in Self.adversarialProbes(pattern) {
            _ = matches(probe)
            if Date().timeIntervalSince(start) > 0.05 {
                throw DORASettingsError(parameter: parameter, detail: "the pattern is too slow to match (catastrophic backtracking)")
            }
        }
    }

    /// Whether the whole environment name matches.
    public func matches(_ environment: String) -> Bool {
        let range = NSRange(environment.startIndex..., in: environment)
        return regex.firstMatch(in: environment, options: [], range: range) != nil
    }

    static func adversarialProbes(_ pattern: String) -> [String] {
        let letters = Set(pattern.filter { $0.isLetter || $0.isNumber })
        var probes: [String] = []
        for ch in letters.isEmpty ? ["a"] : letters.map({ String($0) }) {
            probes.append(String(repeating: ch, count: 40) + "!")
        }
        probes.append(String(repeating: "production", count: 10) + "!")
        return probes
    }

    /// A description of the first construct that could backtrack catastrophically, or nil.
    static func unsafeConstruct(_ pattern: String) -> String? {
        let chars = Array(pattern)
        // Per open group: (contains a quantifier or alternation inside)
        var stack: [Bool] = []
        var lastGroupRisky = false
        var lastWasGroupClose = false
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                if i + 1 < chars.count, chars[i + 1].isNumber { return "backreferences" }
                if i + 1 < chars.count, chars[i + 1] == "k" { return "backreferences" }
                i += 2
                lastWasGroupClose = false
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                i += 1
                continue
            }
            switch c {
            case "[":
                inClass = true
                lastWasGroupClose = false
            case "(":
                if i + 2 < chars.count, chars[i + 1] == "?", chars[i + 2] == "=" || chars[i + 2] == "!" { return "lookaround" }
                if i + 3 < chars.count, chars[i + 1] == "?", chars[i + 2] == "<", chars[i + 3] == "=" || chars[i + 3] == "!" {
                    return "lookaround"
                }
                stack.append(false)
                lastWasGroupClose = false
            case ")":
                lastGroupRisky = stack.popLast() ?? false
                if lastGroupRisky, !stack.isEmpty { stack[stack.count - 1] = true }
                lastWasGroupClose = true
                i += 1
                continue
            case "*", "+", "?", "{":
                if c == "?", i > 0, chars[i - 1] == "(" { break }
                if lastWasGroupClose, lastGroupRisky { return "a quantified group that contains a quantifier or alternation" }
                if !stack.isEmpty, c != "?" || !(i > 0 && "*+?}".contains(chars[i - 1])) { stack[stack.count - 1] = true }
                if c == "{" { while i < chars.count, chars[i] != "}" { i += 1 } }
            case "|":
                if !stack.isEmpty { stack[stack.count - 1] = true }
            default:
                break
            }
            lastWasGroupClose = false
            i += 1
        }
        return nil
    }
}

import Foundation

/// Incident attribution and failed / restoring deployments of one repository.
struct FailureContext {
    let repository: RepositoryFacts
    let graph: CommitGraph
    let commitShippedBy: [String: Int]
    let prShippedBy: [Int64: Int]
    let settings: DORASettings

    /// PR numbers an incident's text names as `owner/repo#N` or a PR URL of this repository.
    static func namedPRNumbers(_ text: String, repository fullName: String) -> [Int] {
        let escaped = NSRegularExpression.escapedPattern(for: fullName)
        let pattern = "(?:\(escaped)#|github\\.com/\(escaped)/pull/)([0-9]+)"
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).flatMap { Int(text[$0]) }
        }
    }

    /// Hex words of 7 to 40 characters (candidate commit shas).
    static func hexWords(_ text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: "\\b[0-9a-fA-F]{7,40}\\b") else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { text[$0].lowercased() } }
    }

    /// PR numbers a revert PR reverts: "Reverts owner/repo#N" / "Reverts #N" (GitHub's body).
    static func revertedPRNumbers(_ pr: PullRequestFact, repository fullName: String) -> [Int] {
        let text = pr.title + "\n" + (pr.body ?? "")
        let escaped = NSRegularExpression.escapedPattern(for: fullName)
        guard let regex = try? NSRegularExpression(pattern: "revert(?:s|ing)?\\s+(?:\(escaped))?#([0-9]+)", options: [.caseInsensitive])
        else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range(at: 1), in: text).flatMap { Int(text[$0]) } }
    }

    func attribute(incidents: [IncidentFact], deployments: [DerivedDeployment]) -> [IncidentAttribution] {
        let prByNumber = Dictionary(repository.pullRequests.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [IncidentAttribution] = []
        for incident in incidents {
            let own = incident.repositoryID == repository.id
            var attribution = IncidentAttribution(incidentID: incident.id)
            // 1. It names a deployment (id, external id or URL in the configured field).
            if let reference = incident.deploymentReference?.trimmingCharacters(in: .whitespaces), !reference.isEmpty,
                let deployment = deployments.first(where: { Self.names(reference, $0, repository.deploymentAttempts) }) {
                attribution.deploymentID = deployment.id
                attribution.rule = .namesDeployment
                result.append(attribution)
                continue
            }
            let text = incident.title + "\n" + (incident.description ?? "")
            // 2. It names a PR or a commit this repository shipped.
            let prs = Self.namedPRNumbers(text, repository: repository.fullName)
            if let pr = prs.compactMap({ prByNumber[$0] }).first(where: { prShippedBy[$0.id] != nil }) {
                attribution.deploymentID = deployments[prShippedBy[pr.id]!].id
                attribution.rule = .namesPR
                attribution.prID = pr.id
                result.append(attribution)
                continue
            }
            if let (sha, index) = Self.hexWords(text).lazy.compactMap({ word in self.shippedCommit(prefix: word) }).first {
                attribution.deploymentID = deployments[index].id
                attribution.rule = .namesCommit
                attribution.commitSha = sha
                result.append(attribution)
                continue
            }
            guard own else { continue }
            // 3. The window rule: the latest deployment finished before it started, within the window.
            guard let latest = deployments.last(where: { $0.finishedAt < incident.startedAt }) else {
                attribution.unattributedReason = "no production deployment of its repository finished before it started"
                result.append(attribution)
                continue
            }
            let gap = incident.startedAt.timeIntervalSince(latest.finishedAt)
            if gap <= settings.failureWindow {
                attribution.deploymentID = latest.id
                attribution.rule = .timeWindow
            } else {
                attribution.unattributedReason = String(
                    format: "the latest deployment before it finished %.1f h earlier, outside the %g h window",
                    gap / 3600, settings.failureWindowHours)
            }
            result.append(attribution)
        }
        return result
    }

    static func names(_ reference: String, _ deployment: DerivedDeployment, _ attempts: [DeploymentAttemptFact]) -> Bool {
        if reference == String(deployment.id) { return true }
        guard let attempt = attempts.first(where: { $0.id == deployment.id }) else { return false }
        if let external = attempt.externalID, reference == external || reference.hasSuffix("/deployments/\(external)") { return true }
        if let url = attempt.url, reference == url { return true }
        return false
    }

    func shippedCommit(prefix: String) -> (String, Int)? {
        if prefix.count == 40 { return commitShippedBy[prefix].map { (prefix, $0) } }
        for (sha, index) in commitShippedBy where sha.hasPrefix(prefix) { return (sha, index) }
        return nil
    }

    func hasLabel(_ pr: PullRequestFact, _ labels: [String]) -> Bool {
        let wanted = Set(labels.map { $0.lowercased() })
        return pr.labels.contains { wanted.contains($0.lowercased()) }
    }

    func markFailures(_ deployments: inout [DerivedDeployment], attributions: [IncidentAttribution], incidents: [IncidentFact]) {
        let indexByID = Dictionary(deployments.indices.map { (deployments[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
        var reasons: [Int: [FailureReason]] = [:]
        var restorers: [Int: [(index: Int, kind: RestoreKind)]] = [:]
        // Incidents.
        for attribution in attributions {
            guard let id = attribution.deploymentID, let index = indexByID[id], let rule = attribution.rule else { continue }
            let reason: FailureReason
            switch rule {
            case .namesDeployment: reason = .incidentNamesDeployment
            case .namesPR: reason = .incidentNamesPR
            case .namesCommit: reason = .incidentNamesCommit
            case .timeWindow: reason = .incidentWindow
            }
            reasons[index, default: []].append(reason)
            deployments[index].incidentIDs.append(attribution.incidentID)
        }
        // Rollbacks: the next deployment ships a strict ancestor (same sha is a redeploy).
        for index in deployments.indices.dropLast() {
            let next = deployments[index + 1]
            if next.sha != deployments[index].sha, graph.contains(next.sha) || graph.contains(deployments[index].sha),
                graph.isAncestor(next.sha, ofOrEqual: deployments[index].sha) {
                reasons[index, default: []].append(.rollback)
                restorers[index, default: []].append((index + 1, .rollback))
            }
        }
        // Hotfix and revert PRs (labels decide).
        let prByNumber = Dictionary(repository.pullRequests.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        for pr in repository.pullRequests {
            guard let index = prShippedBy[pr.id] else { continue }
            if hasLabel(pr, settings.hotfixLabels), index > 0,
                deployments[index].finishedAt.timeIntervalSince(deployments[index - 1].finishedAt) <= settings.failureWindow {
                reasons[index - 1, default: []].append(.hotfix)
                restorers[index - 1, default: []].append((index, .hotfix))
            }
            if hasLabel(pr, settings.revertLabels) {
                for number in Self.revertedPRNumbers(pr, repository: repository.fullName) {
                    guard let reverted = prByNumber[number], let failed = prShippedBy[reverted.id], failed < index else { continue }
                    reasons[failed, default: []].append(.revert)
                    if deployments[index].finishedAt.timeIntervalSince(deployments[failed].finishedAt) <= settings.failureWindow {
                        restorers[failed, default: []].append((index, .revert))
                    }
                }
            }
        }
        let incidentByID = Dictionary(incidents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let precedence = FailureReason.allCases
        for (index, list) in reasons {
            deployments[index].failureReason = list.min { precedence.firstIndex(of: $0)! < precedence.firstIndex(of: $1)! }
            deployments[index].incidentIDs = Array(Set(deployments[index].incidentIDs)).sorted()
            let finish = deployments[index].finishedAt
            if let restorer = restorers[index]?.min(by: { ($0.index) < ($1.index) }) {
                deployments[index].restoredByID = deployments[restorer.index].id
                deployments[index].recoverySeconds = seconds(from: finish, to: deployments[restorer.index].finishedAt)
                deployments[restorer.index].restores.append(deployments[index].id)
                if deployments[restorer.index].restoreKind == nil { deployments[restorer.index].restoreKind = restorer.kind }
            } else {
                let own = deployments[index].incidentIDs.compactMap { incidentByID[$0] }
                if !own.isEmpty, own.allSatisfy({ $0.resolvedAt != nil }), let last = own.compactMap(\.resolvedAt).max() {
                    deployments[index].recoverySeconds = seconds(from: finish, to: last)
                }
            }
        }
    }
}

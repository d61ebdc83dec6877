import Foundation

/// The integration's `settings` for GitHub (issue 12 contract):
/// `{"organization": "acme-pay", "repositories": ["owner/repo"], "allow_insecure_http": false}`,
/// plus optional tuning: `overlap_minutes` (incremental re-read, default 60),
/// `concurrency` (per-PR and per-commit requests in flight within a page, default 4).
struct GitHubSettings: Decodable, Sendable {
    var organization: String
    var repositories: [String]?
    var allowInsecureHttp: Bool?
    var overlapMinutes: Int?
    var concurrency: Int?

    static func parse(_ json: String) throws(SyncError) -> GitHubSettings {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let settings: GitHubSettings
        do {
            settings = try decoder.decode(GitHubSettings.self, from: Data(json.utf8))
        } catch {
            throw SyncError(
                "the GitHub integration's settings need {\"organization\": \"<org>\"} (optional \"repositories\": [\"owner/repo\"]): \(GitHubPayload.DecodingFailure(error))",
                retryable: false)
        }
        guard !settings.organization.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SyncError("the GitHub integration's settings name no organization", retryable: false)
        }
        if let bad = settings.repositories?.first(where: { $0.split(separator: "/").count != 2 }) {
            throw SyncError("settings.repositories must list \"owner/repo\" names; \(bad) is not one", retryable: false)
        }
        return settings
    }

    var overlap: TimeInterval { TimeInterval(max(0, overlapMinutes ?? 60) * 60) }
    var requestConcurrency: Int { min(16, max(1, concurrency ?? 4)) }
}

/// `{"token": "..."}`.
struct GitHubCredentials: Decodable, Sendable {
    var token: String

    static func parse(_ json: String) throws(SyncError) -> GitHubCredentials {
        guard let credentials = try? JSONDecoder().decode(GitHubCredentials.self, from: Data(json.utf8)),
            !credentials.token.trimmingCharacters(in: .whitespaces).isEmpty
        else { throw SyncError("the GitHub integration has no token in its credentials ({\"token\": \"...\"})", retryable: false) }
        return credentials
    }
}

/// Where a GitHub sync is: stored with every page, so a killed run resumes at the page
/// after the last committed one. Phases run per repository in this order.
struct GitHubCheckpoint: Codable, Sendable, Equatable {
    enum Phase: String, Codable, Sendable, CaseIterable {
        case repositories, pulls, commits, deployments, openDeployments = "open_deployments", releases
        case workflowRuns = "workflow_runs", done

        /// The next phase within one repository (`nil` after the last one).
        var nextInRepository: Phase? {
            switch self {
            case .pulls: return .commits
            case .commits: return .deployments
            case .deployments: return .openDeployments
            case .openDeployments: return .releases
            case .releases: return .workflowRuns
            case .workflowRuns, .repositories, .done: return nil
            }
        }
    }

    struct Repository: Codable, Sendable, Equatable {
        var fullName: String
        var defaultBranch: String
    }

    var version = 1
    /// When the run began (local clock; for the record, watermarks come from GitHub's times).
    var runStartedAt: Date
    var mode: String
    var phase: Phase = .repositories
    var repositories: [Repository] = []
    var repositoryIndex = 0
    /// The next page of the current phase, exactly as GitHub's `Link` gave it (nil: the first page).
    var next: String?
    /// The newest source time the current phase has read so far (`updated_at` of PRs,
    /// commit dates, `created_at` of deployments, releases and runs): the watermark it
    /// stores when it ends. GitHub's clock, not ours: anything changed after the first page
    /// was read is newer than everything on it.
    var seen: Date?

    var repository: Repository? { repositories.indices.contains(repositoryIndex) ? repositories[repositoryIndex] : nil }

    /// The checkpoint after the current phase of the current repository ended.
    func advanced() -> GitHubCheckpoint {
        var copy = self
        copy.next = nil
        copy.seen = nil
        if phase == .repositories {
            copy.phase = repositories.isEmpty ? .done : .pulls
            copy.repositoryIndex = 0
        } else if let following = phase.nextInRepository {
            copy.phase = following
        } else if repositoryIndex + 1 < repositories.count {
            copy.repositoryIndex += 1
            copy.phase = .pulls
        } else {
            copy.phase = .done
        }
        return copy
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func parse(_ json: String) -> GitHubCheckpoint? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(GitHubCheckpoint.self, from: Data(json.utf8))
    }
}

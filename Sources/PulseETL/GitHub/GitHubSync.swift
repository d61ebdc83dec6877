import Foundation
import Logging
import PulsePostgres

/// One run of the GitHub sync: each phase reads its pages from the checkpoint's next URL
/// (or the first page) and commits every page with the checkpoint of the page after it.
struct GitHubSync: Sendable {
    let api: GitHubAPIClient
    let context: SyncContext
    let settings: GitHubSettings
    let logger: Logger
    let pageSize: Int
    let store: GitHubStore
    let incremental: Bool

    typealias Checkpoint = GitHubCheckpoint

    /// The repository a phase works on.
    struct Repo: Sendable {
        var id: Int
        var fullName: String
        var defaultBranch: String
    }

    /// Runs the checkpoint's phase to its end and returns the checkpoint of the next one.
    func runPhase(_ checkpoint: Checkpoint) async throws -> Checkpoint {
        switch checkpoint.phase {
        case .repositories: return try await syncRepositories(checkpoint)
        case .done: return checkpoint
        default: break
        }
        guard let listed = checkpoint.repository else { return checkpoint.advanced() }
        guard let id = try await store.repositoryID(fullName: listed.fullName, database: context.database) else {
            skip("repository \(listed.fullName) is no longer stored; skipped")
            var copy = checkpoint
            copy.phase = .workflowRuns
            return copy.advanced()
        }
        let repository = Repo(id: id, fullName: listed.fullName, defaultBranch: listed.defaultBranch)
        if checkpoint.next == nil {
            context.progress(SyncProgressEvent(.phase("\(Self.title(checkpoint.phase)) of \(repository.fullName)", totalItems: nil)))
        }
        switch checkpoint.phase {
        case .pulls: return try await syncPulls(checkpoint, repository)
        case .commits: return try await syncCommits(checkpoint, repository)
        case .deployments: return try await syncDeployments(checkpoint, repository)
        case .openDeployments: return try await repollOpenDeployments(checkpoint, repository)
        case .releases: return try await syncReleases(checkpoint, repository)
        case .workflowRuns: return try await syncWorkflowRuns(checkpoint, repository)
        case .repositories, .done: return checkpoint
        }
    }

    static func title(_ phase: Checkpoint.Phase) -> String {
        switch phase {
        case .repositories: return "repositories"
        case .pulls: return "pull requests"
        case .commits: return "default-branch commits"
        case .deployments: return "deployments"
        case .openDeployments: return "unfinished deployments"
        case .releases: return "releases"
        case .workflowRuns: return "workflow runs"
        case .done: return "done"
        }
    }

    func skip(_ reason: String) {
        logger.warning("github item skipped", metadata: ["reason": "\(reason)"])
        context.progress(SyncProgressEvent(.skippedItem(reason: reason)))
    }

    /// Where an incremental read of `endpoint` may stop: the watermark minus the overlap
    /// (nil: read everything).
    func cutoff(_ repository: Repo, _ endpoint: Checkpoint.Phase) async throws -> Date? {
        guard incremental,
            let mark = try await store.watermark(repositoryID: repository.id, endpoint: endpoint.rawValue, database: context.database)
        else { return nil }
        return mark.addingTimeInterval(-settings.overlap)
    }

    /// The next checkpoint after a page: the same phase at `next` (remembering the newest
    /// source time read), or the following phase.
    func after(_ checkpoint: Checkpoint, next: String?, newest: Date?) -> Checkpoint {
        guard let next else { return checkpoint.advanced() }
        var copy = checkpoint
        copy.next = next
        copy.seen = Self.latest(checkpoint.seen, newest)
        return copy
    }

    static func latest(_ a: Date?, _ b: Date?) -> Date? {
        switch (a, b) {
        case (let a?, let b?): return max(a, b)
        default: return a ?? b
        }
    }

    /// Stores the phase's watermark (the newest source time it read) when the phase ended.
    func finishPhase(_ checkpoint: Checkpoint, newest: Date?, repository: Repo, in tx: PostgresTransaction) async throws {
        guard let mark = Self.latest(checkpoint.seen, newest) else { return }
        try await store.setWatermark(mark, repositoryID: repository.id, endpoint: checkpoint.phase.rawValue, in: tx)
    }

    /// Every page of a sub-list (reviews, statuses...) of one item, decoded element by element.
    func allPages<T: Decodable>(_ first: String, _ type: T.Type, conditional: Bool = false, what: String) async throws -> [T] {
        var url: String? = first
        var items: [T] = []
        while let current = url {
            let page = try await api.get(current, conditional: conditional, validate: GitHubPayload.validateArray)
            for element in try GitHubPayload.list(T.self, from: page.body) {
                switch element {
                case .success(let value): items.append(value)
                case .failure(let failure):
                    skip("\(what): \(failure)")
                    if conditional { await api.forget(current) }
                }
            }
            url = page.next
        }
        return items
    }

    /// A newest-first list page's usable elements down to the cutoff, without repeats
    /// (an element that moved to a later page while paging is seen twice). A page with
    /// skipped elements loses its ETag, so the next run reads it again.
    func listed<T: Decodable>(_ page: GitHubResponse, url: String, _ type: T.Type, what: String, cutoff: Date?,
                              time: (T) -> Date, key: (T) -> Int64) async throws -> (items: [T], reachedCutoff: Bool, newest: Date?) {
        var items: [T] = []
        var keys = Set<Int64>()
        var reachedCutoff = false
        var newest: Date?
        var failed = false
        for element in try GitHubPayload.list(T.self, from: page.body) {
            switch element {
            case .success(let item):
                newest = Self.latest(newest, time(item))
                if let cutoff, time(item) < cutoff {
                    reachedCutoff = true
                } else if keys.insert(key(item)).inserted {
                    items.append(item)
                }
            case .failure(let failure):
                failed = true
                skip("\(what): \(failure)")
            }
        }
        if failed { await api.forget(url) }
        return (items, reachedCutoff, newest)
    }

    func path(_ repository: Repo, _ rest: String) -> String {
        api.url("/repos/\(repository.fullName)\(rest)")
    }

    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    static func isoSeconds(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}

/// Runs `transform` over `items` with at most `limit` in flight; results in input order.
func boundedMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ transform: @escaping @Sendable (T) async throws -> R)
    async throws -> [R]
{
    guard limit > 1, items.count > 1 else {
        var results: [R] = []
        for item in items { results.append(try await transform(item)) }
        return results
    }
    return try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var nextIndex = 0
        while nextIndex < min(limit, items.count) {
            let index = nextIndex
            group.addTask { (index, try await transform(items[index])) }
            nextIndex += 1
        }
        while let (index, result) = try await group.next() {
            results[index] = result
            if nextIndex < items.count {
                let index = nextIndex
                group.addTask { (index, try await transform(items[index])) }
                nextIndex += 1
            }
        }
        return results.map { $0! }
    }
}

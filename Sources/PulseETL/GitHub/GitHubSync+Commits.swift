import Foundation
import PulsePostgres

extension GitHubSync {
    /// The default branch's commits with their parents (the graph DORA walks), and GitHub's
    /// commit→PR association for those that are neither a merged PR's merge commit nor one
    /// of its own commits (rebase-merged copies, direct pushes). Incremental: `since` the
    /// watermark minus the overlap.
    func syncCommits(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        var first = path(repository, "/commits?sha=\(Self.query(repository.defaultBranch))&per_page=\(pageSize)")
        if let cutoff = try await self.cutoff(repository, .commits) {
            first += "&since=\(Self.query(Self.isoSeconds(cutoff)))"
        }
        var current = checkpoint
        var url: String? = checkpoint.next ?? first
        let store = self.store
        while let pageURL = url {
            let page: GitHubResponse
            do {
                page = try await api.get(pageURL, validate: GitHubPayload.validateArray)
            } catch {
                // 409 "Git Repository is empty": nothing to store.
                guard case GitHubAPIError.status(409, _, _) = error else { throw error }
                page = GitHubResponse(status: 409, headers: .init(), body: Array("[]".utf8), next: nil, fromCache: false)
            }
            var commits: [GitHubRecord.Commit] = []
            var seen = Set<String>()
            for element in try GitHubPayload.list(GitHubPayload.Commit.self, from: page.body) {
                switch element.flatMap(GitHubRecord.Commit.from) {
                case .success(let commit):
                    if seen.insert(commit.sha).inserted { commits.append(commit) }
                case .failure(let failure): skip("commit of \(repository.fullName): \(failure)")
                }
            }
            let candidates = try await store.shasNeedingAssociation(
                commits.map(\.sha), repositoryID: repository.id, database: context.database)
            let associations = try await boundedMap(candidates, limit: settings.requestConcurrency) { sha in
                try await self.associatedPulls(sha, of: repository)
            }.flatMap { $0 }
            let newest = commits.compactMap(\.committedAt).max()
            let next = after(current, next: page.next, newest: newest)
            let finished = page.next == nil
            let phase = current
            let rows = commits
            try await context.commitPage(checkpoint: next.json(), items: rows.count) { tx in
                try await store.writeCommits(rows, associations: associations, repositoryID: repository.id, in: tx)
                if finished {
                    try await store.finishCommits(repositoryID: repository.id, in: tx)
                    try await self.finishPhase(phase, newest: newest, repository: repository, in: tx)
                }
            }
            current = next
            url = page.next
        }
        return current
    }

    /// `GET /commits/{sha}/pulls`: the PRs GitHub associates with a default-branch commit.
    func associatedPulls(_ sha: String, of repository: Repo) async throws -> [GitHubRecord.Association] {
        do {
            let pulls = try await allPages(path(repository, "/commits/\(sha)/pulls?per_page=\(pageSize)"),
                                           GitHubPayload.AssociatedPull.self, what: "PR of commit \(sha)")
            var numbers = Set<Int>()
            return pulls.compactMap { numbers.insert($0.number).inserted ? .init(sha: sha, number: $0.number) : nil }
        } catch GitHubAPIError.notFound {
            return []
        } catch GitHubAPIError.badPayload(let url, let reason) {
            skip("PRs of commit \(sha) of \(repository.fullName): unusable body for \(url): \(reason)")
            return []
        }
    }
}

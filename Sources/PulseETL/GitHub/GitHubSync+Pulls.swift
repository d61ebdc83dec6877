import Foundation
import PulsePostgres

extension GitHubSync {
    /// The organisation's repositories (`/orgs/{org}/repos`, by name) or the listed ones
    /// (`/repos/{owner}/{repo}` each); the default branch comes from the API.
    func syncRepositories(_ checkpoint: Checkpoint) async throws -> Checkpoint {
        if checkpoint.next == nil {
            context.progress(SyncProgressEvent(.phase("repositories of \(settings.organization)", totalItems: settings.repositories?.count)))
        }
        let store = self.store
        if let names = settings.repositories {
            var records: [GitHubRecord.Repository] = []
            for name in names {
                do {
                    let page = try await api.get(api.url("/repos/\(name)"), conditional: true, validate: GitHubPayload.validateObject)
                    switch Self.repository(page.body) {
                    case .success(let record): records.append(record)
                    case .failure(let failure):
                        skip("repository \(name): \(failure)")
                        await api.forget(api.url("/repos/\(name)"))
                    }
                } catch GitHubAPIError.notFound {
                    skip("repository \(name) does not exist or the token cannot see it")
                }
            }
            var next = checkpoint
            next.repositories = records.map { .init(fullName: $0.fullName, defaultBranch: $0.defaultBranch) }
            next = next.advanced()
            let rows = records
            try await context.commitPage(checkpoint: next.json(), items: rows.count) { tx in
                for record in rows { _ = try await store.upsert(record, in: tx) }
            }
            return next
        }
        var current = checkpoint
        var url: String? = checkpoint.next
            ?? api.url("/orgs/\(Self.query(settings.organization))/repos?type=all&sort=full_name&direction=asc&per_page=\(pageSize)")
        while let pageURL = url {
            let page: GitHubResponse
            do {
                page = try await api.get(pageURL, conditional: true, validate: GitHubPayload.validateArray)
            } catch GitHubAPIError.notFound {
                throw SyncError(
                    "GitHub has no organisation \(settings.organization) visible to this token (404 for /orgs/\(settings.organization)/repos)",
                    retryable: false)
            }
            var records: [GitHubRecord.Repository] = []
            var failures: [String] = []
            for element in try GitHubPayload.list(GitHubPayload.Repository.self, from: page.body) {
                switch element {
                case .success(let repo):
                    switch Self.record(repo) {
                    case .success(let record): records.append(record)
                    case .failure(let failure): failures.append("repository: \(failure)")
                    }
                case .failure(let failure): failures.append("repository: \(failure)")
                }
            }
            failures.forEach(skip)
            if !failures.isEmpty { await api.forget(pageURL) }
            var next = current
            for record in records where !next.repositories.contains(where: { $0.fullName == record.fullName }) {
                next.repositories.append(.init(fullName: record.fullName, defaultBranch: record.defaultBranch))
            }
            next = after(next, next: page.next, newest: nil)
            let rows = records
            try await context.commitPage(checkpoint: next.json(), items: rows.count) { tx in
                for record in rows { _ = try await store.upsert(record, in: tx) }
            }
            current = next
            url = page.next
        }
        return current
    }

    static func repository(_ body: [UInt8]) -> Result<GitHubRecord.Repository, GitHubPayload.DecodingFailure> {
        do {
            return record(try GitHubPayload.decoder().decode(GitHubPayload.Repository.self, from: Data(body)))
        } catch {
            return .failure(.init(error))
        }
    }

    static func record(_ repo: GitHubPayload.Repository) -> Result<GitHubRecord.Repository, GitHubPayload.DecodingFailure> {
        let parts = repo.fullName.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-._".contains($0) } })
        else { return .failure(.init(message: "unusable full_name \(repo.fullName.prefix(80))")) }
        return .success(.init(
            externalID: String(repo.id), fullName: repo.fullName, defaultBranch: repo.defaultBranch ?? "main",
            url: repo.htmlUrl, archived: repo.archived ?? false, updatedAt: repo.updatedAt, pushedAt: repo.pushedAt))
    }

    /// Pull requests, most recently updated first, each with its full form, reviews, review
    /// comments and commits. Incremental: stops at the first PR updated before the cutoff.
    func syncPulls(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        let cutoff = try await self.cutoff(repository, .pulls)
        var current = checkpoint
        var url: String? = checkpoint.next
            ?? path(repository, "/pulls?state=all&sort=updated&direction=desc&per_page=\(pageSize)")
        let store = self.store
        while let pageURL = url {
            let page = try await api.get(pageURL, validate: GitHubPayload.validateArray)
            let (listed, reachedCutoff, newest) = try await listed(
                page, url: pageURL, GitHubPayload.PullListItem.self, what: "pull request of \(repository.fullName)", cutoff: cutoff,
                time: \.updatedAt, key: { Int64($0.number) })
            let pulls = try await boundedMap(listed, limit: settings.requestConcurrency) { item in
                try await self.pull(item.number, of: repository)
            }.compactMap { $0 }
            let nextURL = reachedCutoff ? nil : page.next
            let next = after(current, next: nextURL, newest: newest)
            let finished = nextURL == nil
            let phase = current
            try await context.commitPage(checkpoint: next.json(), items: pulls.count) { tx in
                try await store.writePulls(pulls, repositoryID: repository.id, in: tx)
                if finished { try await self.finishPhase(phase, newest: newest, repository: repository, in: tx) }
            }
            current = next
            url = nextURL
        }
        return current
    }

    /// One PR with its sub-lists; nil (reported) when GitHub's answer for it is unusable.
    func pull(_ number: Int, of repository: Repo) async throws -> GitHubRecord.Pull? {
        let base = path(repository, "/pulls/\(number)")
        let what = "PR #\(number) of \(repository.fullName)"
        do {
            let page = try await api.get(base, validate: GitHubPayload.validateObject)
            let payload: GitHubPayload.Pull
            do {
                payload = try GitHubPayload.decoder().decode(GitHubPayload.Pull.self, from: Data(page.body))
            } catch {
                skip("\(what): \(GitHubPayload.DecodingFailure(error))")
                return nil
            }
            guard payload.number == number else {
                skip("\(what): GitHub answered with PR #\(payload.number)")
                return nil
            }
            var record: GitHubRecord.Pull
            switch GitHubRecord.Pull.from(payload) {
            case .success(let value): record = value
            case .failure(let failure):
                skip("\(what): \(failure)")
                return nil
            }
            let reviews = try await allPages(base + "/reviews?per_page=\(pageSize)", GitHubPayload.Review.self, what: "review of \(what)")
            record.reviews = reviews.compactMap { review in
                guard let submitted = review.submittedAt else { return nil }  // pending reviews have no time yet
                return .init(externalID: String(review.id), reviewer: review.user?.login, state: review.state,
                             body: review.body, submittedAt: submitted)
            }
            let comments = try await allPages(base + "/comments?per_page=\(pageSize)", GitHubPayload.ReviewComment.self,
                                              what: "review comment of \(what)")
            record.comments = comments.map {
                .init(externalID: String($0.id), author: $0.user?.login, body: $0.body, path: $0.path, commentedAt: $0.createdAt)
            }
            let commits = try await allPages(base + "/commits?per_page=\(pageSize)", GitHubPayload.Commit.self, what: "commit of \(what)")
            var seen = Set<String>()
            for commit in commits {
                switch GitHubRecord.Commit.from(commit) {
                case .success(let value):
                    if seen.insert(value.sha).inserted {
                        record.commits.append(.init(sha: value.sha, authorName: value.authorName, authoredAt: value.authoredAt,
                                                    message: value.message))
                    }
                case .failure(let failure): skip("\(what): \(failure)")
                }
            }
            return record
        } catch GitHubAPIError.notFound {
            skip("\(what) disappeared while syncing (404)")
            return nil
        } catch GitHubAPIError.badPayload(let url, let reason) {
            skip("\(what): GitHub kept sending an unusable body for \(url): \(reason)")
            return nil
        }
    }
}

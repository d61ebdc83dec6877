import Foundation
import PulsePostgres

extension GitHubSync {
    /// Deployments (newest first) with every status; the row's status is the latest
    /// status's state and `finished_at` its time when it is `success`. Incremental: stops
    /// at the first deployment created before the cutoff (unfinished older ones are
    /// re-polled by the next phase).
    func syncDeployments(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        let cutoff = try await self.cutoff(repository, .deployments)
        var current = checkpoint
        var url: String? = checkpoint.next ?? path(repository, "/deployments?per_page=\(pageSize)")
        let store = self.store
        while let pageURL = url {
            let page = try await api.get(pageURL, conditional: true, validate: GitHubPayload.validateArray)
            let (listed, reachedCutoff, newest) = try await listed(
                page, url: pageURL, GitHubPayload.Deployment.self, what: "deployment of \(repository.fullName)", cutoff: cutoff,
                time: \.createdAt, key: \.id)
            let deployments = try await boundedMap(listed, limit: settings.requestConcurrency) { deployment in
                try await self.deployment(deployment, of: repository)
            }.compactMap { $0 }
            let nextURL = reachedCutoff ? nil : page.next
            let next = after(current, next: nextURL, newest: newest)
            let phase = current
            try await context.commitPage(checkpoint: next.json(), items: deployments.count) { tx in
                try await store.writeDeployments(deployments, repositoryID: repository.id, in: tx)
                if nextURL == nil {
                    try await self.finishPhase(phase, newest: newest, repository: repository, in: tx)
                }
            }
            current = next
            url = nextURL
        }
        return current
    }

    /// A deployment with all its statuses; nil (reported) when unusable.
    func deployment(_ payload: GitHubPayload.Deployment, of repository: Repo) async throws -> GitHubRecord.Deployment? {
        let what = "deployment \(payload.id) of \(repository.fullName)"
        let sha = payload.sha.lowercased()
        guard GitHubPayload.isSHA(sha) else {
            skip("\(what): invalid sha \(payload.sha.prefix(45))")
            return nil
        }
        do {
            let statuses = try await allPages(
                path(repository, "/deployments/\(payload.id)/statuses?per_page=\(pageSize)"), GitHubPayload.DeploymentStatus.self,
                conditional: true, what: "status of \(what)")
            var seen = Set<Int64>()
            return GitHubRecord.Deployment(
                externalID: String(payload.id), environment: payload.environment ?? "production", sha: sha, ref: payload.ref,
                url: payload.url, createdAt: payload.createdAt,
                statuses: statuses.compactMap { status in
                    guard seen.insert(status.id).inserted else { return nil }
                    return .init(externalID: String(status.id), state: status.state, description: status.description,
                                 createdAt: status.createdAt)
                })
        } catch GitHubAPIError.notFound {
            skip("\(what) disappeared while syncing (404)")
            return nil
        } catch GitHubAPIError.badPayload(let url, let reason) {
            skip("\(what): GitHub kept sending an unusable body for \(url): \(reason)")
            return nil
        }
    }

    /// Incremental only: deployments stored with a non-terminal latest status (pending,
    /// queued, in_progress) get their statuses read again, 50 per page commit.
    func repollOpenDeployments(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        guard incremental else { return checkpoint.advanced() }
        let open = try await store.openDeployments(repositoryID: repository.id, database: context.database)
        let store = self.store
        var remaining = open[...]
        repeat {
            let chunk = Array(remaining.prefix(50))
            remaining = remaining.dropFirst(chunk.count)
            let deployments = try await boundedMap(chunk, limit: settings.requestConcurrency) { id in
                try await self.reloadDeployment(id, of: repository)
            }.compactMap { $0 }
            let next = remaining.isEmpty ? checkpoint.advanced() : checkpoint
            try await context.commitPage(checkpoint: next.json(), items: deployments.count) { tx in
                try await store.writeDeployments(deployments, repositoryID: repository.id, in: tx)
            }
        } while !remaining.isEmpty
        return checkpoint.advanced()
    }

    func reloadDeployment(_ id: String, of repository: Repo) async throws -> GitHubRecord.Deployment? {
        do {
            let page = try await api.get(path(repository, "/deployments/\(id)"), conditional: true, validate: GitHubPayload.validateObject)
            let payload = try GitHubPayload.decoder().decode(GitHubPayload.Deployment.self, from: Data(page.body))
            return try await deployment(payload, of: repository)
        } catch GitHubAPIError.notFound {
            skip("deployment \(id) of \(repository.fullName) no longer exists on GitHub (404)")
            return nil
        } catch let error as DecodingError {
            skip("deployment \(id) of \(repository.fullName): \(GitHubPayload.DecodingFailure(error))")
            return nil
        }
    }

    /// Releases (newest first); incremental: stops at the first created before the cutoff.
    func syncReleases(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        let cutoff = try await self.cutoff(repository, .releases)
        var current = checkpoint
        var url: String? = checkpoint.next ?? path(repository, "/releases?per_page=\(pageSize)")
        let store = self.store
        while let pageURL = url {
            let page = try await api.get(pageURL, conditional: true, validate: GitHubPayload.validateArray)
            let (listed, reachedCutoff, newest) = try await listed(
                page, url: pageURL, GitHubPayload.Release.self, what: "release of \(repository.fullName)", cutoff: cutoff,
                time: \.createdAt, key: \.id)
            let releases = listed.map { release in
                GitHubRecord.Release(
                    externalID: release.id, tagName: release.tagName, name: release.name,
                    targetCommitish: release.targetCommitish, draft: release.draft ?? false,
                    prerelease: release.prerelease ?? false, author: release.author?.login,
                    createdAt: release.createdAt, publishedAt: release.publishedAt)
            }
            let nextURL = reachedCutoff ? nil : page.next
            let next = after(current, next: nextURL, newest: newest)
            let phase = current
            let rows = releases
            try await context.commitPage(checkpoint: next.json(), items: rows.count) { tx in
                try await store.writeReleases(rows, repositoryID: repository.id, in: tx)
                if nextURL == nil {
                    try await self.finishPhase(phase, newest: newest, repository: repository, in: tx)
                }
            }
            current = next
            url = nextURL
        }
        return current
    }

    /// Workflow runs of the default branch; incremental: `created>=` the cutoff's day.
    func syncWorkflowRuns(_ checkpoint: Checkpoint, _ repository: Repo) async throws -> Checkpoint {
        var first = path(repository, "/actions/runs?branch=\(Self.query(repository.defaultBranch))&per_page=\(pageSize)")
        if let cutoff = try await self.cutoff(repository, .workflowRuns) {
            first += "&created=" + Self.query(">=" + String(Self.isoSeconds(cutoff).prefix(10)))
        }
        var current = checkpoint
        var url: String? = checkpoint.next ?? first
        let store = self.store
        while let pageURL = url {
            let page = try await api.get(pageURL, validate: GitHubPayload.validateObject)
            var runs: [GitHubRecord.WorkflowRun] = []
            let decoded: GitHubPayload.WorkflowRunsPage
            do {
                decoded = try GitHubPayload.decoder().decode(GitHubPayload.WorkflowRunsPage.self, from: Data(page.body))
            } catch {
                throw GitHubAPIError.badPayload(url: pageURL, reason: "\(GitHubPayload.DecodingFailure(error))")
            }
            for element in decoded.workflowRuns {
                switch element.result {
                case .success(let run):
                    let sha = run.headSha.lowercased()
                    guard GitHubPayload.isSHA(sha) else {
                        skip("workflow run \(run.id) of \(repository.fullName): invalid head_sha")
                        continue
                    }
                    if runs.contains(where: { $0.externalID == run.id }) { continue }
                    runs.append(.init(
                        externalID: run.id, workflowID: run.workflowId, name: run.name, path: run.path,
                        headBranch: run.headBranch, headSHA: sha, event: run.event, status: run.status,
                        conclusion: run.conclusion, runAttempt: run.runAttempt ?? 1, url: run.htmlUrl,
                        runStartedAt: run.runStartedAt, createdAt: run.createdAt, updatedAt: run.updatedAt))
                case .failure(let failure): skip("workflow run of \(repository.fullName): \(failure)")
                }
            }
            let newest = runs.map(\.createdAt).max()
            let next = after(current, next: page.next, newest: newest)
            let phase = current
            let rows = runs
            try await context.commitPage(checkpoint: next.json(), items: rows.count) { tx in
                try await store.writeRuns(rows, repositoryID: repository.id, in: tx)
                if page.next == nil {
                    try await self.finishPhase(phase, newest: newest, repository: repository, in: tx)
                }
            }
            current = next
            url = page.next
        }
        return current
    }
}

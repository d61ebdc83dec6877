extension SandboxOrganisation {
    /// Changes about `fraction` of the data, deterministically (same organisation, same
    /// fraction, same result): new default-branch commits and PRs, PRs whose `updated_at`
    /// moves (so they move between pages), new deployments with statuses. Timestamps move
    /// forward past `reference`, which advances with them.
    public mutating func mutate(fraction: Double) {
        generation += 1
        var rng = SandboxRandom(seed: seed, stream: 0xA11CE + UInt64(generation))
        let start = reference
        reference += 3_600
        for r in repositories.indices {
            var repo = repositories[r]
            let changes = max(3, Int((Double(repo.pulls.count + repo.commits.count) * fraction).rounded()))
            for k in 0..<changes {
                let t = start + Int64(k * 3_600 / changes) + 1
                let head = repo.commits[0]
                let user = rng.pick(users)
                switch k % 3 {
                case 0:  // a direct push
                    let c = SandboxCommit(sha: rng.sha(), parents: [head.sha], message: "Incremental change \(generation).\(k)",
                                          authorName: user.name, authorEmail: user.email, author: user, committer: user,
                                          authoredAt: t, committedAt: t)
                    repo.commits.insert(c, at: 0)
                case 1:  // an existing PR updated (a review arrives): it moves to the first page of sort=updated
                    let i = rng.int(0..<repo.pulls.count)
                    let id = 1_990_000_000 + Int64(generation) * 100_000 + Int64(r) * 1_000 + Int64(k)
                    repo.pulls[i].reviews.append(SandboxReview(id: id, user: user, state: "COMMENTED", body: "Late review ✓",
                                                               submittedAt: t, commitID: repo.pulls[i].headSha))
                    repo.pulls[i].updatedAt = t
                default:  // a new squash-merged PR, deployed
                    let number = (repo.pulls.last?.number ?? 0) + repo.issues.count + 1
                    let own = SandboxCommit(sha: rng.sha(), parents: [head.sha], message: "Work for #\(number)", authorName: user.name,
                                            authorEmail: user.email, author: user, committer: user, authoredAt: t - 600, committedAt: t - 600)
                    let squash = SandboxCommit(sha: rng.sha(), parents: [head.sha], message: "Incremental feature (#\(number))",
                                               authorName: user.name, authorEmail: user.email, author: user, committer: user,
                                               authoredAt: t, committedAt: t)
                    repo.otherCommits[own.sha] = own
                    repo.commits.insert(squash, at: 0)
                    repo.commitPulls[squash.sha] = [number]
                    repo.pulls.append(SandboxPullRequest(
                        id: 2_147_000_000 + Int64(r) * 100_000 + Int64(number) * 97, number: number, title: "Incremental feature \(number)",
                        body: "Added by mutation \(generation)", user: user, state: "closed", draft: false, baseRef: repo.defaultBranch,
                        baseSha: head.sha, headRef: "feature/\(number)", headSha: own.sha, labels: [], createdAt: t - 1_200, updatedAt: t,
                        closedAt: t, mergedAt: t, mergeCommitSha: squash.sha, mergeMethod: .squash, mergedBy: user, commits: [own],
                        reviews: [], comments: [], additions: 10, deletions: 2, changedFiles: 1))
                    let statusBase = 5_900_000_000 + Int64(generation) * 1_000_000 + Int64(r) * 1_000 + Int64(k) * 3
                    repo.deployments.append(SandboxDeployment(
                        id: 2_140_000_000 + Int64(generation) * 100_000 + Int64(r) * 1_000 + Int64(k), sha: squash.sha, ref: repo.defaultBranch,
                        environment: repo.productionEnvironment, description: "Deploy \(squash.sha.prefix(7)) (deploy)", creator: user,
                        createdAt: t + 300, updatedAt: t + 600, productionEnvironment: true, transientEnvironment: false,
                        statuses: [SandboxDeploymentStatus(id: statusBase, state: "in_progress", description: "Deploying…", createdAt: t + 320),
                                   SandboxDeploymentStatus(id: statusBase + 1, state: "success", description: "Deployment finished successfully.", createdAt: t + 600)],
                        kind: "deploy"))
                }
            }
            repo.pushedAt = repo.commits[0].committedAt
            repo.updatedAt = max(repo.updatedAt, repo.pushedAt)
            repo.reindex()
            repositories[r] = repo
        }
        mutateJira(fraction: fraction, from: start, rng: &rng)
    }

    /// Jira's share: issues that get a new history (the next status on their way, or a label
    /// edit), so their `updated` moves past the previous reference.
    mutating func mutateJira(fraction: Double, from start: Int64, rng: inout SandboxRandom) {
        guard !jira.issues.isEmpty else { return }
        let next = ["10000": "10001", "10001": "10002", "10002": "10003", "10003": "10004", "10005": "10001", "10007": "10008", "10008": "10004"]
        let changes = max(2, Int((Double(jira.issues.count) * fraction).rounded()))
        for k in 0..<changes {
            let i = rng.int(0..<jira.issues.count)
            var issue = jira.issues[i]
            let t = max(start + Int64(k * 3_000 / changes) + 30, issue.updated + 60)
            let author = JiraGenerator.accounts[k % JiraGenerator.accounts.count]
            let id = 900_000_000 + Int64(generation) * 100_000 + Int64(k)
            if let to = next[issue.statusID] {
                let from = jira.status(issue.statusID), target = jira.status(to)
                issue.histories.append(SandboxHistory(id: id, author: author, created: t, items: [
                    SandboxChangeItem(field: "status", fieldtype: "jira", fieldID: "status", from: from.id, fromString: from.name,
                                      to: target.id, toString: target.name)]))
            } else {
                let old = issue.labels.joined(separator: " ")
                issue.labels.append("touched-\(generation)")
                issue.histories.append(SandboxHistory(id: id, author: author, created: t, items: [
                    SandboxChangeItem(field: "labels", fieldtype: "jira", fieldID: "labels", from: nil, fromString: old, to: nil,
                                      toString: issue.labels.joined(separator: " "))]))
            }
            issue.updated = t
            JiraGenerator.finishStatus(&issue)
            jira.issues[i] = issue
        }
    }
}

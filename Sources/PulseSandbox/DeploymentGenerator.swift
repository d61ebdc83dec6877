/// Deployments (production, staging, preprod, previews) with their status histories — failed
/// then retried, success then failure, error, in progress, rollbacks to an older sha, redeploys
/// of the same sha — plus the deploy workflow's runs and the releases, for one repository.
/// The first deployment comes months after the first commit.
struct DeploymentGenerator {
    var generator: GitHubGenerator
    let mainline: [SandboxCommit]  // first-parent chain of the default branch, oldest first
    let start: Int64
    let end: Int64

    init(generator: GitHubGenerator, chrono: [SandboxCommit], start: Int64, end: Int64) {
        self.generator = generator
        self.start = start
        self.end = end
        var bySha: [String: SandboxCommit] = [:]
        for c in chrono { bySha[c.sha] = c }
        var line: [SandboxCommit] = []
        var cursor: SandboxCommit? = chrono.last
        while let c = cursor {
            line.append(c)
            cursor = c.parents.first.flatMap { bySha[$0] }
        }
        mainline = line.reversed()
    }

    /// The default branch's head at `t`.
    func tip(at t: Int64) -> SandboxCommit {
        var lo = 0, hi = mainline.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if mainline[mid].committedAt <= t { lo = mid } else { hi = mid - 1 }
        }
        return mainline[lo]
    }

    private struct Draft {
        var sha: String, ref: String, environment: String, createdAt: Int64, kind: String
        var states: [(String, Int64)]
        var production: Bool, transient: Bool
    }

    mutating func generate(into repo: inout SandboxRepository) {
        var rng = generator.rng
        let users = generator.users
        let branch = repo.defaultBranch
        let prod = repo.productionEnvironment
        var drafts: [Draft] = []
        var runs: [(sha: String, created: Int64, finished: Int64, conclusion: String?, attempt: Int, title: String)] = []
        var releases: [(sha: String, at: Int64)] = []

        let firstDeploy = start + Int64(120 + rng.int(0...20)) * 86_400
        var t = firstDeploy
        var k = 0
        var lastSha: String? = nil
        var previousGood: String? = nil
        var slots: [Int64] = []
        while t < end - 6 * 3_600 {
            slots.append(t)
            t += Int64(rng.int(20...96)) * 3_600
        }
        func ok(_ at: Int64, _ duration: Int64 = 300) -> [(String, Int64)] { [("queued", at), ("in_progress", at + 20), ("success", at + duration)] }
        for (slotIndex, at) in slots.enumerated() {
            let head = tip(at: at)
            if head.sha == lastSha && slotIndex != slots.count - 1 { continue }
            k += 1
            drafts.append(Draft(sha: head.sha, ref: branch, environment: "staging", createdAt: at - 2_400, kind: "deploy",
                                states: ok(at - 2_400), production: false, transient: false))
            if k % 3 == 0 {
                drafts.append(Draft(sha: head.sha, ref: branch, environment: "preprod", createdAt: at - 1_200, kind: "deploy",
                                    states: ok(at - 1_200), production: false, transient: false))
            }
            let last = slotIndex == slots.count - 1
            let title = head.message.split(separator: "\n").first.map(String.init) ?? head.message
            if last {
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at, kind: "deploy",
                                    states: [("queued", at), ("in_progress", at + 30)], production: true, transient: false))
                runs.append((head.sha, at - 60, at + 30, nil, 1, title))
            } else if k % 11 == 5 {  // failure, then the same sha retried with success
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at, kind: "deploy",
                                    states: [("queued", at), ("in_progress", at + 20), ("failure", at + 240)], production: true, transient: false))
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at + 1_500, kind: "retry",
                                    states: ok(at + 1_500), production: true, transient: false))
                runs.append((head.sha, at - 60, at + 1_800, "success", 2, title))
                previousGood = head.sha
            } else if k % 23 == 14 {  // error, then retried
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at, kind: "deploy",
                                    states: [("queued", at), ("error", at + 45)], production: true, transient: false))
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at + 900, kind: "retry",
                                    states: ok(at + 900), production: true, transient: false))
                runs.append((head.sha, at - 60, at + 45, "failure", 1, title))
                previousGood = head.sha
            } else if k % 17 == 8 {  // reported success, then failed its health check
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at, kind: "deploy",
                                    states: ok(at) + [("failure", at + 1_200)], production: true, transient: false))
                runs.append((head.sha, at - 60, at + 300, "success", 1, title))
            } else {
                drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at, kind: "deploy",
                                    states: ok(at, Int64(rng.int(120...900))), production: true, transient: false))
                runs.append((head.sha, at - 60, at + 300, "success", 1, title))
                if k % 13 == 7, let older = previousGood, older != head.sha {  // rollback to the previous good sha
                    drafts.append(Draft(sha: older, ref: branch, environment: prod, createdAt: at + 7_200, kind: "rollback",
                                        states: ok(at + 7_200), production: true, transient: false))
                } else if k % 19 == 3 {  // redeploy of the same sha (not a rollback)
                    drafts.append(Draft(sha: head.sha, ref: branch, environment: prod, createdAt: at + 10_800, kind: "redeploy",
                                        states: ok(at + 10_800), production: true, transient: false))
                    previousGood = head.sha
                } else {
                    previousGood = head.sha
                }
                if k % 6 == 0 { releases.append((head.sha, at + 600)) }
            }
            lastSha = head.sha
        }
        // Preview environments for some pull requests.
        for pr in repo.pulls where pr.number % 7 == 3 && pr.createdAt > firstDeploy {
            let at = pr.createdAt + 900
            drafts.append(Draft(sha: pr.headSha, ref: pr.headRef, environment: "pr-\(pr.number)-preview", createdAt: at, kind: "deploy",
                                states: ok(at), production: false, transient: true))
        }
        drafts.sort { ($0.createdAt, $0.environment) < ($1.createdAt, $1.environment) }
        var statusCounter = 0
        repo.deployments = drafts.enumerated().map { n, d in
            let id = generator.deploymentID(n + 1)
            let statuses = d.states.map { state, at -> SandboxDeploymentStatus in
                statusCounter += 1
                let description: String
                switch state {
                case "success": description = "Deployment finished successfully."
                case "failure": description = "Health check failed: 5xx above 2 % — Überprüfung fehlgeschlagen"
                case "error": description = "Deployment runner crashed."
                case "in_progress": description = "Deploying…"
                default: description = ""
                }
                return SandboxDeploymentStatus(id: generator.statusID(statusCounter), state: state, description: description, createdAt: at)
            }
            return SandboxDeployment(id: id, sha: d.sha, ref: d.ref, environment: d.environment,
                                     description: d.kind == "rollback" ? "Rollback to \(d.sha.prefix(7))" : "Deploy \(d.sha.prefix(7)) (\(d.kind))",
                                     creator: users[(n + generator.index) % users.count], createdAt: d.createdAt,
                                     updatedAt: statuses.last?.createdAt ?? d.createdAt, productionEnvironment: d.production,
                                     transientEnvironment: d.transient, statuses: statuses, kind: d.kind)
        }
        repo.workflowRuns = runs.enumerated().map { n, r in
            SandboxWorkflowRun(id: generator.runID(n + 1), name: "Deploy", path: ".github/workflows/deploy.yml",
                               workflowID: generator.workflowID, runNumber: n + 1, runAttempt: r.attempt, headBranch: branch,
                               headSha: r.sha, event: "push", status: r.conclusion == nil ? "in_progress" : "completed",
                               conclusion: r.conclusion, displayTitle: r.title, actor: users[n % users.count],
                               createdAt: r.created, updatedAt: r.finished, runStartedAt: r.attempt > 1 ? r.created + 1_200 : r.created)
        }
        var rels: [SandboxRelease] = releases.enumerated().map { n, r in
            let pre = n % 10 == 9
            let tag = pre ? "v1.\(n + 1).0-rc.1" : "v1.\(n + 1).0"
            return SandboxRelease(id: generator.releaseID(n + 1), tagName: tag, targetCommitish: branch, name: "Release \(tag)",
                                  body: "## Changes\n- Improvements ✨", draft: false, prerelease: pre, author: users[n % users.count],
                                  createdAt: r.at - 300, publishedAt: r.at)
        }
        if let lastRelease = rels.last {
            rels.append(SandboxRelease(id: generator.releaseID(rels.count + 1), tagName: "v1.\(rels.count + 1).0", targetCommitish: branch,
                                       name: "Next release (draft)", body: "", draft: true, prerelease: false, author: lastRelease.author,
                                       createdAt: end - 7_200, publishedAt: nil))
        }
        repo.releases = rels
        generator.rng = rng
    }
}

/// The GitHub REST payloads, key for key as GitHub's OpenAPI examples (`shared/fixtures/github`):
/// same keys, same order, same nullability, numbers where GitHub has numbers.
struct GitHubPayloads {
    /// `http://host` or `http://host/api/v3` (Enterprise): the API's base as the client called it.
    let api: String
    /// `http://host`: where the `html_url`s point.
    let web: String
    let cache = SandboxPayloadCache()

    func user(_ u: SandboxUser?) -> SandboxJSON {
        guard let u else { return .null }
        return cache.value("user:" + u.login) { makeUser(u) }
    }

    private func makeUser(_ u: SandboxUser) -> SandboxJSON {
        let base = "\(api)/users/\(u.login)"
        return [
            "login": .string(u.login), "id": .int(u.id), "node_id": .string(nodeID("U", u.id)),
            "avatar_url": "\(web)/avatars/u/\(u.id)", "gravatar_id": "", "url": .string(base),
            "html_url": "\(web)/\(u.login)", "followers_url": "\(base)/followers",
            "following_url": "\(base)/following{/other_user}", "gists_url": "\(base)/gists{/gist_id}",
            "starred_url": "\(base)/starred{/owner}{/repo}", "subscriptions_url": "\(base)/subscriptions",
            "organizations_url": "\(base)/orgs", "repos_url": "\(base)/repos", "events_url": "\(base)/events{/privacy}",
            "received_events_url": "\(base)/received_events", "type": "User", "site_admin": false,
        ]
    }

    func organisationUser(_ login: String) -> SandboxJSON {
        user(SandboxUser(login: login, id: 91_234_567, name: login, email: ""))
    }

    /// The repository fields every repository shape shares (minimal repository, up to `hooks_url`).
    private func repositoryCore(_ r: SandboxRepository, withGitURLs: Bool = true) -> [(String, SandboxJSON)] {
        let base = "\(api)/repos/\(r.fullName)"
        var f: [(String, SandboxJSON)] = [
            ("id", .int(r.id)), ("node_id", .string(nodeID("R", r.id))), ("name", .string(r.name)), ("full_name", .string(r.fullName)),
            ("owner", organisationUser(r.owner)), ("private", true), ("html_url", "\(web)/\(r.fullName)"),
            ("description", .string(r.description)), ("fork", false), ("url", .string(base)),
        ]
        let templates: [(String, String)] = [
            ("archive_url", "/{archive_format}{/ref}"), ("assignees_url", "/assignees{/user}"), ("blobs_url", "/git/blobs{/sha}"),
            ("branches_url", "/branches{/branch}"), ("collaborators_url", "/collaborators{/collaborator}"),
            ("comments_url", "/comments{/number}"), ("commits_url", "/commits{/sha}"), ("compare_url", "/compare/{base}...{head}"),
            ("contents_url", "/contents/{+path}"), ("contributors_url", "/contributors"), ("deployments_url", "/deployments"),
            ("downloads_url", "/downloads"), ("events_url", "/events"), ("forks_url", "/forks"),
            ("git_commits_url", "/git/commits{/sha}"), ("git_refs_url", "/git/refs{/sha}"), ("git_tags_url", "/git/tags{/sha}"),
        ]
        f += templates.map { ($0.0, .string(base + $0.1)) }
        if withGitURLs { f.append(("git_url", "git://\(host)/\(r.fullName).git")) }
        let more: [(String, String)] = [
            ("issue_comment_url", "/issues/comments{/number}"), ("issue_events_url", "/issues/events{/number}"),
            ("issues_url", "/issues{/number}"), ("keys_url", "/keys{/key_id}"), ("labels_url", "/labels{/name}"),
            ("languages_url", "/languages"), ("merges_url", "/merges"), ("milestones_url", "/milestones{/number}"),
            ("notifications_url", "/notifications{?since,all,participating}"), ("pulls_url", "/pulls{/number}"),
            ("releases_url", "/releases{/id}"),
        ]
        f += more.map { ($0.0, .string(base + $0.1)) }
        if withGitURLs { f.append(("ssh_url", "git@\(host):\(r.fullName).git")) }
        let rest: [(String, String)] = [
            ("stargazers_url", "/stargazers"), ("statuses_url", "/statuses/{sha}"), ("subscribers_url", "/subscribers"),
            ("subscription_url", "/subscription"), ("tags_url", "/tags"), ("teams_url", "/teams"), ("trees_url", "/git/trees{/sha}"),
        ]
        f += rest.map { ($0.0, .string(base + $0.1)) }
        return f
    }

    private var host: String { web.replacingPrefix("http://", with: "").replacingPrefix("https://", with: "") }

    /// Which repository shape: the org listing's, a PR listing's `head.repo`, a single PR's.
    enum RepositoryShape {
        case organisation, pullList, pullDetail, pullDetailBase

        var keys: [String] {
            let start = ["clone_url", "mirror_url", "hooks_url", "svn_url", "homepage", "language", "forks_count", "stargazers_count",
                         "watchers_count", "size", "default_branch", "open_issues_count"]
            switch self {
            case .organisation:
                return start + ["is_template", "topics", "has_issues", "has_projects", "has_wiki", "has_pages", "has_downloads",
                                "has_discussions", "archived", "disabled", "visibility", "pushed_at", "created_at", "updated_at",
                                "permissions", "security_and_analysis"]
            case .pullList:
                return start + ["is_template", "topics", "has_issues", "has_projects", "has_wiki", "has_pages", "has_downloads",
                                "archived", "disabled", "visibility", "pushed_at", "created_at", "updated_at", "permissions",
                                "allow_rebase_merge", "template_repository", "temp_clone_token", "allow_squash_merge", "allow_auto_merge",
                                "delete_branch_on_merge", "allow_merge_commit", "subscribers_count", "network_count", "license", "forks",
                                "open_issues", "watchers"]
            case .pullDetailBase:
                return RepositoryShape.pullDetail.keys.filter { $0 != "allow_forking" }
            case .pullDetail:
                return start + ["topics", "has_issues", "has_projects", "has_wiki", "has_pages", "has_downloads", "has_discussions",
                                "archived", "disabled", "pushed_at", "created_at", "updated_at", "permissions", "allow_rebase_merge",
                                "temp_clone_token", "allow_squash_merge", "allow_merge_commit", "allow_forking", "forks", "open_issues",
                                "license", "watchers"]
            }
        }
    }

    /// `GET /orgs/{org}/repos` items and `GET /repos/{o}/{r}` (`.organisation`), or the
    /// repository inside a PR's `head` / `base`.
    func repository(_ r: SandboxRepository, shape: RepositoryShape = .organisation) -> SandboxJSON {
        cache.value("repo:\(r.name):\(shape)") { makeRepository(r, shape: shape) }
    }

    private func makeRepository(_ r: SandboxRepository, shape: RepositoryShape) -> SandboxJSON {
        let open = r.pulls.filter { $0.state == "open" }.count + r.issues.filter { $0.state == "open" }.count
        let license: SandboxJSON = shape == .pullList
            ? ["key": "mit", "name": "MIT License", "url": "\(api)/licenses/mit", "spdx_id": "MIT", "node_id": "MDc6TGljZW5zZW1pdA==",
               "html_url": "\(web)/licenses/mit"]
            : ["key": "mit", "name": "MIT License", "url": "\(api)/licenses/mit", "spdx_id": "MIT", "node_id": "MDc6TGljZW5zZW1pdA=="]
        let values: [String: SandboxJSON] = [
            "clone_url": "\(web)/\(r.fullName).git", "mirror_url": .null, "hooks_url": "\(api)/repos/\(r.fullName)/hooks",
            "svn_url": "\(web)/\(r.fullName)", "homepage": .null, "language": "Swift", "forks_count": 0,
            "stargazers_count": .number(r.name.count), "watchers_count": .number(r.name.count), "size": .number(r.commits.count * 3),
            "default_branch": .string(r.defaultBranch), "open_issues_count": .number(open), "is_template": false,
            "topics": ["payments", "swift"], "has_issues": true, "has_projects": true, "has_wiki": false, "has_pages": false,
            "has_downloads": true, "has_discussions": false, "archived": false, "disabled": false, "visibility": "private",
            "pushed_at": .string(SandboxTime.github(r.pushedAt)), "created_at": .string(SandboxTime.github(r.createdAt)),
            "updated_at": .string(SandboxTime.github(r.updatedAt)), "permissions": ["admin": false, "push": true, "pull": true],
            "security_and_analysis": [
                "advanced_security": ["status": "disabled"], "secret_scanning": ["status": "enabled"],
                "secret_scanning_push_protection": ["status": "enabled"],
                "secret_scanning_non_provider_patterns": ["status": "disabled"],
                "secret_scanning_delegated_alert_dismissal": ["status": "disabled"],
            ],
            "allow_rebase_merge": true, "template_repository": .null, "temp_clone_token": .null, "allow_squash_merge": true,
            "allow_auto_merge": false, "delete_branch_on_merge": true, "allow_merge_commit": true, "allow_forking": false,
            "subscribers_count": 3, "network_count": 0, "license": license, "forks": 0, "open_issues": .number(open),
            "watchers": .number(r.name.count),
        ]
        return .object(repositoryCore(r) + shape.keys.map { ($0, values[$0]!) })
    }

    /// The minimal repository of workflow runs (`repository` has the git/ssh URLs, `head_repository` not).
    func minimalRepository(_ r: SandboxRepository, withGitURLs: Bool) -> SandboxJSON {
        cache.value("minimal:\(r.name):\(withGitURLs)") { makeMinimalRepository(r, withGitURLs: withGitURLs) }
    }

    private func makeMinimalRepository(_ r: SandboxRepository, withGitURLs: Bool) -> SandboxJSON {
        var f = repositoryCore(r, withGitURLs: withGitURLs)
        f.append(("hooks_url", .string("\(api)/repos/\(r.fullName)/hooks")))
        return .object(f)
    }

    func label(_ r: SandboxRepository, _ name: String) -> SandboxJSON {
        let id = 208_045_000 + Int64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF)
        let colors = ["hotfix": "d93f0b", "revert": "b60205", "bug": "f29513", "enhancement": "a2eeef"]
        return [
            "id": .int(id), "node_id": .string(nodeID("LA", id)), "url": "\(api)/repos/\(r.fullName)/labels/\(name)",
            "name": .string(name), "description": .string(name == "hotfix" ? "Urgent fix for production" : "Label \(name)"),
            "color": .string(colors[name] ?? "ededed"), "default": .bool(name == "bug" || name == "enhancement"),
        ]
    }

    /// `GET /pulls` items (`detailed` false) and `GET /pulls/{n}` (`detailed` true, with the extra fields).
    func pull(_ r: SandboxRepository, _ p: SandboxPullRequest, detailed: Bool) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        let html = "\(web)/\(r.fullName)/pull/\(p.number)"
        var f: [(String, SandboxJSON)] = [
            ("url", "\(base)/pulls/\(p.number)"), ("id", .int(p.id)), ("node_id", .string(nodeID("PR", p.id))),
            ("html_url", .string(html)), ("diff_url", "\(html).diff"), ("patch_url", "\(html).patch"),
            ("issue_url", "\(base)/issues/\(p.number)"), ("commits_url", "\(base)/pulls/\(p.number)/commits"),
            ("review_comments_url", "\(base)/pulls/\(p.number)/comments"), ("review_comment_url", "\(base)/pulls/comments{/number}"),
            ("comments_url", "\(base)/issues/\(p.number)/comments"), ("statuses_url", "\(base)/statuses/\(p.headSha)"),
            ("number", .number(p.number)), ("state", .string(p.state)), ("locked", false), ("title", .string(p.title)),
            ("user", user(p.user)), ("body", .string(p.body)), ("labels", .array(p.labels.map { label(r, $0) })),
            ("milestone", .null), ("active_lock_reason", .null),
            ("created_at", .string(SandboxTime.github(p.createdAt))), ("updated_at", .string(SandboxTime.github(p.updatedAt))),
            ("closed_at", .optional(p.closedAt.map(SandboxTime.github))), ("merged_at", .optional(p.mergedAt.map(SandboxTime.github))),
            ("merge_commit_sha", .optional(p.mergeCommitSha)), ("assignee", .null), ("assignees", []),
            ("requested_reviewers", []), ("requested_teams", []),
            ("head", ["label": "\(r.owner):\(p.headRef)", "ref": .string(p.headRef), "sha": .string(p.headSha),
                      "user": user(p.user), "repo": repository(r, shape: detailed ? .pullDetail : .pullList)]),
            ("base", ["label": "\(r.owner):\(p.baseRef)", "ref": .string(p.baseRef), "sha": .string(p.baseSha),
                      "user": organisationUser(r.owner), "repo": repository(r, shape: detailed ? .pullDetailBase : .pullList)]),
            ("_links", [
                "self": ["href": "\(base)/pulls/\(p.number)"], "html": ["href": .string(html)],
                "issue": ["href": "\(base)/issues/\(p.number)"], "comments": ["href": "\(base)/issues/\(p.number)/comments"],
                "review_comments": ["href": "\(base)/pulls/\(p.number)/comments"],
                "review_comment": ["href": "\(base)/pulls/comments{/number}"],
                "commits": ["href": "\(base)/pulls/\(p.number)/commits"], "statuses": ["href": "\(base)/statuses/\(p.headSha)"],
            ]),
            ("author_association", "MEMBER"), ("auto_merge", .null), ("draft", .bool(p.draft)),
        ]
        if detailed {
            f += [
                ("merged", .bool(p.merged)), ("mergeable", p.state == "open" ? true : .null), ("rebaseable", p.state == "open" ? true : .null),
                ("mergeable_state", p.state == "open" ? "clean" : "unknown"), ("merged_by", user(p.mergedBy)),
                ("comments", 0), ("review_comments", .number(p.comments.count)), ("maintainer_can_modify", false),
                ("commits", .number(p.commits.count)), ("additions", .number(p.additions)), ("deletions", .number(p.deletions)),
                ("changed_files", .number(p.changedFiles)),
            ]
        }
        return .object(f)
    }

    func review(_ r: SandboxRepository, _ p: SandboxPullRequest, _ v: SandboxReview) -> SandboxJSON {
        let html = "\(web)/\(r.fullName)/pull/\(p.number)#pullrequestreview-\(v.id)"
        let pullURL = "\(api)/repos/\(r.fullName)/pulls/\(p.number)"
        return [
            "id": .int(v.id), "node_id": .string(nodeID("PRR", v.id)), "user": user(v.user), "body": .string(v.body),
            "state": .string(v.state), "html_url": .string(html), "pull_request_url": .string(pullURL),
            "_links": ["html": ["href": .string(html)], "pull_request": ["href": .string(pullURL)]],
            "submitted_at": .string(SandboxTime.github(v.submittedAt)), "commit_id": .string(v.commitID),
            "author_association": "MEMBER",
        ]
    }

    /// Review comments (`GET /pulls/{n}/comments`), shaped as GitHub's `pull-request-review-comment`.
    func reviewComment(_ r: SandboxRepository, _ p: SandboxPullRequest, _ c: SandboxReviewComment) -> SandboxJSON {
        let url = "\(api)/repos/\(r.fullName)/pulls/comments/\(c.id)"
        let html = "\(web)/\(r.fullName)/pull/\(p.number)#discussion_r\(c.id)"
        let pullURL = "\(api)/repos/\(r.fullName)/pulls/\(p.number)"
        return [
            "url": .string(url), "pull_request_review_id": .int(c.reviewID), "id": .int(c.id), "node_id": .string(nodeID("PRRC", c.id)),
            "diff_hunk": "@@ -16,33 +16,40 @@", "path": .string(c.path), "position": .number(c.line), "original_position": .number(c.line),
            "commit_id": .string(c.commitID), "original_commit_id": .string(c.commitID), "in_reply_to_id": .null,
            "user": user(c.user), "body": .string(c.body), "created_at": .string(SandboxTime.github(c.createdAt)),
            "updated_at": .string(SandboxTime.github(c.updatedAt)), "html_url": .string(html), "pull_request_url": .string(pullURL),
            "author_association": "MEMBER",
            "_links": ["self": ["href": .string(url)], "html": ["href": .string(html)], "pull_request": ["href": .string(pullURL)]],
            "start_line": .null, "original_start_line": .null, "start_side": .null, "line": .number(c.line),
            "original_line": .number(c.line), "side": "RIGHT",
        ]
    }

    func commit(_ r: SandboxRepository, _ c: SandboxCommit) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        return [
            "url": "\(base)/commits/\(c.sha)", "sha": .string(c.sha), "node_id": .string(nodeID("C", c.sha)),
            "html_url": "\(web)/\(r.fullName)/commit/\(c.sha)", "comments_url": "\(base)/commits/\(c.sha)/comments",
            "commit": [
                "url": "\(base)/git/commits/\(c.sha)",
                "author": ["name": .string(c.authorName), "email": .string(c.authorEmail), "date": .string(SandboxTime.github(c.authoredAt))],
                "committer": ["name": .string(c.committer?.name ?? c.authorName), "email": .string(c.committer?.email ?? c.authorEmail),
                              "date": .string(SandboxTime.github(c.committedAt))],
                "message": .string(c.message), "tree": ["url": "\(base)/tree/\(treeSha(c.sha))", "sha": .string(treeSha(c.sha))],
                "comment_count": 0,
                "verification": ["verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil],
            ],
            "author": user(c.author), "committer": user(c.committer),
            "parents": .array(c.parents.map { ["url": "\(base)/commits/\($0)", "sha": .string($0)] }),
        ]
    }

    func deployment(_ r: SandboxRepository, _ d: SandboxDeployment) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        return [
            "url": "\(base)/deployments/\(d.id)", "id": .int(d.id), "node_id": .string(nodeID("DE", d.id)), "sha": .string(d.sha),
            "ref": .string(d.ref), "task": "deploy", "payload": [:], "original_environment": .string(d.environment),
            "environment": .string(d.environment), "description": .string(d.description), "creator": user(d.creator),
            "created_at": .string(SandboxTime.github(d.createdAt)), "updated_at": .string(SandboxTime.github(d.updatedAt)),
            "statuses_url": "\(base)/deployments/\(d.id)/statuses", "repository_url": .string(base),
            "transient_environment": .bool(d.transientEnvironment), "production_environment": .bool(d.productionEnvironment),
        ]
    }

    func deploymentStatus(_ r: SandboxRepository, _ d: SandboxDeployment, _ s: SandboxDeploymentStatus) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        let log = "\(web)/\(r.fullName)/actions/deployments/\(d.id)"
        return [
            "url": "\(base)/deployments/\(d.id)/statuses/\(s.id)", "id": .int(s.id), "node_id": .string(nodeID("DES", s.id)),
            "state": .string(s.state), "creator": user(d.creator), "description": .string(s.description),
            "environment": .string(d.environment), "target_url": .string(log),
            "created_at": .string(SandboxTime.github(s.createdAt)), "updated_at": .string(SandboxTime.github(s.createdAt)),
            "deployment_url": "\(base)/deployments/\(d.id)", "repository_url": .string(base),
            "environment_url": .string(d.transientEnvironment ? "https://\(d.environment).preview.acme-pay.example" : "https://\(r.name).acme-pay.example"),
            "log_url": .string(log),
        ]
    }

    func release(_ r: SandboxRepository, _ v: SandboxRelease) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        return [
            "url": "\(base)/releases/\(v.id)", "html_url": "\(web)/\(r.fullName)/releases/\(v.tagName)",
            "assets_url": "\(base)/releases/\(v.id)/assets", "upload_url": "\(web)/uploads/repos/\(r.fullName)/releases/\(v.id)/assets{?name,label}",
            "tarball_url": .optional(v.draft ? nil : "\(base)/tarball/\(v.tagName)"), "zipball_url": .optional(v.draft ? nil : "\(base)/zipball/\(v.tagName)"),
            "id": .int(v.id), "node_id": .string(nodeID("RE", v.id)), "tag_name": .string(v.tagName),
            "target_commitish": .string(v.targetCommitish), "name": .string(v.name), "body": .string(v.body),
            "draft": .bool(v.draft), "prerelease": .bool(v.prerelease), "immutable": false,
            "created_at": .string(SandboxTime.github(v.createdAt)), "published_at": .optional(v.publishedAt.map(SandboxTime.github)),
            "author": user(v.author), "assets": [],
        ]
    }

    func workflowRun(_ r: SandboxRepository, _ w: SandboxWorkflowRun) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        let head = r.commit(w.headSha)
        return [
            "id": .int(w.id), "name": .string(w.name), "node_id": .string(nodeID("WFR", w.id)), "check_suite_id": .int(w.id + 1),
            "check_suite_node_id": .string(nodeID("CS", w.id + 1)), "head_branch": .string(w.headBranch), "head_sha": .string(w.headSha),
            "path": "\(w.path)@\(w.headBranch)", "run_number": .number(w.runNumber), "event": .string(w.event),
            "display_title": .string(w.displayTitle), "status": .string(w.status), "conclusion": .optional(w.conclusion),
            "workflow_id": .int(w.workflowID), "url": "\(base)/actions/runs/\(w.id)", "html_url": "\(web)/\(r.fullName)/actions/runs/\(w.id)",
            "pull_requests": [], "created_at": .string(SandboxTime.github(w.createdAt)), "updated_at": .string(SandboxTime.github(w.updatedAt)),
            "actor": user(w.actor), "run_attempt": .number(w.runAttempt), "run_started_at": .string(SandboxTime.github(w.runStartedAt)),
            "triggering_actor": user(w.actor), "jobs_url": "\(base)/actions/runs/\(w.id)/jobs", "logs_url": "\(base)/actions/runs/\(w.id)/logs",
            "check_suite_url": "\(base)/check-suites/\(w.id + 1)", "artifacts_url": "\(base)/actions/runs/\(w.id)/artifacts",
            "cancel_url": "\(base)/actions/runs/\(w.id)/cancel", "rerun_url": "\(base)/actions/runs/\(w.id)/rerun",
            "workflow_url": "\(base)/actions/workflows/\(w.workflowID)",
            "head_commit": [
                "id": .string(w.headSha), "tree_id": .string(treeSha(w.headSha)), "message": .string(head?.message ?? w.displayTitle),
                "timestamp": .string(SandboxTime.github(head?.committedAt ?? w.createdAt)),
                "author": ["name": .string(head?.authorName ?? w.actor.name), "email": .string(head?.authorEmail ?? w.actor.email)],
                "committer": ["name": "GitHub", "email": "noreply@github.com"],
            ],
            "repository": minimalRepository(r, withGitURLs: true), "head_repository": minimalRepository(r, withGitURLs: false),
        ]
    }

    /// `GET /issues` items: GitHub issues, and PRs with their `pull_request` member.
    func issue(_ r: SandboxRepository, number: Int, id: Int64, title: String, body: String, user u: SandboxUser, state: String,
               labels: [String], created: Int64, updated: Int64, closed: Int64?, pullRequest: SandboxPullRequest?) -> SandboxJSON {
        let base = "\(api)/repos/\(r.fullName)"
        var f: [(String, SandboxJSON)] = [
            ("id", .int(id)), ("node_id", .string(nodeID("I", id))), ("url", "\(base)/issues/\(number)"), ("repository_url", .string(base)),
            ("labels_url", "\(base)/issues/\(number)/labels{/name}"), ("comments_url", "\(base)/issues/\(number)/comments"),
            ("events_url", "\(base)/issues/\(number)/events"),
            ("html_url", "\(web)/\(r.fullName)/\(pullRequest == nil ? "issues" : "pull")/\(number)"),
            ("number", .number(number)), ("state", .string(state)), ("title", .string(title)), ("body", .string(body)),
            ("user", user(u)), ("pinned_comment", .null), ("labels", .array(labels.map { label(r, $0) })),
            ("assignee", .null), ("assignees", []), ("milestone", .null), ("locked", false), ("active_lock_reason", .null),
            ("comments", 0),
        ]
        if let p = pullRequest {
            let html = "\(web)/\(r.fullName)/pull/\(p.number)"
            f.append(("pull_request", ["url": "\(base)/pulls/\(p.number)", "html_url": .string(html), "diff_url": "\(html).diff",
                                       "patch_url": "\(html).patch"]))
        }
        f += [
            ("closed_at", .optional(closed.map(SandboxTime.github))), ("created_at", .string(SandboxTime.github(created))),
            ("updated_at", .string(SandboxTime.github(updated))), ("closed_by", closed == nil ? .null : user(u)),
            ("author_association", "MEMBER"), ("state_reason", closed == nil ? .null : (pullRequest == nil ? "completed" : .null)),
        ]
        return .object(f)
    }

    func nodeID(_ prefix: String, _ id: Int64) -> String { nodeID(prefix, String(id)) }

    func nodeID(_ prefix: String, _ id: String) -> String {
        "\(prefix)_kw" + String(id.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }, radix: 36)
    }

    func treeSha(_ sha: String) -> String { String(sha.reversed()) }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

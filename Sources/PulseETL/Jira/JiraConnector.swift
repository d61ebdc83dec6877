import Foundation
import Logging
import PulseHTTPClient
import PulsePostgres
import Synchronization

/// Jira Cloud (REST v3 + Agile 1.0) into Pulse's raw tables: projects, issue types
/// (`wits`), statuses with their category, sprints, work items with every status change.
///
/// A run: `/myself` (the user's time zone), then the reference data (projects, issue types,
/// statuses, fields, boards and sprints: small, refreshed on every run and committed as one
/// page, with the default mappings), then per project one bounded JQL search
/// (`POST /rest/api/3/search/jql`, explicit `fields`, `expand=changelog`, `nextPageToken`),
/// each page committed with the checkpoint that resumes right after it. Incremental runs
/// ask for `updated >= "<watermark − overlap>"` written in the Jira user's time zone, the
/// watermark being the newest `updated` stored for the integration.
public struct JiraConnector: SyncConnector, ConnectionCheckable {
    /// Tuning (tests use a virtual clock and small pages).
    public struct Options: Sendable {
        public var clock: JiraClock
        public var retry: JiraRetryPolicy
        /// Issues per search page (Jira serves up to 100 with changelogs).
        public var pageSize: Int
        /// How far before the watermark an incremental run starts (JQL has minute precision).
        public var overlap: TimeInterval

        public init(clock: JiraClock = .system, retry: JiraRetryPolicy = .init(), pageSize: Int = 100, overlap: TimeInterval = 300) {
            self.clock = clock
            self.retry = retry
            self.pageSize = pageSize
            self.overlap = overlap
        }
    }

    public let integration: SyncIntegration
    let client: HTTPClient
    let logger: Logger
    let options: Options
    /// Set once a site answered that it has no `POST /changelog/bulkfetch`.
    private let bulkUnavailable = JiraFlag()

    public init(integration: SyncIntegration, client: HTTPClient, logger: Logger) {
        self.init(integration: integration, client: client, logger: logger, options: Options())
    }

    public init(integration: SyncIntegration, client: HTTPClient, logger: Logger, options: Options) {
        self.integration = integration
        self.client = client
        self.logger = logger
        self.options = options
    }

    public func run(_ context: SyncContext) async throws {
        let settings = try JiraSettings(context.integration)
        let api = JiraAPIClient(baseURL: settings.baseURL, email: settings.email, apiToken: settings.apiToken, http: client,
                                policy: options.retry, clock: options.clock, logger: logger, progress: context.progress)
        let writer = JiraWriter(integrationID: context.integration.id)
        do {
            try await sync(context, settings: settings, api: api, writer: writer)
        } catch let error as JiraAPIError {
            throw error.syncError
        }
    }

    private func sync(_ context: SyncContext, settings: JiraSettings, api: JiraAPIClient, writer: JiraWriter) async throws {
        var checkpoint = JiraCheckpoint(text: context.checkpoint)

        context.progress(SyncProgressEvent(.phase("Jira reference data", totalItems: nil)))
        let reference = try await JiraReferenceData.load(api: api, settings: settings, progress: context.progress)
        let timeZone = reference.timeZone
        try await context.commitPage(checkpoint: checkpoint.text, items: reference.itemCount) { [reference] tx in
            try await writer.upsertProjects(reference.projects, in: tx)
            try await writer.upsertIssueTypes(reference.issueTypes, in: tx)
            try await writer.upsertStatuses(reference.statuses, in: tx)
            try await writer.upsertSprints(reference.sprints, in: tx)
        }

        let fields = settings.issueFields(reference.fieldNames)
        let projectKeys = reference.projects.map(\.key)
        checkpoint.realign(to: projectKeys)
        for index in projectKeys.indices where index >= checkpoint.projectIndex {
            let key = projectKeys[index]
            let resuming = index == checkpoint.projectIndex && checkpoint.token != nil
            if !resuming {
                checkpoint.since = try await incrementalStart(context, writer: writer, timeZone: timeZone, project: key)
            }
            var bound = "project = \"\(key)\""
            if let since = checkpoint.since { bound += " AND updated >= \"\(since)\"" }
            let jql = bound + " ORDER BY updated ASC, key ASC"
            context.progress(SyncProgressEvent(.phase("issues of \(key)", totalItems: await approximateCount(api: api, jql: bound))))
            var token = resuming ? checkpoint.token : nil
            var restarted = false
            let names = reference.fieldNames
            let progress = context.progress
            // The next page is fetched while this one is written (one page ahead, never more).
            func fetch(_ token: String?) -> Task<JiraSearchPage, any Error> {
                Task { try await searchPage(api: api, jql: jql, fields: fields, token: token, names: names, progress: progress) }
            }
            var inFlight = fetch(token)
            while true {
                let page: JiraSearchPage
                do {
                    page = try await withTaskCancellationHandler { try await inFlight.value } onCancel: { [inFlight] in inFlight.cancel() }
                } catch let error as JiraAPIError where error.status == 400 && token != nil && !restarted {
                    // A resume token Jira no longer knows: read the project again from its start.
                    context.progress(SyncProgressEvent(.retry(attempt: 1, reason: "Jira refused the saved page token (\(error.message)); reading \(key) again from its first page")))
                    token = nil
                    restarted = true
                    inFlight = fetch(nil)
                    continue
                }
                var next = checkpoint
                if let nextToken = page.nextToken {
                    next.projectIndex = index
                    next.project = key
                    next.token = nextToken
                } else {
                    next.projectIndex = index + 1
                    next.project = projectKeys.indices.contains(index + 1) ? projectKeys[index + 1] : nil
                    next.token = nil
                }
                let prefetch = page.nextToken.map(fetch)
                let records = page.records
                do {
                    try await context.commitPage(checkpoint: next.text, items: records.count) { tx in
                        try await writer.upsertIssues(records, in: tx)
                    }
                } catch {
                    prefetch?.cancel()
                    throw error
                }
                checkpoint = next
                guard let prefetch else { break }
                token = page.nextToken
                inFlight = prefetch
            }
        }
    }

    /// Jira's estimate of how many issues a JQL matches (`/search/jql` has no `total`), for
    /// the progress ETA; nil when the site does not say.
    private func approximateCount(api: JiraAPIClient, jql: String) async -> Int? {
        try? await api.post("/rest/api/3/search/approximate-count", body: .object(["jql": .string(jql)]))["count"].int
    }

    /// The JQL lower bound of one project in an incremental run: the project's stored
    /// watermark minus the overlap, written in the Jira user's time zone; nil for a full run
    /// or a project never synced. Per project, because projects are read one after the other
    /// in `updated` order: a run that stopped after PAY must not let WEB start at PAY's newest.
    private func incrementalStart(_ context: SyncContext, writer: JiraWriter, timeZone: TimeZone, project: String) async throws -> String? {
        guard context.mode == .incremental else { return nil }
        guard let watermark = try await context.database.read(.primary, { tx in try await writer.watermark(project: project, in: tx) })
        else { return nil }
        return JiraTime.jqlLiteral(watermark.addingTimeInterval(-options.overlap), timeZone: timeZone)
    }

    /// One search page, its issues read (unusable ones reported and skipped) and their
    /// truncated changelogs completed from `/issue/{id}/changelog`.
    private func searchPage(api: JiraAPIClient, jql: String, fields: [String], token: String?, names: JiraIssueRecord.Fields,
                            progress: @Sendable (SyncProgressEvent) -> Void) async throws -> JiraSearchPage {
        var body: [String: JiraValue] = [
            "jql": .string(jql), "fields": .strings(fields), "expand": .string("changelog"),
            "maxResults": .number(options.pageSize),
        ]
        if let token { body["nextPageToken"] = .string(token) }
        var attempt = 0
        while true {
            attempt += 1
            let page = try await api.post("/rest/api/3/search/jql", body: .object(body))
            guard page["issues"].isArray else {
                // JSON, but not a search page: fetch it again a few times, then fail the job (retryable).
                let reason = "a /rest/api/3/search/jql page without an issues list"
                guard attempt < 3 else { throw SyncError("Jira sent \(reason) \(attempt) times", retryable: true) }
                progress(SyncProgressEvent(.retry(attempt: attempt + 1, reason: reason)))
                continue
            }
            var records: [JiraIssueRecord] = []
            for issue in page["issues"].array {
                do {
                    records.append(try JiraIssueRecord(issue, fields: names))
                } catch {
                    progress(SyncProgressEvent(.skippedItem(reason: error.description)))
                    logger.warning("jira: skipped an issue", metadata: ["reason": "\(error.description)"])
                }
            }
            try await completeChangelogs(&records, api: api)
            let next = page["nextPageToken"].text
            let isLast = page["isLast"].bool ?? (next == nil)
            return JiraSearchPage(records: records, nextToken: isLast ? nil : next)
        }
    }

    /// Replaces the embedded (newest-only) changelog of each truncated issue by its complete
    /// one: one `POST /changelog/bulkfetch` for the page's issues (status changes only, token
    /// pages), or, where the site has no bulk endpoint, `GET /issue/{id}/changelog` for each,
    /// a few issues at a time (Jira asks for low per-site concurrency).
    private func completeChangelogs(_ records: inout [JiraIssueRecord], api: JiraAPIClient) async throws {
        let truncated = records.indices.filter { records[$0].changelogTruncated }
        guard !truncated.isEmpty else { return }
        if !bulkUnavailable.value, let bulk = try await bulkChangelogs(truncated.map { records[$0].externalID }, api: api) {
            for index in truncated { records[index].statusChanges = bulk[records[index].externalID] ?? records[index].statusChanges }
            return
        }
        let complete = try await withThrowingTaskGroup(of: (Int, [JiraStatusChange]).self) { group in
            var results: [Int: [JiraStatusChange]] = [:]
            var pending = truncated[...]
            for _ in 0..<min(Self.changelogConcurrency, pending.count) {
                let index = pending.removeFirst(), id = records[index].externalID
                group.addTask { (index, try await fullChangelog(api: api, issueID: id)) }
            }
            while let (index, changes) = try await group.next() {
                results[index] = changes
                if let next = pending.popFirst() {
                    let id = records[next].externalID
                    group.addTask { (next, try await fullChangelog(api: api, issueID: id)) }
                }
            }
            return results
        }
        for (index, changes) in complete { records[index].statusChanges = changes }
    }

    /// Status changes of up to 1000 issues by `POST /rest/api/3/changelog/bulkfetch`; nil
    /// when the site does not offer it (then remembered for the rest of the run).
    private func bulkChangelogs(_ ids: [String], api: JiraAPIClient) async throws -> [String: [JiraStatusChange]]? {
        var result: [String: [JiraStatusChange]] = [:]
        var token: String?
        var pages = 0
        repeat {
            var body: [String: JiraValue] = ["issueIdsOrKeys": .strings(ids), "fieldIds": .strings(["status"]), "maxResults": .number(1000)]
            if let token { body["nextPageToken"] = .string(token) }
            let page: JiraValue
            do {
                page = try await api.post("/rest/api/3/changelog/bulkfetch", body: .object(body))
            } catch {
                guard Self.bulkMissingStatuses.contains(error.status ?? 0) else { throw error }
                bulkUnavailable.set()
                logger.info("jira: no changelog bulkfetch on this site; reading changelogs per issue")
                return nil
            }
            for log in page["issueChangeLogs"].array {
                guard let id = log["issueId"].text else { continue }
                result[id, default: []] += log["changeHistories"].array.flatMap(JiraStatusChange.changes(in:))
            }
            token = page["nextPageToken"].text
            pages += 1
        } while token != nil && pages < 10_000
        for id in result.keys { result[id]!.sort { $0.changedAt < $1.changedAt } }
        return result
    }

    static let changelogConcurrency = 4
    /// What a site without the bulk changelog endpoint answers.
    static let bulkMissingStatuses: Set<Int> = [404, 405, 501]

    /// Every status change of one issue, oldest first, from the paged changelog endpoint.
    private func fullChangelog(api: JiraAPIClient, issueID: String) async throws -> [JiraStatusChange] {
        var changes: [JiraStatusChange] = []
        try await api.offsetPages("/rest/api/3/issue/\(issueID)/changelog", itemsKey: "values", pageSize: 100) { histories in
            changes += histories.flatMap(JiraStatusChange.changes(in:))
        }
        return changes
    }

    public static func checkConnection(integration: SyncIntegration, client: HTTPClient) async -> ConnectionCheck {
        await JiraConnectionCheck.run(integration: integration, client: client)
    }
}

/// A flag set once and read from any task.
final class JiraFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

struct JiraSearchPage: Sendable {
    var records: [JiraIssueRecord]
    var nextToken: String?
}

/// Where a Jira run resumes: the project it was reading, the page token of its next page and
/// the JQL lower bound chosen when that project's read began (nil: all its issues).
struct JiraCheckpoint: Codable, Sendable, Equatable {
    var since: String?
    var projectIndex: Int = 0
    /// The key of the project at `projectIndex`, so a resume after the project list changed
    /// (settings edited, a project hidden) continues with the same project, or from the start.
    var project: String?
    var token: String?

    mutating func realign(to keys: [String]) {
        guard let project, !(keys.indices.contains(projectIndex) && keys[projectIndex] == project) else { return }
        if let index = keys.firstIndex(of: project) {
            projectIndex = index
        } else {
            projectIndex = 0
            token = nil
        }
    }

    init(text: String) {
        self = (try? JSONDecoder().decode(JiraCheckpoint.self, from: Data(text.utf8))) ?? JiraCheckpoint()
    }

    init() {}

    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private enum CodingKeys: String, CodingKey {
        case since
        case projectIndex = "project_index"
        case project
        case token = "next_page_token"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        since = try c.decodeIfPresent(String.self, forKey: .since)
        projectIndex = try c.decodeIfPresent(Int.self, forKey: .projectIndex) ?? 0
        project = try c.decodeIfPresent(String.self, forKey: .project)
        token = try c.decodeIfPresent(String.self, forKey: .token)
    }
}

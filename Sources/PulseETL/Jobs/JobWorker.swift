import Foundation
import Logging
import PulseHTTPClient
import PulsePostgres
import Synchronization

/// Timing of a worker; tests shorten it.
public struct JobWorkerConfiguration: Sendable {
    /// How long a claimed job is ours without a heartbeat; a dead instance's job is taken
    /// over this long after its last heartbeat.
    public var leaseSeconds: Double = 20
    /// Seconds between heartbeats (lease / 3 by default).
    public var heartbeatInterval: Double = 20.0 / 3
    /// Idle poll interval of the queue.
    public var pollInterval: Double = 1
    /// Jobs this process runs at once.
    public var maxConcurrentJobs: Int = 2
    /// Retry delay: `retryBaseSeconds * 2^(attempt-1)`, at most `retryMaxSeconds`, plus up to 10 % jitter.
    public var retryBaseSeconds: Double = 5
    public var retryMaxSeconds: Double = 600

    public init() {}

    public func retryDelay(attempt: Int) -> Double {
        let base = min(retryMaxSeconds, retryBaseSeconds * pow(2, Double(max(0, attempt - 1))))
        return base + Double.random(in: 0...(base * 0.1))
    }
}

/// Which clients a worker takes jobs of (F-MULTI).
public enum InstanceScope: Sendable, Equatable {
    /// The shared instance: every client without a live dedicated instance.
    case shared
    /// `CLIENT_NAME=<slug>`: that client only.
    case dedicated(clientID: Int, slug: String)

    public var clientID: Int? {
        if case .dedicated(let id, _) = self { return id }
        return nil
    }
}

/// Runs queued jobs: claims with a lease, heartbeats, drives the connector through a
/// ``SyncContext`` whose `commitPage` stores page + checkpoint + counters in one transaction,
/// and records the outcome (retry with backoff, failure, pause, cancel, success).
public final class JobWorker: Sendable {
    public let store: JobStore
    public let registry: ConnectorRegistry
    public let loader: IntegrationLoader
    public let scope: InstanceScope
    public let configuration: JobWorkerConfiguration
    /// This process's lease owner name (`host:pid:random`).
    public let owner: String
    let client: HTTPClient
    let scheduler: JobScheduler
    let logger: Logger
    let metrics: JobMetrics?
    private let running = Mutex<Set<Int>>([])

    public init(database: PostgresDatabase, registry: ConnectorRegistry, loader: IntegrationLoader, scope: InstanceScope = .shared,
                configuration: JobWorkerConfiguration = .init(), client: HTTPClient, owner: String? = nil, metrics: JobMetrics? = nil,
                logger: Logger) {
        self.metrics = metrics
        store = JobStore(database: database)
        self.registry = registry
        self.loader = loader
        self.scope = scope
        self.configuration = configuration
        self.client = client
        self.owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        scheduler = JobScheduler(database: database, logger: logger)
        self.logger = logger
    }

    /// Enqueues due schedules, then claims and runs jobs until none is left (one at a time).
    /// Returns how many runs it made. What tests call instead of ``start()``.
    @discardableResult
    public func runAvailable() async throws -> Int {
        var runs = 0
        while true {
            guard let job = try await claimNext() else { return runs }
            await run(job)
            runs += 1
        }
    }

    /// The background loop: schedules, claims up to `maxConcurrentJobs`, runs them.
    public func start() -> Task<Void, Never> {
        Task { [self] in
            var failures = 0
            while !Task.isCancelled {
                do {
                    var claimed = false
                    while running.withLock({ $0.count }) < configuration.maxConcurrentJobs, let job = try await claimNext() {
                        claimed = true
                        running.withLock { _ = $0.insert(job.id) }
                        Task { [self] in
                            await run(job)
                            running.withLock { _ = $0.remove(job.id) }
                        }
                    }
                    failures = 0
                    if claimed { continue }
                } catch {
                    // Database down or restarting: say so once per back-off step, up to 30 s apart.
                    failures += 1
                    logger.warning("Job queue poll failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                let pause = failures == 0 ? configuration.pollInterval : min(30, configuration.pollInterval * pow(2, Double(failures)))
                try? await Task.sleep(for: .seconds(pause))
            }
        }
    }

    /// Due schedules enqueued, then the next claimable job of any client in scope.
    func claimNext() async throws -> ClaimedJob? {
        for clientID in try await store.clientsWithDueWork(dedicated: scope.clientID) {
            try await scheduler.enqueueDue(clientID: clientID)
            if let job = try await store.claim(clientID: clientID, owner: owner, leaseSeconds: configuration.leaseSeconds) {
                return job
            }
        }
        return nil
    }

    /// Runs one claimed job to its outcome. Never throws: every ending is recorded on the job.
    public func run(_ job: ClaimedJob) async {
        let tracker = JobProgressTracker(stored: job.progress, itemsDone: job.itemsProcessed, pagesDone: job.pagesProcessed, worker: owner)
        var log = logger
        log[metadataKey: "job_id"] = "\(job.id)"
        if let slug = try? await clientSlug(job.clientID) { log[metadataKey: "client"] = "\(slug)" }
        log.info("Job started", metadata: ["integration_id": "\(job.integrationID.map(String.init) ?? "-")", "mode": "\(job.mode.rawValue)",
                                           "attempt": "\(job.attempt)", "checkpoint": "\(job.checkpoint.prefix(200))"])
        metrics?.running.increment()
        defer { metrics?.running.decrement() }
        var provider = "push"
        let requested = RequestedAction()
        do {
            guard let integrationID = job.integrationID else { throw SyncError("the job names no integration", retryable: false) }
            let integration = try await loader.load(clientID: job.clientID, integrationID: integrationID)
            provider = integration.provider
            let connector = try registry.connector(for: integration, client: client, logger: log)
            let (context, events) = makeContext(job, integration: integration, tracker: tracker)
            defer { events.finish() }
            try await withHeartbeat(job, requested: requested) {
                try await connector.run(context)
            }
            try await end(job, .succeeded, tracker: tracker, provider: provider, logger: log)
        } catch let interruption as SyncInterruption {
            try? await end(job, interruption == .paused ? .paused : .cancelled, tracker: tracker, provider: provider, logger: log)
        } catch let lost as JobLeaseLost {
            metrics?.ended("lease_lost")
            log.warning("Job lease lost; another instance continues it", metadata: ["error": "\(lost)"])
        } catch {
            if let action = requested.value.withLock({ $0 }) {
                // Stopped while waiting (rate limit, retry sleep) by the heartbeat's cancel.
                try? await end(job, action == "pause" ? .paused : .cancelled, tracker: tracker, provider: provider, logger: log)
                return
            }
            let message = (error as? SyncError)?.message ?? "\(error)"
            let retryable = (error as? SyncError)?.retryable ?? !(error is CancellationError)
            let outcome: JobOutcome = retryable && job.attempt < job.maxAttempts
                ? .retry(message, delay: configuration.retryDelay(attempt: job.attempt)) : .failed(message)
            _ = tracker.error(message)
            try? await end(job, outcome, tracker: tracker, provider: provider, logger: log)
        }
    }

    private func makeContext(_ job: ClaimedJob, integration: SyncIntegration, tracker: JobProgressTracker)
        -> (SyncContext, AsyncStream<SyncProgressEvent>.Continuation) {
        let store = self.store, owner = self.owner, lease = configuration.leaseSeconds, metrics = self.metrics
        let events = AsyncStream<SyncProgressEvent>.makeStream()
        Task {
            for await event in events.stream {
                let snapshot = tracker.apply(event)
                _ = try? await store.updateProgress(job, owner: owner, progress: snapshot.json, event: Self.eventName(event))
            }
        }
        let context = SyncContext(
            integration: integration, mode: job.mode, checkpoint: job.checkpoint, database: store.database.client(job.clientID),
            commit: { checkpoint, items, body in
                let snapshot = tracker.page(items: items)
                let (action, _) = try await store.commitPage(job, owner: owner, leaseSeconds: lease, checkpoint: checkpoint, items: items,
                                                             progress: snapshot.json, body)
                metrics?.pages.increment()
                metrics?.items.increment(by: items)
                switch action {
                case "pause": throw SyncInterruption.paused
                case "cancel": throw SyncInterruption.cancelled
                default: break
                }
            },
            report: { event in events.continuation.yield(event) })
        return (context, events.continuation)
    }

    static func eventName(_ event: SyncProgressEvent) -> String {
        switch event.kind {
        case .phase: "phase"
        case .rateLimitWait: "rate_limit_wait"
        case .retry: "retry"
        case .skippedItem: "skipped_item"
        }
    }

    /// Runs `body` while extending the lease; a pause/cancel request seen by a heartbeat, or a
    /// lost lease, cancels `body` (a connector waiting on a rate limit stops at once).
    private func withHeartbeat(_ job: ClaimedJob, requested: RequestedAction, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let store = self.store, owner = self.owner, configuration = self.configuration
        let lost = Mutex(false)
        let work = Task { try await body() }
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.heartbeatInterval))
                if Task.isCancelled { return }
                switch try? await store.heartbeat(job, owner: owner, leaseSeconds: configuration.leaseSeconds) {
                case .lost:
                    lost.withLock { $0 = true }
                    work.cancel()
                    return
                case .held(let action?):
                    requested.value.withLock { $0 = action }
                    work.cancel()
                    return
                default: continue
                }
            }
        }
        defer { beat.cancel() }
        do {
            try await work.value
        } catch {
            if lost.withLock({ $0 }) { throw JobLeaseLost(jobID: job.id) }
            throw error
        }
    }

    private func end(_ job: ClaimedJob, _ outcome: JobOutcome, tracker: JobProgressTracker, provider: String, logger: Logger) async throws {
        let json = try await store.finish(job, owner: owner, outcome: outcome, progress: tracker.current.json, provider: provider)
        guard json != nil else {
            metrics?.ended("lease_lost")
            logger.warning("Job lease lost before its end was recorded")
            return
        }
        switch outcome {
        case .succeeded: metrics?.ended("succeeded")
        case .paused: metrics?.ended("paused")
        case .cancelled: metrics?.ended("cancelled")
        case .failed: metrics?.ended("failed")
        case .retry: metrics?.ended("retry")
        }
        switch outcome {
        case .succeeded: logger.info("Job succeeded", metadata: ["items": "\(tracker.current.items_done)", "pages": "\(tracker.current.pages_done)"])
        case .paused: logger.info("Job paused")
        case .cancelled: logger.info("Job cancelled")
        case .failed(let message): logger.error("Job failed", metadata: ["error": "\(message)"])
        case .retry(let message, let delay):
            logger.warning("Job will be retried", metadata: ["error": "\(message)", "delay_s": "\(JobProgressTracker.rounded(delay))"])
        }
    }

    /// A pause/cancel request a heartbeat saw while the connector was between pages.
    final class RequestedAction: Sendable {
        let value = Mutex<String?>(nil)
    }

    private func clientSlug(_ clientID: Int) async throws -> String? {
        try await store.database.query("SELECT pulse_client_slug($1)", [clientID]).first?.decode(String?.self, at: 0)
    }
}

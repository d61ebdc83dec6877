import Foundation
import Synchronization

/// The `progress` object of one job (stored in `etl_job_runs.progress`, shown by
/// `GET /etl/jobs/{id}` and every `/ws/jobs` frame): phase, items and pages done, rate,
/// ETA when a total is known, rate-limit waits, retries, skipped items and recent errors.
public struct JobProgressState: Codable, Sendable, Equatable {
    public var phase: String?
    /// Items and pages committed over the whole job (all attempts and takeovers).
    public var items_done: Int
    public var pages_done: Int
    /// Total items of the current phase, when the vendor says.
    public var phase_total_items: Int?
    public var phase_items_done: Int
    /// Items per second of this run (since this worker started or took the job over).
    public var rate_items_per_second: Double?
    /// Seconds to the end of the phase at the current rate, when its total is known.
    public var eta_seconds: Double?
    public var rate_limit_waits: Int
    public var rate_limit_wait_seconds: Double
    public var last_rate_limit: String?
    public var retries: Int
    public var skipped_items: Int
    /// The latest errors and skip reasons, newest last (at most 5, each at most 300 characters).
    public var errors: [String]
    /// Which instance runs it (`lease_owner`).
    public var worker: String?
    public var updated_at: String?

    public init() {
        items_done = 0
        pages_done = 0
        phase_items_done = 0
        rate_limit_waits = 0
        rate_limit_wait_seconds = 0
        retries = 0
        skipped_items = 0
        errors = []
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode(_ text: String) -> JobProgressState {
        (try? JSONDecoder().decode(JobProgressState.self, from: Data(text.utf8))) ?? JobProgressState()
    }
}

/// Accumulates one run's progress (thread-safe): the runner feeds it pages and connector
/// events and stores its snapshot.
public final class JobProgressTracker: Sendable {
    private struct State {
        var progress: JobProgressState
        var runStarted: Date
        var runItems: Int
    }
    private let state: Mutex<State>

    public init(stored: String, itemsDone: Int, pagesDone: Int, worker: String, now: Date = Date()) {
        var progress = JobProgressState.decode(stored)
        progress.items_done = itemsDone
        progress.pages_done = pagesDone
        progress.worker = worker
        state = Mutex(State(progress: progress, runStarted: now, runItems: 0))
    }

    /// The snapshot after a committed page of `items` items.
    public func page(items: Int, now: Date = Date()) -> JobProgressState {
        state.withLock { s in
            s.progress.items_done += items
            s.progress.pages_done += 1
            s.progress.phase_items_done += items
            s.runItems += items
            return Self.stamped(&s, now: now)
        }
    }

    /// The snapshot after a connector event.
    public func apply(_ event: SyncProgressEvent, now: Date = Date()) -> JobProgressState {
        state.withLock { s in
            switch event.kind {
            case .phase(let name, let total):
                s.progress.phase = name
                s.progress.phase_total_items = total
                s.progress.phase_items_done = 0
            case .rateLimitWait(let seconds, let reason):
                s.progress.rate_limit_waits += 1
                s.progress.rate_limit_wait_seconds += seconds
                s.progress.last_rate_limit = "waiting \(Self.rounded(seconds)) s: \(reason)"
            case .retry(let attempt, let reason):
                s.progress.retries += 1
                Self.remember("retry \(attempt): \(reason)", in: &s.progress)
            case .skippedItem(let reason):
                s.progress.skipped_items += 1
                Self.remember("skipped: \(reason)", in: &s.progress)
            }
            return Self.stamped(&s, now: now)
        }
    }

    /// Records a run error (a retry scheduled, or the failure).
    public func error(_ message: String, now: Date = Date()) -> JobProgressState {
        state.withLock { s in
            Self.remember(message, in: &s.progress)
            return Self.stamped(&s, now: now)
        }
    }

    public var current: JobProgressState { state.withLock { $0.progress } }

    private static func remember(_ message: String, in progress: inout JobProgressState) {
        progress.errors.append(String(message.prefix(300)))
        if progress.errors.count > 5 { progress.errors.removeFirst(progress.errors.count - 5) }
    }

    private static func stamped(_ s: inout State, now: Date) -> JobProgressState {
        let elapsed = now.timeIntervalSince(s.runStarted)
        if elapsed > 0, s.runItems > 0 {
            let rate = Double(s.runItems) / elapsed
            s.progress.rate_items_per_second = rounded(rate)
            if let total = s.progress.phase_total_items, rate > 0 {
                s.progress.eta_seconds = rounded(Double(max(0, total - s.progress.phase_items_done)) / rate)
            } else {
                s.progress.eta_seconds = nil
            }
        }
        s.progress.updated_at = ISO8601DateFormatter().string(from: now)
        return s.progress
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

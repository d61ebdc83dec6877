import Foundation
import Synchronization

/// Hands a stopping process's running jobs back to the queue: at `exit` (ServiceMain exits
/// after SIGTERM/SIGINT once the server has drained) the jobs still held are set `queued`
/// with their checkpoint, waiting at most `timeout` for the database, so the next instance
/// resumes them at once instead of after their lease. `kill -9` skips this; the lease covers it.
public enum ShutdownHandoff {
    private static let worker = Mutex<JobWorker?>(nil)
    private static let installed = Atomic<Bool>(false)
    /// Longest wait at exit for the database.
    public static let timeout: Double = 2

    /// Registers `worker` (the latest one registered is released at exit).
    public static func install(_ worker: JobWorker) {
        Self.worker.withLock { $0 = worker }
        guard !installed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        atexit {
            guard let worker = ShutdownHandoff.worker.withLock({ $0 }) else { return }
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                await worker.releaseRunningJobs()
                done.signal()
            }
            _ = done.wait(timeout: .now() + ShutdownHandoff.timeout)
        }
    }
}

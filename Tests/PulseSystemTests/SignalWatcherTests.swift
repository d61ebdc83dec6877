import Glibc
import PulseSystem
import Testing

/// SIGTERM/SIGINT become values on a stream instead of killing the process.
@Suite(.serialized) struct SignalWatcherTests {
    @Test func aRaisedSignalArrivesOnTheStream() async throws {
        let watcher = SignalWatcher(signals: [SIGUSR2])
        defer { watcher.cancel() }
        // Dispatch installs its handler asynchronously; raise until it is seen.
        let received = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await watcher.wait() }
            group.addTask {
                for _ in 0..<100 {
                    kill(getpid(), SIGUSR2)  // process-directed: any thread that does not block it
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(received == SIGUSR2)
    }
}

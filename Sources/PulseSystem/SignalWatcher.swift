import Dispatch
import Glibc
import Synchronization

/// Turns SIGTERM / SIGINT into an async stream, for graceful shutdown of service executables.
///
/// The default disposition of the watched signals is replaced by `SIG_IGN`, so the process no
/// longer dies on them; the owner decides what to do (usually: drain, then exit).
public final class SignalWatcher: Sendable {
    /// Signals as they arrive (their numbers, e.g. `SIGTERM` = 15).
    public let signals: AsyncStream<Int32>
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let continuation: AsyncStream<Int32>.Continuation

    /// Starts watching `signals` (SIGTERM and SIGINT by default).
    public init(signals watched: [Int32] = [SIGTERM, SIGINT]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = stream
        self.continuation = continuation
        var sources: [any DispatchSourceSignal] = []
        for number in watched {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    /// Waits for the first watched signal and returns its number.
    public func wait() async -> Int32? {
        for await number in signals { return number }
        return nil
    }

    /// Calls `handler` once, on the first watched signal, from a detached task.
    public func onFirstSignal(_ handler: @escaping @Sendable (Int32) async -> Void) {
        let stream = signals
        Task.detached {
            for await number in stream {
                await handler(number)
                return
            }
        }
    }

    /// Stops watching; the stream finishes.
    public func cancel() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources.removeAll()
        }
        continuation.finish()
    }
}

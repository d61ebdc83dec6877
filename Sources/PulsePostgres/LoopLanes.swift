import Glibc

/// The pipelined lanes driven by the current event loop thread, closed when that thread ends.
///
/// A loop that stops (its server shut down) never again reads its lanes' sockets: statements in
/// flight on them would wait forever. The thread's exit fails them instead, as `LoopReadiness`
/// does for pooled connections' waits.
enum LoopLanes {
    private final class Lanes {
        var all: [PipelinedLane] = []
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            let lanes = Unmanaged<Lanes>.fromOpaque(pointer).takeRetainedValue()
            let error = PostgresError(.connectionLost, message: "the event loop running the statement stopped")
            for lane in lanes.all { lane.close(with: error) }
        }
        precondition(rc == 0, "pthread_key_create failed")
        return key
    }()

    /// Records `lane` as driven by this thread. Call on the lane's loop thread.
    static func add(_ lane: PipelinedLane) {
        if let pointer = pthread_getspecific(key) {
            Unmanaged<Lanes>.fromOpaque(pointer).takeUnretainedValue().all.append(lane)
            return
        }
        let lanes = Lanes()
        lanes.all.append(lane)
        pthread_setspecific(key, Unmanaged.passRetained(lanes).toOpaque())
    }
}

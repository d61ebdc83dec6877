#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin pthread wrappers. The index keeps its graph in raw buffers, so these locks, not the type
// system, are what make it race free; the discipline is described on `HNSWIndex`.

/// A plain mutex.
final class PosixMutex: @unchecked Sendable {
    private let handle = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(handle, nil) }

    deinit {
        pthread_mutex_destroy(handle)
        handle.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(handle) }
    @inline(__always) func unlock() { pthread_mutex_unlock(handle) }

    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Readers-writer lock. Searches share it; a writer takes it exclusively only for the short
/// linking phase of an insert, so readers wait microseconds, not a whole insert.
final class ReadWriteLock: @unchecked Sendable {
    private let handle = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() {
        #if canImport(Glibc)
        // Prefer writers: a steady stream of searches must not starve inserts.
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(handle, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        #else
        pthread_rwlock_init(handle, nil)
        #endif
    }

    deinit {
        pthread_rwlock_destroy(handle)
        handle.deallocate()
    }

    @inline(__always) func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }

    @inline(__always) func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }
}

/// How graph code guards a node's link lists. A single writer needs no per-node locking
/// (``Unguarded``); the multi-threaded build locks nodes through a striped set of mutexes.
protocol LinkGuard {
    func lockNode(_ node: UInt32)
    func unlockNode(_ node: UInt32)
    /// Guards the entry point and top level while several threads insert.
    func lockGlobal()
    func unlockGlobal()
}

struct Unguarded: LinkGuard {
    @inline(__always) func lockNode(_ node: UInt32) {}
    @inline(__always) func unlockNode(_ node: UInt32) {}
    @inline(__always) func lockGlobal() {}
    @inline(__always) func unlockGlobal() {}
}

/// 4096 mutexes shared by all nodes (node id modulo 4096): constant memory, rare collisions.
final class StripedGuard: LinkGuard, @unchecked Sendable {
    private static let stripes = 4096
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    private let global = PosixMutex()

    init() {
        mutexes = .allocate(capacity: Self.stripes)
        for i in 0..<Self.stripes { pthread_mutex_init(mutexes + i, nil) }
    }

    deinit {
        for i in 0..<Self.stripes { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    @inline(__always) func lockNode(_ node: UInt32) { pthread_mutex_lock(mutexes + Int(node & 4095)) }
    @inline(__always) func unlockNode(_ node: UInt32) { pthread_mutex_unlock(mutexes + Int(node & 4095)) }
    @inline(__always) func lockGlobal() { global.lock() }
    @inline(__always) func unlockGlobal() { global.unlock() }
}

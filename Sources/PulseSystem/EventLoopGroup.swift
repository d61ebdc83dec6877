import Glibc
import Synchronization

/// A fixed set of event loops, one thread each (one per core by default).
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// Creates and starts `count` loops (at least one).
    public init(count: Int = EventLoopGroup.defaultCount) throws(SystemError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, count) { loops.append(try EventLoop(index: index)) }
        self.loops = loops
        for loop in loops { loop.start() }
    }

    /// The number of online CPUs.
    public static var defaultCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Round-robin choice of a loop.
    public func next() -> EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop and waits for their threads to end.
    public func shutdown() async {
        for loop in loops { await loop.stop() }
    }
}

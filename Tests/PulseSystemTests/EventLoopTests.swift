import Foundation
import Synchronization
import Testing
@testable import PulseSystem

/// The event loop as its users see it: work handed over from other threads runs on the loop
/// thread, timers fire in deadline order and not before their time, cancelled ones never.
@Suite struct EventLoopTests {
    /// Runs `body` with a started loop and always stops it.
    private func withLoop(_ body: (EventLoop) async throws -> Void) async throws {
        let loop = try EventLoop(index: 0)
        loop.start()
        do {
            try await body(loop)
        } catch {
            await loop.stop()
            throw error
        }
        await loop.stop()
    }

    @Test func executeFromAnotherThreadRunsOnTheLoopThread() async throws {
        try await withLoop { loop in
            #expect(!loop.inLoop)
            let ranInLoop = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                loop.execute { done.resume(returning: loop.inLoop) }
            }
            #expect(ranInLoop)
        }
    }

    @Test func manyWakeUpsFromManyThreadsAllRun() async throws {
        try await withLoop { loop in
            let count = Atomic<Int>(0)
            let total = 4 * 500
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                for _ in 0..<4 {
                    Thread.detachNewThread {
                        for _ in 0..<500 {
                            loop.execute {
                                if count.add(1, ordering: .relaxed).newValue == total { done.resume() }
                            }
                        }
                    }
                }
            }
            let ran = count.load(ordering: .relaxed)
            #expect(ran == total)
        }
    }

    @Test func timersFireInDeadlineOrderAndNotEarly() async throws {
        try await withLoop { loop in
            let fired = Mutex<[(Int, UInt64)]>([])
            let start = monotonicNanos()
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                for delay in [60, 20, 40] {
                    loop.scheduleTask(after: .milliseconds(delay)) {
                        let count = fired.withLock { list in
                            list.append((delay, monotonicNanos() - start))
                            return list.count
                        }
                        if count == 3 { done.resume() }
                    }
                }
            }
            let list = fired.withLock { $0 }
            #expect(list.map(\.0) == [20, 40, 60])
            for (delay, elapsed) in list {
                #expect(elapsed >= UInt64(delay) * 1_000_000, "timer of \(delay) ms fired after \(elapsed) ns")
            }
        }
    }

    @Test func aCancelledTimerNeverFires() async throws {
        try await withLoop { loop in
            let cancelledFired = Atomic<Bool>(false)
            let timer = loop.scheduleTask(after: .milliseconds(20)) { cancelledFired.store(true, ordering: .relaxed) }
            timer.cancel()
            // A later timer on the same loop proves the earlier deadline has passed.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                loop.scheduleTask(after: .milliseconds(60)) { done.resume() }
            }
            let fired = cancelledFired.load(ordering: .relaxed)
            #expect(!fired)
        }
    }

    @Test func stopRunsTheStopHandlers() async throws {
        let loop = try EventLoop(index: 3)
        loop.start()
        let stopped = Atomic<Bool>(false)
        loop.whenStopped { stopped.store(true, ordering: .relaxed) }
        await loop.stop()
        let ranHandler = stopped.load(ordering: .relaxed)
        #expect(ranHandler)
        #expect(loop.hasFinished)
    }

    @Test func groupHandsOutItsLoopsInTurn() async throws {
        let group = try EventLoopGroup(count: 3)
        let picked = (0..<6).map { _ in group.next().index }
        #expect(Set(picked) == [0, 1, 2])
        #expect(picked[0] != picked[1])
        await group.shutdown()
    }
}

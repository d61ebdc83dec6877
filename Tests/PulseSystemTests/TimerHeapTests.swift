@testable import PulseSystem
import Testing

@Suite struct TimerHeapTests {
    @Test func firesInDeadlineOrderAndSkipsCancelled() {
        var heap = TimerHeap()
        var fired: [Int] = []
        let ids = [50, 10, 30, 20, 40].map { deadline in
            (deadline, heap.schedule(at: UInt64(deadline)) { fired.append(deadline) })
        }
        heap.cancel(ids.first { $0.0 == 30 }!.1)
        #expect(heap.earliestDeadline() == 10)
        for callback in heap.popExpired(now: 35) { callback() }
        #expect(fired == [10, 20])
        #expect(heap.earliestDeadline() == 40)
        for callback in heap.popExpired(now: 100) { callback() }
        #expect(fired == [10, 20, 40, 50])
        #expect(heap.isEmpty)
    }

    @Test func epollCreationFailureIsTyped() {
        #expect(throws: SystemError.self) { try Epoll.create(file: -1) }
    }
}

import CLinuxShims
import Dispatch
import Foundation
import Glibc
import Synchronization

/// Something registered with an event loop for readiness events. Called on the loop thread only.
package protocol EventHandler: AnyObject {
    /// `events` is the epoll event mask (see `Epoll.readable` etc.).
    func handleEvent(_ events: UInt32)
}

/// A cancellable timer on an event loop; `cancel()` may be called from any thread.
/// A cancelled timer's callback is skipped when its deadline comes.
public struct ScheduledTimer: Sendable {
    final class Token: Sendable {
        let cancelled = Atomic<Bool>(false)
    }
    let token: Token

    public func cancel() { token.cancelled.store(true, ordering: .relaxed) }
}

/// One thread running `epoll_wait`. Work from other threads arrives through `execute`, which
/// queues the task and wakes the loop through an eventfd; timers are kept in a heap and the
/// earliest one arms a timerfd. Everything registered with the loop is touched only on its thread.
public final class EventLoop: @unchecked Sendable {
    private struct Registration {
        var id: UInt32
        var handler: any EventHandler
    }

    private static let wakeToken: UInt64 = UInt64.max
    private static let timerToken: UInt64 = UInt64.max - 1

    /// Position of this loop in its group (for logs and metrics).
    public let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let timerFD: Int32
    /// Work queued for the loop: closures from `execute`, and Swift jobs (tasks preferring this
    /// loop as executor) kept as bare `UnownedJob`s so a task resumption allocates nothing.
    private enum Work: Sendable {
        case task(@Sendable () -> Void)
        case job(UnownedJob)
    }
    private let pending = Mutex<[Work]>([])
    /// The previous batch's array, emptied, swapped back into `pending` (no allocation per batch).
    private var spareBatch: [Work] = []
    private let finishedFlag = Atomic<Bool>(false)
    private let wakePending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    /// The loop thread's pthread_t (0 before it starts), for the cheap `inLoop` check.
    private let threadID = Atomic<UInt>(0)
    private struct Finish {
        var done = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var stopHandlers: [@Sendable () -> Void] = []
    }
    private let finished = Mutex(Finish())

    // Loop-confined state.
    private var registrations: [Registration?] = []
    private var nextRegistrationID: UInt32 = 1
    private var timers = TimerHeap()
    private var armedDeadline: UInt64 = 0
    /// A 64 KiB scratch buffer for reads, shared by every connection of this loop.
    package let readBuffer: UnsafeMutableRawBufferPointer

    package init(index: Int) throws(SystemError) {
        self.index = index
        epfd = try Epoll.create()
        wakeFD = try Epoll.makeEventFD()
        timerFD = try Epoll.makeTimerFD()
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        try Epoll.control(epfd, EPOLL_CTL_ADD, wakeFD, events: Epoll.readable, data: Self.wakeToken)
        try Epoll.control(epfd, EPOLL_CTL_ADD, timerFD, events: Epoll.readable, data: Self.timerToken)
    }

    deinit {
        Glibc.close(epfd)
        Glibc.close(wakeFD)
        Glibc.close(timerFD)
        readBuffer.deallocate()
    }

    /// True once the loop thread has ended.
    package var hasFinished: Bool { finishedFlag.load(ordering: .acquiring) }

    /// True when called on this loop's thread.
    public var inLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Runs `task` on the loop thread, soon. Safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        submit(.task(task))
    }

    private func submit(_ work: Work) {
        pending.withLock { $0.append(work) }
        // On the loop thread no wake-up is needed: the loop looks at the queue before it waits.
        if !inLoop && !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Runs `task` on the loop after `delay`. Safe from any thread.
    @discardableResult
    public func scheduleTask(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ScheduledTimer {
        let deadline = monotonicNanos() &+ delay.nanoseconds
        let token = ScheduledTimer.Token()
        let fire: @Sendable () -> Void = { if !token.cancelled.load(ordering: .relaxed) { task() } }
        if inLoop {
            _ = scheduleTimer(at: deadline, fire)
        } else {
            execute { _ = self.scheduleTimer(at: deadline, fire) }
        }
        return ScheduledTimer(token: token)
    }

    // MARK: Loop-only API

    /// Schedules `callback` at the monotonic `deadline` (ns). Loop thread only.
    package func scheduleTimer(at deadline: UInt64, _ callback: @escaping () -> Void) -> UInt64 {
        let id = timers.schedule(at: deadline, callback)
        rearmTimer()
        return id
    }

    package func cancelTimer(_ id: UInt64) {
        timers.cancel(id)
    }

    /// Registers `fd`; returns nothing, the registration id is kept internally to drop stale events.
    package func register(_ fd: Int32, events: UInt32, handler: any EventHandler) throws(SystemError) {
        let index = Int(fd)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index + 1 - registrations.count + 64))
        }
        let id = nextRegistrationID
        nextRegistrationID &+= 1
        if nextRegistrationID == 0 { nextRegistrationID = 1 }
        registrations[index] = Registration(id: id, handler: handler)
        do {
            try Epoll.control(epfd, EPOLL_CTL_ADD, fd, events: events, data: UInt64(id) << 32 | UInt64(UInt32(bitPattern: fd)))
        } catch {
            registrations[index] = nil
            throw error
        }
    }

    package func modify(_ fd: Int32, events: UInt32) {
        guard let registration = registrations[Int(fd)] else { return }
        try? Epoll.control(epfd, EPOLL_CTL_MOD, fd, events: events, data: UInt64(registration.id) << 32 | UInt64(UInt32(bitPattern: fd)))
    }

    /// Removes `fd` from the loop. Call before closing the descriptor.
    package func unregister(_ fd: Int32) {
        guard Int(fd) < registrations.count, registrations[Int(fd)] != nil else { return }
        registrations[Int(fd)] = nil
        try? Epoll.control(epfd, EPOLL_CTL_DEL, fd, events: 0, data: 0)
    }

    private func rearmTimer() {
        let earliest = timers.earliestDeadline() ?? 0
        if earliest != armedDeadline {
            armedDeadline = earliest
            Epoll.armTimer(timerFD, deadline: earliest)
        }
    }

    // MARK: Running

    /// Starts the loop on a new thread.
    package func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "pulse-loop-\(index)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Asks the loop to stop after its current iteration and waits until its thread has finished.
    package func stop() async {
        stopRequested.store(true, ordering: .releasing)
        execute {}
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Runs `body` on the loop thread once the loop has stopped (at once, on this thread, if it
    /// already has): for waits that would otherwise stay suspended on a loop that never runs
    /// again. Tasks resumed from `body` continue off the loop.
    package func whenStopped(_ body: @escaping @Sendable () -> Void) {
        let stopped = finished.withLock { state -> Bool in
            if state.done { return true }
            state.stopHandlers.append(body)
            return false
        }
        if stopped { body() }
    }

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while !stopRequested.load(ordering: .acquiring) {
            runPendingTasks()
            runExpiredTimers()
            let hasWork = pending.withLock { !$0.isEmpty }
            let count = epoll_wait(epfd, events, Int32(capacity), hasWork ? 0 : -1)
            if count < 0 { continue }  // EINTR: no events, go round again
            for i in 0..<Int(count) {
                let event = events[i]
                let data = event.data.u64
                if data == Self.wakeToken {
                    Epoll.drainCounter(wakeFD)
                    wakePending.store(false, ordering: .releasing)
                } else if data == Self.timerToken {
                    Epoll.drainCounter(timerFD)
                    armedDeadline = 0
                } else {
                    let fd = Int(UInt32(truncatingIfNeeded: data))
                    let id = UInt32(truncatingIfNeeded: data >> 32)
                    guard fd < registrations.count, let registration = registrations[fd], registration.id == id else { continue }
                    registration.handler.handleEvent(event.events)
                }
            }
        }
        runPendingTasks()
        finishedFlag.store(true, ordering: .releasing)
        let (waiters, handlers) = finished.withLock { state in
            state.done = true
            defer { (state.waiters, state.stopHandlers) = ([], []) }
            return (state.waiters, state.stopHandlers)
        }
        for handler in handlers { handler() }
        for waiter in waiters { waiter.resume() }
    }

    private func runPendingTasks() {
        while true {
            var batch = spareBatch
            spareBatch = []
            pending.withLock { swap(&$0, &batch) }
            if batch.isEmpty {
                spareBatch = batch
                return
            }
            let executor = asUnownedTaskExecutor()
            for work in batch {
                switch work {
                case .task(let task): task()
                case .job(let job): job.runSynchronously(on: executor)
                }
            }
            batch.removeAll(keepingCapacity: batch.capacity <= 4096)
            spareBatch = batch
        }
    }

    private func runExpiredTimers() {
        if timers.isEmpty { return }
        let due = timers.popExpired(now: monotonicNanos())
        for callback in due { callback() }
        rearmTimer()
    }
}

extension EventLoop {
    /// The event loop the current task prefers and whose thread this is (nil elsewhere, e.g.
    /// on Swift's global pool, or once the loop has stopped).
    package static var current: EventLoop? {
        let executor = withUnsafeCurrentTask { task in task?.unownedTaskExecutor?.asTaskExecutor() }
        guard let loop = executor as? EventLoop, loop.inLoop, !loop.hasFinished else { return nil }
        return loop
    }
}

/// An event loop can run Swift tasks: `Task(executorPreference: loop) { ... }` keeps a handler's
/// synchronous stretches on the loop thread, so a response needs no thread hop. Code that
/// awaits still suspends and lets the loop go on; only CPU-heavy work would hold it.
extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if hasFinished {
            // The loop thread is gone (server shut down while a handler was suspended): finish
            // the task elsewhere rather than leaking it.
            let executor = asUnownedTaskExecutor()
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
            return
        }
        submit(.job(job))
    }
}

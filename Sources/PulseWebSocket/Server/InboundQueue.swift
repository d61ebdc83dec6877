/// The session's inbound messages between the event loop (which delivers) and the application
/// task (which takes), kept inside the session's lock. Replaces an `AsyncStream`, whose generic,
/// unspecialised code cost about a tenth of the server's CPU per echoed message.
struct InboundQueue {
    private var messages: [WebSocketMessage] = []
    private var head = 0
    /// Tasks waiting in `nextMessage()` (normally at most one).
    private var waiters: [UnsafeContinuation<WebSocketMessage?, Never>] = []
    private(set) var isFinished = false

    /// Hands `message` to a waiting task (returned, to resume outside the lock) or queues it.
    /// Messages after the end are dropped.
    mutating func deliver(_ message: WebSocketMessage) -> UnsafeContinuation<WebSocketMessage?, Never>? {
        if isFinished { return nil }
        if !waiters.isEmpty { return waiters.removeFirst() }
        messages.append(message)
        return nil
    }

    /// The oldest queued message, or nil.
    mutating func take() -> WebSocketMessage? {
        guard head < messages.count else { return nil }
        let message = messages[head]
        head += 1
        if head == messages.count {
            messages.removeAll(keepingCapacity: messages.capacity <= 256)
            head = 0
        } else if head >= 64 && head * 2 >= messages.count {
            messages.removeSubrange(0..<head)  // a slow consumer: drop what it has taken
            head = 0
        }
        return message
    }

    mutating func wait(_ continuation: UnsafeContinuation<WebSocketMessage?, Never>) { waiters.append(continuation) }

    /// Ends the sequence: queued messages are still taken, then nil. Returns the waiters to
    /// resume with nil (outside the lock).
    mutating func finish() -> [UnsafeContinuation<WebSocketMessage?, Never>] {
        isFinished = true
        defer { waiters = [] }
        return waiters
    }
}

extension WebSocketSession {
    /// The application's side: the next message, nil once the session has ended (or the
    /// calling task was cancelled). Counts the message as consumed for the inbound bound.
    func nextMessage() async -> WebSocketMessage? {
        let (ready, finished, flushFirst) = state.withLock { s -> (WebSocketMessage?, Bool, Bool) in
            if let message = s.inbound.take() {
                s.consumed(message)
                return (message, false, false)
            }
            return (nil, s.inbound.isFinished, s.deferred != nil && s.taken >= s.yielded)
        }
        if let ready { return ready }
        // Every delivered message is answered: a held-back close may go now.
        if flushFirst { flushDeferred() }
        if finished { return nil }
        let message = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<WebSocketMessage?, Never>) in
                let ready = state.withLock { s -> WebSocketMessage?? in
                    if let message = s.inbound.take() { return .some(message) }
                    if s.inbound.isFinished { return .some(nil) }
                    s.inbound.wait(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            for waiter in state.withLock({ $0.inbound.finish() }) { waiter.resume(returning: nil) }
        }
        if let message { state.withLock { $0.consumed(message) } }
        return message
    }

    /// Ends the inbound sequence (the session is over).
    func finishInbound() {
        for waiter in state.withLock({ $0.inbound.finish() }) { waiter.resume(returning: nil) }
    }
}

extension WebSocketSession.State {
    /// Accounts a message the application has taken.
    mutating func consumed(_ message: WebSocketMessage) {
        inboundBytes -= WebSocketSession.size(of: message)
        taken += 1
    }
}

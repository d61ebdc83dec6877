import PulseHTTP
import PulseSystem

/// The event-loop side of a session: fed by the HTTP upgrade hook.
extension WebSocketSession {
    func attach(_ connection: UpgradedConnection) {
        state.withLock { s in
            s.connection = connection
            s.lastReceived = .now
        }
        scheduleKeepalive()
    }

    func received(_ bytes: [UInt8]) {
        var actions = state.withLock { s in
            s.lastReceived = .now
            return s.machine.receive(bytes)
        }
        // Messages that arrived before a close (the peer's or ours for an error) are
        // answered first: hold the closing actions until the application took them.
        let lastDeliver = actions.lastIndex { if case .deliver = $0 { return true } else { return false } }
        let appBehind = state.withLock { $0.taken < $0.yielded }
        if let last = actions.last, case .closeConnection = last, lastDeliver != nil || appBehind {
            let firstHeld = lastDeliver.map { $0 + 1 } ?? 0
            let held = Array(actions[firstHeld...])
            actions.removeSubrange(firstHeld...)
            let connection = state.withLock { s in
                s.deferred = held
                s.machine.deferringClose = true
                return s.connection
            }
            let timer = connection?.schedule(after: configuration.closeTimeout) { [weak self] in self?.flushDeferred() }
            if let timer { state.withLock { $0.timers.append(timer) } }
        }
        perform(actions)
    }

    /// Performs held-back closing actions (once).
    func flushDeferred() {
        let held = state.withLock { s -> [WebSocketAction]? in
            defer {
                s.deferred = nil
                s.machine.deferringClose = false
            }
            return s.deferred
        }
        if let held { perform(held) }
    }

    func drained() {
        let waiters = state.withLock { s in
            defer { s.drainWaiters = [] }
            return s.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sends our close frame and arms the close timeout; no-op once closing.
    func startClose(code: WebSocketCloseCode, reason: String) {
        flushDeferred()  // a close already decided on goes first
        let connection = state.withLock { s -> UpgradedConnection? in
            guard let bytes = s.machine.close(code: code, reason: reason), let connection = s.connection else { return nil }
            connection.write(bytes)
            return connection
        }
        guard let connection else { return }
        let timer = connection.schedule(after: configuration.closeTimeout) { [weak self] in
            self?.finish(code, "close timed out")
            connection.abort()
        }
        state.withLock { $0.timers.append(timer) }
    }

    /// Fails the session now: close frame (best effort) and the connection closed. With
    /// `abort` (the peer is not reading) the socket closes at once instead of after a flush
    /// that would never finish.
    func fail(_ code: WebSocketCloseCode, _ reason: String, abort: Bool = false) {
        let connection = state.withLock { s -> UpgradedConnection? in
            if let bytes = s.machine.close(code: code, reason: reason) { s.connection?.write(bytes) }
            return s.connection
        }
        finish(code, reason)
        if abort { connection?.abort() } else { connection?.close() }
    }

    /// The HTTP server reports the connection closed: settle everything.
    func connectionClosed() {
        let (waiters, callbacks, timers) = state.withLock { s in
            s.connectionGone = true
            _ = s.machine.connectionLost()
            defer {
                s.drainWaiters = []
                s.onClose = []
                s.timers = []
                s.keepalive = nil
                s.drainTimer = nil
                s.connection = nil
            }
            return (s.drainWaiters, s.onClose, s.timers + [s.keepalive, s.drainTimer].compactMap { $0 })
        }
        finish(.abnormalClosure, "connection lost")
        for timer in timers { timer.cancel() }
        for waiter in waiters { waiter.resume(throwing: WebSocketClientError.closed(closeStatus?.code ?? .abnormalClosure)) }
        for callback in callbacks { callback() }
    }

    private func perform(_ actions: [WebSocketAction]) {
        for action in actions {
            switch action {
            case .write(let bytes):
                state.withLock { $0.connection }?.write(bytes)
            case .deliver(let message):
                let (over, waiter) = state.withLock { s -> (Bool, UnsafeContinuation<WebSocketMessage?, Never>?) in
                    s.inboundBytes += Self.size(of: message)
                    s.yielded += 1
                    if s.inboundBytes > configuration.maxInboundQueueBytes { return (true, nil) }
                    // Handed straight to a waiting application task, or queued; counted as
                    // taken only when that task runs (a held-back close waits for it).
                    return (false, s.inbound.deliver(message))
                }
                if over {
                    fail(.policyViolation, "inbound queue full")
                    return
                }
                waiter?.resume(returning: message)
            case .pongReceived:
                break
            case .closeConnection(let code, let reason):
                finish(code, reason)
                state.withLock { $0.connection }?.close()
            }
        }
    }

    /// Records the first ending and ends the inbound sequence.
    func finish(_ code: WebSocketCloseCode, _ reason: String) {
        let first = state.withLock { s -> Bool in
            guard s.ending == nil else { return false }
            s.ending = (code, reason)
            return true
        }
        if first { finishInbound() }
    }

    private func scheduleKeepalive() {
        guard let interval = configuration.pingInterval else { return }
        let tick = min(interval, configuration.pongTimeout)
        guard let connection = state.withLock({ $0.connection }) else { return }
        let timer = connection.schedule(after: tick) { [weak self] in self?.keepaliveTick() }
        state.withLock { $0.keepalive = timer }
    }

    private func keepaliveTick() {
        guard let interval = configuration.pingInterval else { return }
        let (silent, gone) = state.withLock { s in (ContinuousClock.now - s.lastReceived, s.connectionGone || s.ending != nil) }
        if gone { return }
        if silent >= interval + configuration.pongTimeout {
            // Dead peer: no bytes, not even a pong, for too long.
            finish(.abnormalClosure, "peer stopped answering pings")
            state.withLock { $0.connection }?.abort()
            return
        }
        if silent >= interval { ping() }
        scheduleKeepalive()
    }

    static func size(of message: WebSocketMessage) -> Int {
        switch message {
        case .text(let s): return s.utf8.count
        case .binary(let b): return b.count
        }
    }
}

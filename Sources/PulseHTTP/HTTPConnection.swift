import Glibc
import PulseSystem

/// One accepted socket, confined to its event loop. Reads feed the parser; complete requests go
/// to the responder as a task, one at a time per connection, so pipelined responses leave in
/// order; responses are queued in `outbound` and written as the socket allows.
final class HTTPConnection: EventHandler, @unchecked Sendable {
    enum Mode {
        case http
        case upgraded
        /// Our side is shut for writing; reading and discarding until the peer closes.
        case lingering
        case closed
    }

    enum ReadPhase {
        case none, idle, head, body, linger
    }

    let fd: Int32
    let remote: SocketAddress?
    let loopState: LoopState
    var loop: EventLoop { loopState.loop }
    var core: ServerCore { loopState.core }

    var mode: Mode = .http
    var parser: HTTPRequestParser
    var inbound: [UInt8] = []
    var inboundStart = 0
    var outbound: [UInt8] = []
    var outboundStart = 0
    private var interest: UInt32 = Epoll.readable | Epoll.peerClosed

    // The request being assembled and the one being answered.
    var head: HTTPParsedHead?
    var body: [UInt8] = []
    var inFlight = false
    var closeAfterFlush = false
    var peerClosedRead = false
    var shutdownRequested = false
    var readPaused = false

    // Upgraded connections.
    var upgradeHandler: (any HTTPUpgradeHandler)?
    var upgraded: UpgradedConnection?
    var writeWasBlocked = false

    // Streamed bodies waiting for the queue to drain.
    var drainWaiters: [CheckedContinuation<Void, any Error>] = []

    // Deadlines (monotonic ns, 0 = none) and the one timer armed for them.
    var readPhase: ReadPhase = .none
    var readDeadline: UInt64 = 0
    var writeDeadline: UInt64 = 0
    private var timerArmedAt: UInt64 = 0

    init(fd: Int32, remote: SocketAddress?, loopState: LoopState) {
        self.fd = fd
        self.remote = remote
        self.loopState = loopState
        self.parser = HTTPRequestParser(limits: loopState.core.parserLimits)
    }

    func start() {
        updateReadDeadline()
    }

    // MARK: Events

    func handleEvent(_ events: UInt32) {
        if case .closed = mode { return }
        if events & Epoll.error != 0 && events & Epoll.readable == 0 {
            close(error: SystemError(errno: ECONNRESET, function: "epoll"))
            return
        }
        if events & Epoll.hangup != 0 && readPaused && events & Epoll.readable == 0 {
            // Both directions are gone and we are not reading: nothing left to do.
            close(error: nil)
            return
        }
        if events & (Epoll.readable | Epoll.hangup) != 0 { readable() }
        if case .closed = mode { return }
        if events & Epoll.writable != 0 { flush() }
    }

    private func readable() {
        let buffer = loop.readBuffer
        let result: IOResult<Int>
        do {
            result = try Socket.read(fd, into: buffer)
        } catch {
            close(error: error)
            return
        }
        guard case .processed(let n) = result else { return }
        switch mode {
        case .closed:
            return
        case .lingering:
            if n == 0 { close(error: nil) }
        case .upgraded:
            if n == 0 {
                peerClosedRead = true
                close(error: nil)
                return
            }
            if let handler = upgradeHandler, let upgraded {
                handler.received([UInt8](UnsafeRawBufferPointer(rebasing: buffer[0..<n])), on: upgraded)
            }
        case .http:
            if n == 0 {
                peerClosedRead = true
                if inFlight || !outboundIsEmpty {
                    closeAfterFlush = true
                    pauseReading()
                } else {
                    close(error: nil)
                }
                return
            }
            // After a refused request nothing more is parsed: drop what keeps coming.
            if closeAfterFlush && !inFlight { return }
            inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            processInbound()
            if case .http = mode, inFlight, inbound.count - inboundStart > 64 * 1024 { pauseReading() }
        }
    }

    var outboundIsEmpty: Bool { outboundStart == outbound.count }

    // MARK: Parsing

    func processInbound() {
        while case .http = mode, !inFlight, !closeAfterFlush {
            let start = inboundStart
            let result = inbound.withUnsafeBytes { raw in
                Result { () throws(HTTPParserError) in try parser.parse(UnsafeRawBufferPointer(rebasing: raw[start...])) }
            }
            let step: (consumed: Int, event: HTTPParserEvent?)
            do {
                step = try result.get()
            } catch {
                failRequest(status: HTTPStatus(code: error.status), detail: error.reason)
                return
            }
            inboundStart += step.consumed
            guard let event = step.event else { break }
            switch event {
            case .head(let parsed):
                head = parsed
                body = []
                if parsed.unsupportedExpectation {
                    failRequest(status: .expectationFailed, detail: "only 100-continue is supported")
                    return
                }
                if parsed.expectContinue && parsed.minorVersion >= 1 && parsed.framing != .none && inboundStart == inbound.count {
                    outbound.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    flush()
                }
            case .body(let bytes):
                body.append(contentsOf: bytes)
            case .end:
                dispatch()
            }
        }
        compactInbound()
        updateReadDeadline()
    }

    private func compactInbound() {
        if inboundStart == inbound.count {
            inbound.removeAll(keepingCapacity: inbound.capacity <= 16 * 1024)
            inboundStart = 0
        } else if inboundStart > 16 * 1024 {
            inbound.removeSubrange(0..<inboundStart)
            inboundStart = 0
        }
    }

    /// Answers a request the parser (or a timeout) refused, then closes.
    func failRequest(status: HTTPStatus, detail: String) {
        head = nil
        body = []
        let problem = ProblemDetails(status: status, detail: detail)
        var extra: [(String, String)] = [("Content-Length", String(problem.jsonBytes().count)), ("Connection", "close")]
        extra.append(("Date", loopState.dateCache.current()))
        ResponseHead.write(status: status, headers: ["Content-Type": "application/problem+json"], extra: extra, into: &outbound)
        outbound.append(contentsOf: problem.jsonBytes())
        core.observer.requestFinished(
            HTTPRequestRecord(method: "-", routePattern: nil, status: status.code, duration: .zero, requestBodyBytes: 0, responseBodyBytes: problem.jsonBytes().count)
        )
        closeAfterFlush = true
        setReadPhase(.none)
        flush()
    }

    /// Answers 503 and closes: the connection limit is reached.
    func rejectOverloaded() {
        inFlight = true  // never parse anything on this connection
        let problem = ProblemDetails(status: .serviceUnavailable, detail: "the server is at its connection limit")
        let bytes = problem.jsonBytes()
        ResponseHead.write(
            status: .serviceUnavailable,
            headers: ["Content-Type": "application/problem+json", "Retry-After": "1"],
            extra: [("Content-Length", String(bytes.count)), ("Connection", "close")],
            into: &outbound
        )
        outbound.append(contentsOf: bytes)
        closeAfterFlush = true
        flush()
    }

    // MARK: Writing

    /// Writes as much of `outbound` as the socket takes; arms EPOLLOUT for the rest.
    func flush() {
        while outboundStart < outbound.count {
            let start = outboundStart
            let result = outbound.withUnsafeBytes { raw in
                Result { () throws(SystemError) in try Socket.write(fd, from: UnsafeRawBufferPointer(rebasing: raw[start...])) }
            }
            switch result {
            case .failure(let error):
                close(error: error)
                return
            case .success(.wouldBlock):
                writeWasBlocked = true
                if writeDeadline == 0 { writeDeadline = monotonicNanos() &+ core.writeTimeout }
                setInterest(writable: true)
                upgraded?.setQueued(outbound.count - outboundStart)
                armTimer()
                return
            case .success(.processed(let n)):
                outboundStart += n
                writeDeadline = 0
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
        outboundStart = 0
        writeDeadline = 0
        setInterest(writable: false)
        if !drainWaiters.isEmpty {
            let waiters = drainWaiters
            drainWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        if let upgraded {
            upgraded.setQueued(0)
            if writeWasBlocked, case .upgraded = mode {
                writeWasBlocked = false
                upgradeHandler?.writeQueueDrained(on: upgraded)
            }
        }
        writeWasBlocked = false
        if closeAfterFlush {
            switch mode {
            case .http, .upgraded: lingerClose()
            default: break
            }
        }
    }

    /// Half-closes our side and waits briefly for the peer to close, so a response is not lost
    /// to a reset caused by unread request bytes.
    private func lingerClose() {
        Socket.shutdownWrite(fd)
        mode = .lingering
        inbound = []
        inboundStart = 0
        readPaused = false
        setInterest(writable: false)
        setReadPhase(.linger)
    }

    // MARK: Interest and reading

    func pauseReading() {
        guard !readPaused else { return }
        readPaused = true
        setInterest(writable: !outboundIsEmpty)
    }

    func resumeReading() {
        guard readPaused, !peerClosedRead else { return }
        readPaused = false
        setInterest(writable: !outboundIsEmpty)
    }

    private func setInterest(writable: Bool) {
        guard case .closed = mode else {
            var wanted: UInt32 = readPaused ? 0 : (Epoll.readable | Epoll.peerClosed)
            if writable { wanted |= Epoll.writable }
            if wanted != interest {
                interest = wanted
                loop.modify(fd, events: wanted)
            }
            return
        }
    }

    // MARK: Deadlines

    func updateReadDeadline() {
        guard case .http = mode else { return }
        if inFlight || closeAfterFlush {
            setReadPhase(.none)
        } else if parser.isIdle && inboundStart == inbound.count {
            if head == nil { setReadPhase(.idle) }
        } else if parser.isReadingHead {
            setReadPhase(.head)
        } else {
            setReadPhase(.body)
        }
    }

    func setReadPhase(_ phase: ReadPhase) {
        if phase == readPhase { return }
        readPhase = phase
        let now = monotonicNanos()
        switch phase {
        case .none: readDeadline = 0
        case .idle: readDeadline = now &+ core.idleTimeout
        case .head: readDeadline = now &+ core.headerTimeout
        case .body: readDeadline = now &+ core.bodyTimeout
        case .linger: readDeadline = now &+ core.lingerTimeout
        }
        armTimer()
    }

    private func armTimer() {
        let next: UInt64 = readDeadline == 0 ? writeDeadline : (writeDeadline == 0 ? readDeadline : min(readDeadline, writeDeadline))
        guard next != 0 else { return }
        if timerArmedAt == 0 || timerArmedAt > next {
            timerArmedAt = next
            _ = loop.scheduleTimer(at: next) { [self] in self.timerFired(at: next) }
        }
    }

    private func timerFired(at armed: UInt64) {
        guard armed == timerArmedAt else { return }  // superseded by an earlier one
        timerArmedAt = 0
        if case .closed = mode { return }
        let now = monotonicNanos()
        if writeDeadline != 0 && now >= writeDeadline {
            close(error: SystemError.timedOut("write"))
            return
        }
        if readDeadline != 0 && now >= readDeadline {
            readDeadline = 0
            let phase = readPhase
            readPhase = .none
            switch phase {
            case .idle, .linger, .none:
                close(error: nil)
            case .head, .body:
                failRequest(status: .requestTimeout, detail: phase == .head ? "request head not received in time" : "request body not received in time")
            }
            return
        }
        armTimer()
    }

    // MARK: Shutdown and close

    /// Graceful shutdown: finish what is in flight, then close; upgraded handlers are told.
    func beginShutdown() {
        shutdownRequested = true
        switch mode {
        case .upgraded:
            if let handler = upgradeHandler, let upgraded { handler.serverShuttingDown(on: upgraded) }
        case .http:
            if !inFlight && parser.isIdle && inboundStart == inbound.count {
                if outboundIsEmpty { close(error: nil) } else { closeAfterFlush = true }
            }
        default:
            break
        }
    }

    func close(error: (any Error)?) {
        if case .closed = mode { return }
        mode = .closed
        loop.unregister(fd)
        Socket.close(fd)
        loopState.remove(self)
        core.openConnections.wrappingSubtract(1, ordering: .relaxed)
        core.observer.connectionClosed()
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter.resume(throwing: HTTPConnectionClosed()) }
        if let handler = upgradeHandler, let upgraded {
            upgradeHandler = nil
            upgraded.markClosed()
            upgraded.setQueued(0)
            core.observer.upgradedConnectionClosed()
            handler.closed(error: error)
        }
        inbound = []
        outbound = []
    }
}

/// Thrown to a streamed body's writer when the client has gone.
public struct HTTPConnectionClosed: Error, Sendable {}


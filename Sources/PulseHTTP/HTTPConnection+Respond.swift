import PulseSystem
import Synchronization

/// Running the responder and writing its response.
extension HTTPConnection {
    /// What the response writer needs to know about the request it answers.
    struct RequestInfo: Sendable {
        var method: String
        var isHead: Bool
        var minorVersion: Int
        var keepAlive: Bool
        var requestBodyBytes: Int
        var started: UInt64
        var context: RequestContext
    }

    /// Hands the complete request to the responder on a task; the answer hops back to the loop.
    func dispatch() {
        guard let head else { return }
        self.head = nil
        inFlight = true
        setReadPhase(.none)
        let request = HTTPRequest(
            method: HTTPMethod(rawValue: head.method),
            target: head.target,
            headers: HTTPHeaders(head.headers.map { ($0.name, $0.value) }),
            body: body,
            version: head.minorVersion == 0 ? .http1_0 : .http1_1,
            remoteAddress: remote
        )
        body = []
        let info = RequestInfo(
            method: head.method,
            isHead: head.method == "HEAD",
            minorVersion: head.minorVersion,
            keepAlive: head.keepAlive,
            requestBodyBytes: request.body.count,
            started: monotonicNanos(),
            context: request.context
        )
        let core = self.core
        let loop = self.loop
        let work: @Sendable () async -> Void = {
            let response: HTTPResponse
            do {
                response = try await core.responder.respond(to: request)
            } catch {
                response = core.errorResponse(for: error, request: request)
            }
            if loop.inLoop {
                self.write(response, for: info)
            } else {
                loop.execute { self.write(response, for: info) }
            }
        }
        switch core.configuration.handlerExecution {
        case .eventLoop: Task(executorPreference: loop, operation: work)
        case .concurrencyPool: Task(operation: work)
        }
    }

    /// Serialises `response` into the outbound queue and finishes the exchange.
    func write(_ response: HTTPResponse, for info: RequestInfo) {
        guard case .http = mode else {
            record(info, status: response.status.code, bytes: 0)
            return
        }
        var keepAlive = info.keepAlive && !shutdownRequested && !peerClosedRead && !core.shuttingDown.load(ordering: .relaxed)
        if response.headers.tokens(for: "Connection").contains(where: { $0.equalsIgnoringASCIICase("close") }) { keepAlive = false }

        if let handler = response.upgrade, response.status.code == 101 {
            upgrade(to: handler, response: response, info: info)
            return
        }

        var headers = response.headers
        headers.remove(name: "Content-Length")
        headers.remove(name: "Transfer-Encoding")
        headers.remove(name: "Connection")
        var extra: [(String, String)] = []
        if !headers.contains("Date") { extra.append(("Date", loopState.dateCache.current())) }
        if let name = core.configuration.serverName, !headers.contains("Server") { extra.append(("Server", name)) }
        let allowsBody = response.status.allowsBody
        var streamProducer: (@Sendable (HTTPBodyWriter) async throws -> Void)?
        var chunked = false
        var bodyBytes: [UInt8] = []
        switch response.body {
        case .bytes(let bytes):
            if allowsBody {
                extra.append(("Content-Length", String(bytes.count)))
                if !info.isHead { bodyBytes = bytes }
            }
        case .stream(let producer):
            if allowsBody && !info.isHead {
                streamProducer = producer
                if info.minorVersion >= 1 {
                    chunked = true
                    extra.append(("Transfer-Encoding", "chunked"))
                } else {
                    keepAlive = false  // HTTP/1.0: the end of the body is the end of the connection
                }
            }
        }
        if !keepAlive {
            extra.append(("Connection", "close"))
        } else if info.minorVersion == 0 {
            extra.append(("Connection", "keep-alive"))
        }
        ResponseHead.write(status: response.status, headers: headers, extra: extra, into: &outbound)
        outbound.append(contentsOf: bodyBytes)
        if let streamProducer {
            flush()
            stream(streamProducer, chunked: chunked, keepAlive: keepAlive, info: info, status: response.status.code)
        } else {
            record(info, status: response.status.code, bytes: bodyBytes.count)
            finishExchange(keepAlive: keepAlive)
        }
    }

    func record(_ info: RequestInfo, status: Int, bytes: Int) {
        let elapsed = monotonicNanos() &- info.started
        core.observer.requestFinished(
            HTTPRequestRecord(
                method: info.method,
                routePattern: info.context[RoutePatternKey.self],
                status: status,
                duration: .nanoseconds(Int64(elapsed)),
                requestBodyBytes: info.requestBodyBytes,
                responseBodyBytes: bytes
            )
        )
    }

    /// The response is queued: go on with the next pipelined request, or close.
    func finishExchange(keepAlive: Bool) {
        inFlight = false
        if !keepAlive { closeAfterFlush = true }
        flush()
        guard case .http = mode else { return }
        if closeAfterFlush { return }
        resumeReading()
        processInbound()
    }

    // MARK: Streamed bodies

    private func stream(_ producer: @escaping @Sendable (HTTPBodyWriter) async throws -> Void, chunked: Bool, keepAlive: Bool, info: RequestInfo, status: Int) {
        let loop = self.loop
        let counter = ByteCounter()
        let writer = HTTPBodyWriter { [self] bytes in
            counter.add(bytes.count)
            try await self.enqueueStreamed(bytes, chunked: chunked)
        }
        Task {
            let failed: Bool
            do {
                try await producer(writer)
                failed = false
            } catch {
                failed = true
            }
            let total = counter.total
            loop.execute {
                self.record(info, status: status, bytes: total)
                guard case .http = self.mode else { return }
                if failed {
                    // Nothing can signal an error in-band after the head: cut the connection.
                    self.close(error: HTTPConnectionClosed())
                    return
                }
                if chunked { self.outbound.append(contentsOf: "0\r\n\r\n".utf8) }
                self.finishExchange(keepAlive: keepAlive)
            }
        }
    }

    /// Queues one piece of a streamed body; waits while more than 256 KiB are unsent.
    private func enqueueStreamed(_ bytes: [UInt8], chunked: Bool) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            loop.execute {
                guard case .http = self.mode else {
                    continuation.resume(throwing: HTTPConnectionClosed())
                    return
                }
                if chunked {
                    ResponseHead.appendHex(bytes.count, into: &self.outbound)
                    self.outbound.append(contentsOf: [0x0D, 0x0A])
                    self.outbound.append(contentsOf: bytes)
                    self.outbound.append(contentsOf: [0x0D, 0x0A])
                } else {
                    self.outbound.append(contentsOf: bytes)
                }
                self.flush()
                guard case .http = self.mode else {
                    continuation.resume(throwing: HTTPConnectionClosed())
                    return
                }
                if self.outbound.count - self.outboundStart > 256 * 1024 {
                    self.drainWaiters.append(continuation)
                } else {
                    continuation.resume()
                }
            }
        }
    }

    // MARK: Upgrade

    private func upgrade(to handler: any HTTPUpgradeHandler, response: HTTPResponse, info: RequestInfo) {
        var headers = response.headers
        headers.remove(name: "Content-Length")
        headers.remove(name: "Transfer-Encoding")
        ResponseHead.write(status: response.status, headers: headers, extra: [], into: &outbound)
        record(info, status: 101, bytes: 0)
        let connection = UpgradedConnection(
            eventLoop: loop,
            remoteAddress: remote,
            operations: .init(
                write: { [self] bytes in self.upgradedWrite(bytes) },
                close: { [self] in self.upgradedClose() },
                abort: { [self] in self.close(error: nil) }
            )
        )
        mode = .upgraded
        inFlight = false
        upgradeHandler = handler
        upgraded = connection
        setReadPhase(.none)
        core.observer.upgradedConnectionOpened()
        flush()
        guard case .upgraded = mode else { return }
        handler.upgraded(connection)
        let leftover = inboundStart < inbound.count ? Array(inbound[inboundStart...]) : []
        inbound = []
        inboundStart = 0
        if !leftover.isEmpty, case .upgraded = mode { handler.received(leftover, on: connection) }
        resumeReading()
        if shutdownRequested || core.shuttingDown.load(ordering: .relaxed), case .upgraded = mode {
            handler.serverShuttingDown(on: connection)
        }
    }

    private func upgradedWrite(_ bytes: [UInt8]) {
        guard case .upgraded = mode else { return }
        outbound.append(contentsOf: bytes)
        flush()
    }

    private func upgradedClose() {
        guard case .upgraded = mode else { return }
        closeAfterFlush = true
        flush()
    }
}

/// Counts streamed body bytes across the writer's task and the loop.
private final class ByteCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int) { value.wrappingAdd(n, ordering: .relaxed) }
    var total: Int { value.load(ordering: .relaxed) }
}

extension ServerCore {
    /// Turns a handler error into a response: `HTTPError` as its problem document, anything
    /// else as a bare 500 (the error itself is logged, never sent).
    func errorResponse(for error: any Error, request: HTTPRequest) -> HTTPResponse {
        if let httpError = error as? HTTPError { return httpError.response(path: request.path) }
        logger.error(
            "Handler failed",
            metadata: ["http.method": "\(request.method)", "http.path": "\(request.path)", "error": "\(String(reflecting: error))"]
        )
        return ProblemDetails(status: .internalServerError, instance: request.path).response()
    }
}

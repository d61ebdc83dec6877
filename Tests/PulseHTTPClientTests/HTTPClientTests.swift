import Foundation
import Glibc
import PulseHTTP
import PulseHTTPClient
import PulseTestSupport
import Synchronization
import Testing

@Suite("HTTP client against PulseHTTP", .timeLimit(.minutes(2)))
struct HTTPClientTests {
    func router(_ build: (inout Router) -> Void) -> Router {
        var router = Router()
        build(&router)
        return router
    }

    @Test func keepAliveConnectionIsReused() async throws {
        let r = router { $0.get("/hello") { _ in .text("hi") } }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient()
            for _ in 0..<3 {
                let response = try await client.get("http://127.0.0.1:\(port)/hello")
                #expect(response.status == .ok)
                #expect(response.bodyText == "hi")
            }
            #expect(client.statistics.opened == 1)
            #expect(client.statistics.reused == 2)
            client.shutdown()
        }
    }

    @Test func postBodyAndHeadersArrive() async throws {
        let r = router {
            $0.post("/echo") { request in .text("\(request.headers["X-Test"] ?? "-"):\(request.bodyText)") }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient()
            let response = try await client.post("http://127.0.0.1:\(port)/echo", headers: ["X-Test": "yes"], body: Array("payload".utf8))
            #expect(response.bodyText == "yes:payload")
            // Header injection is refused before anything is sent.
            await #expect(throws: HTTPClientError.self) {
                _ = try await client.get("http://127.0.0.1:\(port)/echo", headers: ["X-Bad": "a\r\nInjected: 1"])
            }
        }
    }

    @Test func chunkedBodyIsReassembled() async throws {
        let r = router {
            $0.get("/stream") { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: .stream { writer in
                    for i in 0..<50 { try await writer.write("part\(i);") }
                })
            }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient(configuration: .init(decompress: false))
            let response = try await client.get("http://127.0.0.1:\(port)/stream")
            #expect(response.bodyText == (0..<50).map { "part\($0);" }.joined())
            // The connection stays usable after a chunked body.
            _ = try await client.get("http://127.0.0.1:\(port)/stream")
            #expect(client.statistics.opened == 1)
        }
    }

    @Test func streamedBodiesArriveInPiecesAndFreeTheConnection() async throws {
        let r = router {
            $0.get("/pieces") { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: .stream { writer in
                    for i in 0..<20 {
                        try await writer.write("piece\(i);")
                        try await Task.sleep(for: .milliseconds(5))
                    }
                })
            }
            $0.get("/fixed") { _ in .text(String(repeating: "z", count: 300)) }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient(configuration: .init(pool: .init(maximumConnectionsPerOrigin: 1)))
            let response = try await client.stream(HTTPClientRequest(url: "http://127.0.0.1:\(port)/pieces"))
            #expect(response.status == .ok && response.contentLength == nil && response.hasBody)
            var text = ""
            var pieces = 0
            for try await piece in response.body {
                text += String(decoding: piece, as: UTF8.self)
                pieces += 1
            }
            #expect(text == (0..<20).map { "piece\($0);" }.joined())
            #expect(pieces > 1)
            // Read to the end, the connection is pooled again (the limit is 1).
            let fixed = try await client.stream(HTTPClientRequest(url: "http://127.0.0.1:\(port)/fixed"))
            #expect(fixed.contentLength == 300)
            #expect(try await fixed.body.collect(upTo: 1000).count == 300)
            #expect(client.statistics.opened == 1)
            // An abandoned body closes its connection instead of pooling it.
            let abandoned = try await client.stream(HTTPClientRequest(url: "http://127.0.0.1:\(port)/pieces"))
            _ = try await abandoned.body.next()
            abandoned.body.cancel()
            #expect(try await client.get("http://127.0.0.1:\(port)/fixed").body.count == 300)
            #expect(client.statistics.opened == 2)
            let tooBig = try await client.stream(HTTPClientRequest(url: "http://127.0.0.1:\(port)/fixed"))
            await #expect(throws: HTTPClientError.responseTooLarge(limit: 100)) { _ = try await tooBig.body.collect(upTo: 100) }
        }
    }

    @Test func gzipIsDecoded() async throws {
        let text = String(repeating: "pulse gzip body ", count: 2000)
        var r = router { $0.get("/big") { _ in .text(text) } }
        r.use(GzipMiddleware())
        try await withLiveHTTPServer(responder: r) { _, port in
            let raw = try HTTPClient(configuration: .init(decompress: false))
            let compressed = try await raw.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/big", headers: ["Accept-Encoding": "gzip"]))
            #expect(compressed.headers["Content-Encoding"] == "gzip")
            #expect(compressed.body.count < text.utf8.count / 10)

            let client = try HTTPClient()
            let response = try await client.get("http://127.0.0.1:\(port)/big")
            #expect(response.headers["Content-Encoding"] == nil)
            #expect(response.bodyText == text)

            let small = try HTTPClient(configuration: .init(maximumResponseBytes: 1000))
            await #expect(throws: HTTPClientError.self) { _ = try await small.get("http://127.0.0.1:\(port)/big") }
        }
    }

    @Test func redirectsAreFollowedAndLimited() async throws {
        let r = router {
            $0.get("/start") { _ in HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "/middle"]) }
            $0.get("/middle") { _ in HTTPResponse(status: HTTPStatus(code: 301), headers: ["Location": "end?x=1"]) }
            $0.get("/end") { request in .text("end \(request.query("x") ?? "")") }
            $0.get("/loop") { _ in HTTPResponse(status: HTTPStatus(code: 307), headers: ["Location": "/loop"]) }
            $0.post("/form") { _ in HTTPResponse(status: HTTPStatus(code: 303), headers: ["Location": "/end?x=2"]) }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient()
            let response = try await client.get("http://127.0.0.1:\(port)/start")
            #expect(response.bodyText == "end 1")
            #expect(response.redirects == 2)
            #expect(response.url.target == "/end?x=1")
            let posted = try await client.post("http://127.0.0.1:\(port)/form", body: Array("a=1".utf8))
            #expect(posted.bodyText == "end 2")
            await #expect(throws: HTTPClientError.tooManyRedirects(5)) { _ = try await client.get("http://127.0.0.1:\(port)/loop") }
            let unfollowed = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/start", maximumRedirects: 0))
            #expect(unfollowed.status.code == 302)
        }
    }

    @Test func authorizationIsDroppedAcrossOrigins() async throws {
        let target = router { $0.get("/who") { request in .text("auth=\(request.headers["Authorization"] ?? "none")") } }
        try await withLiveHTTPServer(responder: target) { _, targetPort in
            let origin = router {
                $0.get("/away") { _ in HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "http://127.0.0.1:\(targetPort)/who"]) }
                $0.get("/here") { _ in HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "/who"]) }
                $0.get("/who") { request in .text("auth=\(request.headers["Authorization"] ?? "none")") }
            }
            try await withLiveHTTPServer(responder: origin) { _, port in
                let client = try HTTPClient()
                let away = try await client.get("http://127.0.0.1:\(port)/away", headers: ["Authorization": "Bearer secret"])
                #expect(away.bodyText == "auth=none")
                let here = try await client.get("http://127.0.0.1:\(port)/here", headers: ["Authorization": "Bearer secret"])
                #expect(here.bodyText == "auth=Bearer secret")
            }
        }
    }

    @Test func requestAndOverallTimeouts() async throws {
        let r = router {
            $0.get("/slow") { _ in
                try await Task.sleep(for: .seconds(3))
                return .text("late")
            }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let quick = try HTTPClient(configuration: .init(timeouts: .init(request: .milliseconds(200))))
            // The handler answers after 3 s: only our timer can produce requestTimeout.
            await #expect(throws: HTTPClientError.requestTimeout) { _ = try await quick.get("http://127.0.0.1:\(port)/slow") }
            let overall = try HTTPClient(configuration: .init(timeouts: .init(request: .seconds(10), overall: .milliseconds(200))))
            await #expect(throws: HTTPClientError.overallTimeout) { _ = try await overall.get("http://127.0.0.1:\(port)/slow") }
        }
    }

    @Test func poolLimitMakesCallersWait() async throws {
        let r = router {
            $0.get("/nap") { _ in
                try await Task.sleep(for: .milliseconds(100))
                return .text("ok")
            }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient(configuration: .init(pool: .init(maximumConnectionsPerOrigin: 1)))
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 { group.addTask { try await client.get("http://127.0.0.1:\(port)/nap").bodyText } }
                for try await body in group { #expect(body == "ok") }
            }
            #expect(client.statistics.opened == 1)
        }
    }

    /// While the only allowed connection is busy, a caller waits for it and gives up with
    /// `poolExhausted` at its own deadline.
    @Test func poolWaitEndsAtTheCallersDeadline() async throws {
        let entered = Atomic<Bool>(false), released = Atomic<Bool>(false)
        let r = router {
            $0.get("/hold") { _ in
                entered.store(true, ordering: .releasing)
                while !released.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
                return .text("held")
            }
        }
        try await withLiveHTTPServer(responder: r) { _, port in
            let client = try HTTPClient(configuration: .init(pool: .init(maximumConnectionsPerOrigin: 1)))
            let holder = Task { try await client.get("http://127.0.0.1:\(port)/hold").bodyText }
            while !entered.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            await #expect(throws: HTTPClientError.poolExhausted) {
                _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hold", overallTimeout: .milliseconds(200)))
            }
            released.store(true, ordering: .releasing)
            #expect(try await holder.value == "held")
            #expect(client.statistics.opened == 1)
        }
    }

    @Test func staleIdleConnectionIsReplaced() async throws {
        // Answers keep-alive, then closes while the connection sits in the pool.
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
        }
        defer { server.stop() }
        let client = try HTTPClient()
        _ = try await client.get("http://127.0.0.1:\(server.port)/x")
        try await Task.sleep(for: .milliseconds(200))
        let again = try await client.get("http://127.0.0.1:\(server.port)/x")
        #expect(again.bodyText == "x")
        #expect(client.statistics.opened == 2)
        #expect(client.statistics.reused == 0)
    }

    @Test func idleTimeoutClosesPooledConnections() async throws {
        let r = router { $0.get("/x") { _ in .text("x") } }
        try await withLiveHTTPServer(responder: r) { server, port in
            // The server's own idle timeout (60 s) is far away: only the pool's sweep closes it.
            let client = try HTTPClient(configuration: .init(pool: .init(idleTimeout: .milliseconds(100))))
            _ = try await client.get("http://127.0.0.1:\(port)/x")
            for _ in 0..<200 where server.connectionCount > 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(server.connectionCount == 0)
            #expect(client.statistics.opened == 1)
        }
    }
}

@Suite("HTTP client failures", .timeLimit(.minutes(2)))
struct HTTPClientFailureTests {
    @Test func serverClosingMidResponseIsAnError() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        }
        defer { server.stop() }
        let client = try HTTPClient()
        await #expect(throws: HTTPClientError.connectionClosed) { _ = try await client.get("http://127.0.0.1:\(server.port)/") }
    }

    @Test func truncatedChunkedBodyIsAnError() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc")
        }
        defer { server.stop() }
        let client = try HTTPClient()
        await #expect(throws: HTTPClientError.connectionClosed) { _ = try await client.get("http://127.0.0.1:\(server.port)/") }
    }

    @Test func closeDelimitedBodyIsRead() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.0 200 OK\r\n\r\nuntil close")
        }
        defer { server.stop() }
        let client = try HTTPClient()
        let response = try await client.get("http://127.0.0.1:\(server.port)/")
        #expect(response.bodyText == "until close")
    }

    @Test func malformedResponsesAreRejected() async throws {
        for reply in ["SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                      "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            let server = try RawServer { fd in
                _ = RawServer.readHead(fd)
                RawServer.send(fd, reply)
            }
            defer { server.stop() }
            let client = try HTTPClient()
            do {
                _ = try await client.get("http://127.0.0.1:\(server.port)/")
                Issue.record("accepted \(reply.debugDescription)")
            } catch {
                guard case .malformedResponse = error else { Issue.record("\(error) for \(reply.debugDescription)"); continue }
            }
        }
    }

    @Test func oversizedResponsesAreRejected() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "a", count: 5000))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: .init(maximumResponseBytes: 1000))
        await #expect(throws: HTTPClientError.responseTooLarge(limit: 1000)) { _ = try await client.get("http://127.0.0.1:\(server.port)/") }
        let chunked = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "100\r\n" + String(repeating: "b", count: 256) + "\r\n", count: 8) + "0\r\n\r\n")
        }
        defer { chunked.stop() }
        await #expect(throws: HTTPClientError.responseTooLarge(limit: 1000)) { _ = try await client.get("http://127.0.0.1:\(chunked.port)/") }
        let headLimited = try HTTPClient(configuration: .init(maximumHeadBytes: 200))
        let bigHead = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 50) + "\r\n")
        }
        defer { bigHead.stop() }
        await #expect(throws: HTTPClientError.responseTooLarge(limit: 200)) { _ = try await headLimited.get("http://127.0.0.1:\(bigHead.port)/") }
    }

    @Test func refusedConnectionAndBadURLs() async throws {
        let port = FreePorts.one()
        let client = try HTTPClient()
        do {
            _ = try await client.get("http://127.0.0.1:\(port)/")
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.isConnectFailure)
        }
        for bad in ["ftp://x/", "http://", "http://user@host/", "http://host:99999/", "http://a b/"] {
            await #expect(throws: HTTPClientError.invalidURL(bad)) { _ = try await client.get(bad) }
        }
    }

    @Test func silentServerTimesOutWithoutParkingAThread() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            Thread.sleep(forTimeInterval: 1.5)
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: .init(timeouts: .init(request: .milliseconds(300))))
        // Many concurrent waits on one event loop: each is a suspended task, not a thread.
        let errors = await withTaskGroup(of: HTTPClientError?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do throws(HTTPClientError) {
                        _ = try await client.get("http://127.0.0.1:\(server.port)/")
                        return nil
                    } catch { return error }
                }
            }
            return await group.reduce(into: [HTTPClientError?]()) { $0.append($1) }
        }
        #expect(errors.allSatisfy { $0 == .requestTimeout })
    }

    /// A pooled connection the server drops as the next request arrives (its idle timer won
    /// the race): GET is retried once on a fresh connection, POST is not (it may have run).
    @Test func droppedPooledConnectionIsRetriedForIdempotentMethodsOnly() async throws {
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
            _ = RawServer.readHead(fd)  // the second request on this connection: dropped unanswered
        }
        defer { server.stop() }
        let client = try HTTPClient()
        let url = "http://127.0.0.1:\(server.port)/"
        #expect(try await client.get(url).bodyText == "first")
        #expect(try await client.get(url).bodyText == "first")
        #expect(client.statistics.opened == 2)
        await #expect(throws: HTTPClientError.connectionClosed) { _ = try await client.post(url, body: Array("x".utf8)) }
    }

    @Test func cancellingTheCallingTaskEndsTheWait() async throws {
        // The server answers only when told (or after 5 s): a `.cancelled` result while it
        // still holds the request shows the cancel ended the wait, whatever the load.
        let released = Atomic<Bool>(false)
        let server = try RawServer { fd in
            _ = RawServer.readHead(fd)
            for _ in 0..<500 where !released.load(ordering: .acquiring) { usleep(10_000) }
            RawServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { server.stop() }
        let client = try HTTPClient()
        let call = Task { () -> HTTPClientError? in
            do throws(HTTPClientError) {
                _ = try await client.get("http://127.0.0.1:\(server.port)/")
                return nil
            } catch { return error }
        }
        try await Task.sleep(for: .milliseconds(100))
        call.cancel()
        #expect(await call.value == .cancelled)
        let stillHeld = !released.load(ordering: .acquiring)
        #expect(stillHeld)
        released.store(true, ordering: .releasing)
    }

    /// A listener that never accepts, its queue full: the kernel drops further SYNs, so a
    /// connect can only time out.
    @Test func connectTimeoutWhenTheServerNeverAnswers() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = listen(listener, 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var fillers: [Int32] = []
        defer { for fd in fillers { close(fd) } }
        for _ in 0..<4 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
            fillers.append(fd)
        }
        try await Task.sleep(for: .milliseconds(50))
        let client = try HTTPClient(configuration: .init(timeouts: .init(connect: .milliseconds(300))))
        // Only our timer produces connectTimeout (the kernel would retry SYNs for minutes).
        await #expect(throws: HTTPClientError.connectTimeout) { _ = try await client.get("http://127.0.0.1:\(port)/") }
    }
}

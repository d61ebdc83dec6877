import PulseHTTP
import PulseTestSupport
import Synchronization
@testable import PulseWebSocket

/// Sessions the server handed to the test's handler, in arrival order.
final class SessionLog: Sendable {
    private let sessions = Mutex<[WebSocketSession]>([])
    func add(_ s: WebSocketSession) { sessions.withLock { $0.append(s) } }
    var all: [WebSocketSession] { sessions.withLock { $0 } }

    /// Waits until `count` sessions arrived.
    func wait(for count: Int, timeout: Duration = .seconds(10)) async throws -> [WebSocketSession] {
        try await eventually(timeout: timeout) { self.all.count >= count }
        return all
    }
}

/// Polls `condition` until it holds or `timeout` passes (then throws).
func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw PeerError("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A router with an echo endpoint at /echo and a hub-subscribed endpoint at /topic/:name.
func echoRouter(_ configuration: WebSocketServerConfiguration, log: SessionLog, hub: WebSocketHub = WebSocketHub()) -> Router {
    var router = Router()
    router.webSocket("/echo", configuration: configuration) { session in
        log.add(session)
        for await message in session.messages {
            do { try await session.send(message) } catch { break }
        }
    }
    router.webSocket("/topic/:name", configuration: configuration) { session in
        hub.subscribe(session, to: session.request.pathParameters["name"] ?? "")
        log.add(session)
        for await _ in session.messages {}
    }
    return router
}

/// A quiet server configuration for tests (no keepalive unless asked).
func testConfiguration(
    maxMessageSize: Int = 1 << 20, deflate: Bool = true, ping: Duration? = nil, pongTimeout: Duration = .seconds(10),
    maxSendQueue: Int = 1 << 20
) -> WebSocketServerConfiguration {
    WebSocketServerConfiguration(
        protocolConfiguration: .init(maxMessageSize: maxMessageSize, deflate: deflate ? PerMessageDeflateOptions() : nil),
        pingInterval: ping, pongTimeout: pongTimeout, maxSendQueueBytes: maxSendQueue, closeTimeout: .seconds(2))
}

extension PythonScripts {
    /// Python client scenarios against our server; argv: port scenario. Prints one line per result.
    static let clientScenarios = importGuard + """
        import socket, base64, os
        from websockets.exceptions import ConnectionClosed

        port, scenario = sys.argv[1], sys.argv[2]
        url = "ws://127.0.0.1:%s" % port

        async def main():
            if scenario == "echo":
                async with connect(url + "/echo", max_size=2**22) as ws:
                    print("EXT", ",".join(type(e).__name__ for e in ws.protocol.extensions), flush=True)
                    for m in ["hello", "ünïcödé", b"\\x00\\x01" * 50000, "x" * 100000]:
                        await ws.send(m)
                        print("ECHO", await ws.recv() == m, flush=True)
                    await ws.send(["frag", "ment", "ed"])  # one message in three frames
                    print("FRAG", await ws.recv(), flush=True)
                    await ws.ping(b"hi")
                print("CLOSE", ws.close_code, flush=True)
            elif scenario == "oversize":
                async with connect(url + "/echo", max_size=None, compression=None) as ws:
                    await ws.send(b"z" * 5000)
                    try:
                        await ws.recv()
                    except ConnectionClosed:
                        pass
                print("CLOSE", ws.close_code, flush=True)
            elif scenario == "wait-close":
                async with connect(url + "/echo") as ws:
                    print("OPEN", flush=True)
                    try:
                        await ws.recv()
                    except ConnectionClosed:
                        pass
                print("CLOSE", ws.close_code, flush=True)
            elif scenario in ("silent", "slow"):
                # Raw socket: handshake by hand, then never read (slow) or never answer (silent).
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", int(port)))
                key = base64.b64encode(os.urandom(16)).decode()
                path = "/topic/jobs" if scenario == "slow" else "/echo"
                s.sendall(("GET %s HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                           "Sec-WebSocket-Key: %s\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n" % (path, key)).encode())
                print("OPEN", flush=True)
                sys.stdin.read()  # hold the socket until the test ends
            elif scenario == "abrupt":
                s = socket.create_connection(("127.0.0.1", int(port)))
                key = base64.b64encode(os.urandom(16)).decode()
                s.sendall(("GET /echo HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                           "Sec-WebSocket-Key: %s\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n" % key).encode())
                s.recv(4096)
                s.sendall(bytes([0x81, 0x85, 1, 2, 3]))  # half a frame, then vanish
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00")
                s.close()  # RST
                print("GONE", flush=True)

        asyncio.run(main())
        """
}

/// A thread-safe counter for tests.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}

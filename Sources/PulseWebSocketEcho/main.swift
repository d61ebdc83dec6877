// pulse-ws-echo: a WebSocket echo server on every path, for Autobahn and benchmarks.
// Usage: pulse-ws-echo [--port N] [--host H] [--loops N]; prints "listening on HOST:PORT".
import Glibc
import Logging
import PulseHTTP
import PulseSystem
import PulseWebSocket

var port = 9001
var host = "127.0.0.1"
var loops = EventLoopGroup.defaultCount
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = Int(arguments.next() ?? "") ?? port
    case "--host": host = arguments.next() ?? host
    case "--loops": loops = Int(arguments.next() ?? "") ?? loops
    default:
        print("usage: pulse-ws-echo [--port N] [--host H] [--loops N]")
        exit(2)
    }
}

// Autobahn sends messages up to 16 MiB (case 9) and measures compression (12, 13).
let configuration = WebSocketServerConfiguration(
    protocolConfiguration: WebSocketConfiguration(maxMessageSize: 64 << 20, deflate: PerMessageDeflateOptions()),
    pingInterval: nil, maxSendQueueBytes: 128 << 20, maxInboundQueueBytes: 128 << 20)
var router = Router()
router.webSocket("/**", configuration: configuration) { session in
    for await message in session.messages {
        do { try await session.send(message) } catch { break }
    }
}
router.webSocket("/", configuration: configuration) { session in
    for await message in session.messages {
        do { try await session.send(message) } catch { break }
    }
}
let server = HTTPServer(
    configuration: HTTPServerConfiguration(host: host, port: port, eventLoopCount: loops),
    responder: router)
do {
    let bound = try server.start()
    print("listening on \(host):\(bound)")
    let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
    fflush(nil)  // flush stdout for scripts that wait for the line
    _ = await signals.wait()
    await server.shutdown()
} catch {
    print("pulse-ws-echo: \(error)")
    exit(1)
}

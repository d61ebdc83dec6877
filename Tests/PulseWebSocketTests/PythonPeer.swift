import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import PulseWebSocket

/// A Python process using the independent `websockets` package, as a peer for live tests.
/// The script prints `PORT n` (servers) or result lines (clients) on stdout.
/// Needs `pip install websockets` (Python ≥ 3.9); tests fail with that hint when missing.
final class PythonPeer: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    /// Held open for the peer's lifetime: the script exits when it reads EOF, so no
    /// Python process outlives a crashed test run.
    private let lifeline = Pipe()
    private let directory: URL
    /// Filled by a readability handler, so waiting for a line never blocks a task thread
    /// (tests run in parallel on a small cooperative pool that the server also needs).
    private let buffered = OutputBuffer()

    static let missingHint = "the Python package `websockets` is missing: run `pip install websockets` (CI must install it)"

    init(script: String, arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("peer.py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["PULSE_PYTHON"] ?? "python3", file.path] + arguments
        process.standardInput = lifeline
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        let box = buffered
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            box.state.withLock { b in
                if chunk.isEmpty { b.eof = true } else { b.data.append(chunk) }
            }
            if chunk.isEmpty { handle.readabilityHandler = nil }
        }
        try process.run()
    }

    deinit {
        // SIGKILL: the child may inherit a mask that blocks SIGTERM.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The next stdout line, waiting up to `timeout`; fails on a missing `websockets`.
    func line(timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, eof) = buffered.state.withLock { b -> (String?, Bool) in
                guard let nl = b.data.firstIndex(of: 0x0A) else { return (nil, b.eof) }
                let text = String(decoding: b.data[..<nl], as: UTF8.self)
                b.data.removeSubrange(...nl)
                return (text, b.eof)
            }
            if let line {
                if line == "NO_WEBSOCKETS" { throw PeerError(Self.missingHint) }
                return line
            }
            if eof { throw PeerError("python peer exited without the expected output") }
            guard ContinuousClock.now < deadline else { throw PeerError("python peer said nothing in time") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Reads `PORT n` from a server script.
    func port() async throws -> Int {
        let first = try await line()
        guard first.hasPrefix("PORT "), let port = Int(first.dropFirst(5)) else { throw PeerError("unexpected: \(first)") }
        return port
    }

    /// Waits for the process to end and returns its exit status.
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

final class OutputBuffer: Sendable {
    let state = Mutex((data: Data(), eof: false))
}

/// The next `count` messages a client receives.
func collect(_ client: WebSocketClient, count: Int) async throws -> [WebSocketMessage] {
    var received: [WebSocketMessage] = []
    for try await message in client.messages {
        received.append(message)
        if received.count == count { break }
    }
    return received
}

struct PeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Python snippets shared by the live tests.
enum PythonScripts {
    static let importGuard = """
        import asyncio, json, os, sys, threading
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        try:
            import websockets
            from websockets.asyncio.server import serve
            from websockets.asyncio.client import connect
        except ImportError:
            print("NO_WEBSOCKETS", flush=True)
            sys.exit(3)

        """

    /// An echo server; argv[1] is "deflate" or "plain".
    static let echoServer = importGuard + """
        async def echo(ws):
            async for message in ws:
                await ws.send(message)

        async def main():
            compression = "deflate" if sys.argv[1] == "deflate" else None
            async with serve(echo, "127.0.0.1", 0, compression=compression, max_size=2**24) as server:
                print("PORT", server.sockets[0].getsockname()[1], flush=True)
                await asyncio.Future()

        asyncio.run(main())
        """
}

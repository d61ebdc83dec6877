import Synchronization

/// An RFC 6455 client: masks its frames, optionally offers permessage-deflate.
///
/// Reads run on a dedicated thread (the socket is blocking); messages arrive on
/// `messages`. `send` writes inline and may block its caller while the socket is full,
/// bounded by a 10 s send timeout. Meant for tests, tools and service-to-service use.
///
/// ```swift
/// let ws = try await WebSocketClient.connect(port: 8080, path: "/ws/jobs")
/// try await ws.send(.text("hello"))
/// for try await message in ws.messages { ... }
/// ```
public final class WebSocketClient: Sendable {
    /// Inbound messages; finishes on a normal close (1000, 1001, 1005) and throws
    /// `WebSocketClientError.closed(code)` on any other ending.
    public let messages: AsyncThrowingStream<WebSocketMessage, any Error>
    /// The permessage-deflate parameters the server accepted, nil if none.
    public let deflate: PerMessageDeflateParameters?

    private let socket: BlockingSocket
    private let machine: Mutex<WebSocketStateMachine>
    private let writeLock = Mutex(())
    private let inbound: AsyncThrowingStream<WebSocketMessage, any Error>.Continuation
    private let ending = Mutex<(code: WebSocketCloseCode, reason: String)?>(nil)

    private init(socket: BlockingSocket, machine: WebSocketStateMachine, leftover: [UInt8]) {
        self.socket = socket
        self.deflate = machine.deflate
        self.machine = Mutex(machine)
        (messages, inbound) = AsyncThrowingStream.makeStream()
        if !leftover.isEmpty { perform(self.machine.withLock { $0.receive(leftover) }) }
    }

    /// Connects, performs the opening handshake and starts reading.
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String = "/", headers: [(String, String)] = [],
        configuration: WebSocketConfiguration = .init(), handshakeTimeoutSeconds: Int = 10
    ) async throws -> WebSocketClient {
        let client = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WebSocketClient, any Error>) in
            startThread {
                do {
                    let socket = try BlockingSocket(host: host, port: port)
                    let key = WebSocketHandshake.makeClientKey()
                    let offer = configuration.deflate.map { PerMessageDeflateParameters.clientOffer(options: $0) }
                    guard socket.writeAll(ClientHandshake.request(host: host, port: port, path: path, key: key, extensions: offer, headers: headers)) else {
                        throw WebSocketClientError.connectFailed("could not send the upgrade request")
                    }
                    socket.setReadTimeout(seconds: handshakeTimeoutSeconds)
                    var received: [UInt8] = []
                    var end: Int?
                    while end == nil {
                        let bytes = socket.read()
                        if bytes.isEmpty { throw WebSocketClientError.handshakeFailed("no complete response") }
                        received += bytes
                        if received.count > 16_384 { throw WebSocketClientError.handshakeFailed("response head too large") }
                        end = ClientHandshake.headEnd(received)
                    }
                    socket.setReadTimeout(seconds: 0)
                    let parameters = try ClientHandshake.validate(head: Array(received[..<end!]), key: key, deflate: configuration.deflate)
                    let machine = try WebSocketStateMachine(role: .client, configuration: configuration, deflate: parameters)
                    continuation.resume(returning: WebSocketClient(socket: socket, machine: machine, leftover: Array(received[end!...])))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        startThread { client.readLoop() }
        return client
    }

    /// Sends a message, split into frames of `fragmentSize` payload bytes if given.
    public func send(_ message: WebSocketMessage, fragmentSize: Int? = nil) async throws {
        try writeLock.withLock { _ throws(WebSocketClientError) in
            guard let bytes = machine.withLock({ $0.send(message, fragmentSize: fragmentSize) }) else {
                throw .closed(ending.withLock { $0?.code } ?? .normalClosure)
            }
            if !socket.writeAll(bytes) { throw .closed(.abnormalClosure) }
        }
    }

    /// Sends raw frame bytes as they are (tests use it to send deliberately bad frames).
    package func sendRaw(_ bytes: [UInt8]) {
        writeLock.withLock { _ in _ = socket.writeAll(bytes) }
    }

    /// Sends a ping; the pong is consumed by the protocol layer.
    public func ping(_ payload: [UInt8] = []) {
        if let bytes = machine.withLock({ $0.ping(payload) }) { write(bytes) }
    }

    /// Runs the close handshake: sends a close frame and waits up to `timeout` for the
    /// server's. Returns the code the connection ended with.
    @discardableResult
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "", timeout: Duration = .seconds(5)) async -> WebSocketCloseCode {
        if let bytes = machine.withLock({ $0.close(code: code, reason: reason) }) { write(bytes) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let end = ending.withLock({ $0 }) { return end.code }
            try? await Task.sleep(for: .milliseconds(5))
        }
        socket.shutdown()
        finish(.abnormalClosure, "close timed out")
        return ending.withLock { $0?.code } ?? .abnormalClosure
    }

    /// The close code and reason once the connection has ended, nil while open.
    public var closeStatus: (code: WebSocketCloseCode, reason: String)? { ending.withLock { $0 } }

    private func write(_ bytes: [UInt8]) {
        writeLock.withLock { _ in _ = socket.writeAll(bytes) }
    }

    private func readLoop() {
        while ending.withLock({ $0 == nil }) {
            let bytes = socket.read()
            let actions = machine.withLock { bytes.isEmpty ? $0.connectionLost() : $0.receive(bytes) }
            perform(actions)
            if bytes.isEmpty { break }
        }
        finish(.abnormalClosure, "connection lost")
    }

    private func perform(_ actions: [WebSocketAction]) {
        for action in actions {
            switch action {
            case .write(let bytes): write(bytes)
            case .deliver(let message): inbound.yield(message)
            case .pongReceived: break
            case .closeConnection(let code, let reason):
                finish(code, reason)
                socket.shutdown()
            }
        }
    }

    /// Records the first ending and closes the inbound stream accordingly.
    private func finish(_ code: WebSocketCloseCode, _ reason: String) {
        let first = ending.withLock { end -> Bool in
            if end != nil { return false }
            end = (code, reason)
            return true
        }
        guard first else { return }
        if [.normalClosure, .goingAway, .noStatusReceived].contains(code) {
            inbound.finish()
        } else {
            inbound.finish(throwing: WebSocketClientError.closed(code))
        }
    }
}

import PulseHTTP

extension Router {
    /// Accepts WebSocket upgrades on `pattern` (GET). `handler` runs once per connection
    /// with the session; when it returns, the session is closed with 1000 if still open.
    /// Requests that are not valid upgrades get 400 (426 for a wrong version) as problem+json.
    ///
    /// ```swift
    /// router.webSocket("/ws/jobs") { session in
    ///     hub.subscribe(session, to: "jobs")
    ///     for await message in session.messages { ... }
    /// }
    /// ```
    public mutating func webSocket(
        _ pattern: String, configuration: WebSocketServerConfiguration = .init(),
        _ handler: @escaping @Sendable (WebSocketSession) async -> Void
    ) {
        get(pattern) { request in
            try WebSocketUpgrade.response(for: request, configuration: configuration, handler: handler)
        }
    }
}

/// Builds the 101 response for a validated upgrade request.
public enum WebSocketUpgrade {
    public static func response(
        for request: HTTPRequest, configuration: WebSocketServerConfiguration,
        handler: @escaping @Sendable (WebSocketSession) async -> Void
    ) throws -> HTTPResponse {
        let upgrade: WebSocketHandshake.UpgradeRequest
        do {
            upgrade = try WebSocketHandshake.validate(
                method: request.method.rawValue, httpVersion: (request.version.major, request.version.minor)
            ) { request.headers.values(for: $0) }
        } catch {
            var headers = HTTPHeaders()
            if error.status == 426 { headers.add(name: "Sec-WebSocket-Version", value: "13") }
            throw HTTPError(HTTPStatus(code: error.status), detail: error.reason, headers: headers)
        }
        var headers: HTTPHeaders = [
            "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Accept": WebSocketHandshake.acceptValue(forKey: upgrade.key),
        ]
        var deflate: PerMessageDeflateParameters?
        if let options = configuration.protocolConfiguration.deflate,
            let agreed = PerMessageDeflateParameters.negotiate(offers: upgrade.extensionOffers, options: options)
        {
            deflate = agreed.parameters
            headers.add(name: "Sec-WebSocket-Extensions", value: agreed.response)
        }
        let machine: WebSocketStateMachine
        do {
            machine = try WebSocketStateMachine(role: .server, configuration: configuration.protocolConfiguration, deflate: deflate)
        } catch {
            throw HTTPError(.internalServerError, detail: "WebSocket setup failed")
        }
        let session = WebSocketSession(request: request, machine: machine, configuration: configuration)
        return HTTPResponse(status: .switchingProtocols, headers: headers, upgrade: WebSocketUpgradeHandler(session: session, handler: handler))
    }
}

/// Glue between the HTTP server's upgrade hook and a session; runs on the event loop.
struct WebSocketUpgradeHandler: HTTPUpgradeHandler {
    let session: WebSocketSession
    let handler: @Sendable (WebSocketSession) async -> Void

    func upgraded(_ connection: UpgradedConnection) {
        session.attach(connection)
        let session = self.session
        let handler = self.handler
        // Run the application on the connection's own loop: echoes and replies then
        // reach the socket without hopping threads.
        Task(executorPreference: connection.eventLoop) {
            await handler(session)
            await session.close()
        }
    }

    func received(_ bytes: [UInt8], on connection: UpgradedConnection) { session.received(bytes) }
    func writeQueueDrained(on connection: UpgradedConnection) { session.drained() }
    func serverShuttingDown(on connection: UpgradedConnection) { session.startClose(code: .goingAway, reason: "server shutting down") }
    func closed(error: (any Error)?) { session.connectionClosed() }
}

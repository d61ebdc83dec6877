import Logging
import PulseHTTP

/// Runs `body` against a live server on 127.0.0.1:0 and always shuts it down afterwards.
public func withLiveHTTPServer<T>(
    configuration: HTTPServerConfiguration = HTTPServerConfiguration(port: 0, eventLoopCount: 2),
    responder: any HTTPResponder,
    observer: (any HTTPServerObserver)? = nil,
    _ body: (HTTPServer, Int) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let server = HTTPServer(configuration: configuration, responder: responder, observer: observer)
    let port = try server.start()
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

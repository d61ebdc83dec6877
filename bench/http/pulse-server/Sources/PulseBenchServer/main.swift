import Foundation
import PulseCore

/// The /json payload: 10 objects, about 1 KB, encoded per request (same as the peers').
struct BenchItem: Codable, Sendable {
    var id: Int
    var displayName: String
    var email: String
    var score: Double
    var active: Bool
    var tags: [String]
}

let items: [BenchItem] = (0..<10).map { i in
    BenchItem(id: i, displayName: "User \(i)", email: "user\(i)@example.com", score: Double(i) * 1.5, active: i % 2 == 0, tags: ["alpha", "beta"])
}
let health = Array("{\"status\":\"ok\"}".utf8)

var router = Router()
router.get("/health") { _ in .bytes(health, contentType: "application/json") }
router.get("/json") { _ in try .json(items) }
router.post("/echo") { request in .bytes(request.body, contentType: "application/octet-stream") }

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
ResourceLimits.raiseOpenFileLimit(to: 65536)
let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port, maxConnections: 100_000, timeouts: .init(idle: .seconds(600))), responder: router)
let bound = try server.start()
print("pulse listening on 127.0.0.1:\(bound)")
let signals = SignalWatcher()
_ = await signals.wait()
await server.shutdown()

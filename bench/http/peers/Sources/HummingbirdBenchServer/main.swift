import BenchPayload
import Hummingbird

/// GET /health, GET /json, POST /echo on Hummingbird 2.
let router = Router()
router.get("/health") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: BenchPayload.health)))
}
router.get("/json") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: BenchPayload.encode())))
}
router.post("/echo") { request, _ in
    let body = try await request.body.collect(upTo: 1 << 20)
    return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: BenchPayload.port())))
try await app.runService()

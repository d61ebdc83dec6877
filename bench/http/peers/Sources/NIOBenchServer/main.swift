import BenchPayload
import NIOCore
import NIOHTTP1
import NIOPosix

/// GET /health, GET /json, POST /echo on plain NIOHTTP1 (one event loop per core).
final class BenchHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
        case .body(var chunk):
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            let keepAlive = head.isKeepAlive
            var status = HTTPResponseStatus.ok
            var bytes: ByteBuffer
            var contentType = "application/json"
            switch (head.method, head.uri) {
            case (.GET, "/health"): bytes = context.channel.allocator.buffer(bytes: BenchPayload.health)
            case (.GET, "/json"): bytes = context.channel.allocator.buffer(bytes: BenchPayload.encode())
            case (.POST, "/echo"):
                bytes = body ?? context.channel.allocator.buffer(capacity: 0)
                contentType = "application/octet-stream"
            default:
                status = .notFound
                bytes = context.channel.allocator.buffer(capacity: 0)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(bytes.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
            let done = context.writeAndFlushPromise(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { [context] _ in context.close(promise: nil) } }
            self.head = nil
        }
    }
}

extension ChannelHandlerContext {
    func writeAndFlushPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
            channel.pipeline.addHandler(BenchHandler())
        }
    }
let channel = try bootstrap.bind(host: "127.0.0.1", port: BenchPayload.port()).wait()
print("nio listening on \(channel.localAddress!)")
try channel.closeFuture.wait()

// swift-tools-version:6.0
// Peer for bench/websocket/run.sh: a SwiftNIO (NIOWebSocket) echo server. A separate package
// with its own .build, resolved from the local package mirror; never a dependency of Pulse.
import PackageDescription

let package = Package(
    name: "PulseWebSocketBenchPeers",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .executableTarget(
            name: "NIOWebSocketEcho",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v5]
)

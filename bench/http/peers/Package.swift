// swift-tools-version:6.0
// Peer servers for bench/http/run.sh: the same three endpoints on SwiftNIO (NIOHTTP1) and
// Hummingbird 2. A separate package with its own .build; never a dependency of Pulse.
import PackageDescription

let package = Package(
    name: "PulseHTTPBenchPeers",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .target(name: "BenchPayload"),
        .executableTarget(
            name: "NIOBenchServer",
            dependencies: ["BenchPayload", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .executableTarget(
            name: "HummingbirdBenchServer",
            dependencies: ["BenchPayload", .product(name: "Hummingbird", package: "hummingbird")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

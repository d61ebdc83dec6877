// swift-tools-version:6.0
import Foundation
import PackageDescription

// Pulse: one package, one library (PulseCore) made of small layered targets, five thin
// service executables and the operator CLI. See docs/architecture.md for the module graph.

/// Hot numeric code (embedding kernels, vector distances) is compiled optimised even in
/// debug builds: at -Onone it is over 100x slower, which would make tests crawl.
let optimisedAlways: [SwiftSetting] = [.unsafeFlags(["-O"])]

/// The embedding kernels also get AVX2+FMA code generation when the build machine has
/// both (read from /proc/cpuinfo; a binary built this way needs AVX2+FMA where it runs).
/// Never AVX-512: such a binary crashes on CPUs without it. PULSE_PORTABLE_KERNELS=1
/// forces the generic x86-64 build.
let buildMachineHasAVX2FMA: Bool = {
    #if os(Linux) && arch(x86_64)
        if ProcessInfo.processInfo.environment["PULSE_PORTABLE_KERNELS"] == "1" { return false }
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
    #else
        return false
    #endif
}()
/// -wmo as well: without whole-module optimisation (debug builds) the small
/// @inline(__always) SIMD helpers are not inlined across files and the kernels crawl.
let embeddingKernelSettings: [SwiftSetting] =
    buildMachineHasAVX2FMA
    ? [.unsafeFlags(["-O", "-wmo", "-num-threads", "1", "-target-cpu", "haswell"]), .define("PULSE_FMA")]
    : [.unsafeFlags(["-O", "-wmo", "-num-threads", "1"])]

/// The vector engine: always optimised, and built for AVX2+FMA (fused multiply-add in its
/// distance kernels) under the same rule as the embedding kernels above, so the shipped
/// binary and the benchmarked one are the same build.
let vectorSettings: [SwiftSetting] =
    buildMachineHasAVX2FMA
    ? [.unsafeFlags(["-O", "-target-cpu", "haswell"]), .define("PULSE_VECTOR_FMA")]
    : optimisedAlways

let package = Package(
    name: "Pulse",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PulseCore", targets: ["PulseCore"]),
        .executable(name: "pulse", targets: ["PulseCLI"]),
        .executable(name: "pulse-frontend-gateway", targets: ["PulseGatewayService"]),
        .executable(name: "pulse-auth", targets: ["PulseAuthService"]),
        .executable(name: "pulse-backend", targets: ["PulseBackendService"]),
        .executable(name: "pulse-etl", targets: ["PulseETLService"]),
        .executable(name: "pulse-ai", targets: ["PulseAIService"]),
        .executable(name: "pulse-vector", targets: ["PulseVectorTool"]),
        .executable(name: "pulse-embed", targets: ["PulseEmbedTool"]),
        .executable(name: "pulse-ws-echo", targets: ["PulseWebSocketEcho"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // MARK: C system libraries and Linux syscall shims
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CLinuxShims"),

        // MARK: Transport: sockets, epoll event loops, HTTP/1.1, WebSocket
        .target(
            name: "PulseSystem",
            dependencies: ["CLinuxShims", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "PulseHTTP",
            dependencies: ["PulseSystem", "CZlib", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "PulseWebSocket",
            dependencies: [
                "PulseHTTP", "PulseSystem", "CZlib", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(
            name: "PulseHTTPClient",
            dependencies: ["PulseSystem", "PulseHTTP", "CLinuxShims", "COpenSSL", "CZlib", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Observability and configuration
        .target(
            name: "PulseObservability",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PulseConfiguration"),

        // MARK: Data layer
        .target(
            name: "PulsePostgres",
            dependencies: ["CLibPQ", "CLinuxShims", "PulseSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "PulseDatabaseOps",
            dependencies: ["PulsePostgres", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Security: crypto through OpenSSL, JWT, token verification
        .target(
            name: "PulseSecurity",
            dependencies: ["COpenSSL", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: AI core: vector engine and local embeddings
        .target(name: "PulseVector", swiftSettings: vectorSettings),
        .target(name: "PulseEmbeddingKernels", swiftSettings: embeddingKernelSettings),
        .target(name: "PulseEmbeddings", dependencies: ["PulseEmbeddingKernels"]),

        // MARK: Service composition (health, ready, metrics, openapi, lifecycle)
        .target(
            name: "PulseService",
            dependencies: [
                "PulseHTTP", "PulseHTTPClient", "PulseWebSocket", "PulseObservability", "PulseConfiguration",
                "PulsePostgres", "PulseDatabaseOps", "PulseSecurity",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Auth service library: stores, token authority, HTTP routes (issue 4)
        .target(
            name: "PulseAuth",
            dependencies: [
                "PulseSecurity", "PulsePostgres", "PulseHTTP", "PulseHTTPClient", "PulseService",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: ETL: connectors, jobs, push API (issue 12); vendor sandboxes
        .target(
            name: "PulseSandbox",
            dependencies: ["PulseHTTP", "PulseSystem", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        .target(
            name: "PulseETL",
            dependencies: [
                "PulseService", "PulseHTTP", "PulseHTTPClient", "PulsePostgres", "PulseSecurity", "PulseWebSocket",
                "PulseObservability", "PulseConfiguration",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Backend service library: clients, users, branding, integrations, mappings (issue 13)
        .target(
            name: "PulseBackend",
            dependencies: [
                "PulseService", "PulseHTTP", "PulseHTTPClient", "PulsePostgres", "PulseSecurity", "PulseConfiguration", "PulseETL", "PulseAuth",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Analytics: DORA engine, derived delivery facts, analytics API (issue 14)
        // Optimised even in debug builds: the engine walks commit graphs of whole repositories.
        .target(
            name: "PulseAnalytics",
            dependencies: [
                "PulsePostgres", "PulseHTTP", "PulseService",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimisedAlways
        ),

        // MARK: AI service library: embedding pipeline, indexes, search, predictions (issue 15)
        .target(
            name: "PulseAI",
            dependencies: [
                "PulseService", "PulseHTTP", "PulseHTTPClient", "PulsePostgres", "PulseDatabaseOps", "PulseSecurity", "PulseObservability",
                "PulseVector", "PulseEmbeddings", .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Frontend gateway: routing table, reverse proxy, web app files, rate limits (issue 11/16)
        .target(
            name: "PulseGateway",
            dependencies: [
                "PulseService", "PulseHTTP", "PulseHTTPClient", "PulseConfiguration",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The library product
        .target(
            name: "PulseCore",
            dependencies: [
                "PulseSystem", "PulseHTTP", "PulseHTTPClient", "PulseWebSocket", "PulseObservability", "PulseConfiguration",
                "PulsePostgres", "PulseDatabaseOps", "PulseSecurity", "PulseVector", "PulseEmbeddings",
                "PulseService",
            ]
        ),

        // MARK: Executables (thin: build the service from its configuration)
        .executableTarget(name: "PulseGatewayService", dependencies: ["PulseGateway", "PulseService"]),
        .executableTarget(name: "PulseAuthService", dependencies: ["PulseCore", "PulseAuth"]),
        .executableTarget(name: "PulseBackendService", dependencies: ["PulseCore", "PulseBackend", "PulseAnalytics"]),
        .executableTarget(name: "PulseETLService", dependencies: ["PulseCore", "PulseETL"]),
        .executableTarget(name: "PulseAIService", dependencies: ["PulseCore", "PulseAI"]),
        .executableTarget(
            name: "PulseCLI",
            dependencies: ["PulseCore", "PulseAuth", "PulseSandbox", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "PulseVectorTool",
            dependencies: ["PulseVector", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimisedAlways
        ),
        .executableTarget(
            name: "PulseWebSocketEcho",
            dependencies: ["PulseWebSocket", "PulseHTTP", "PulseSystem", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "PulseEmbedTool",
            dependencies: ["PulseEmbeddings", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: Test support and tests
        .target(name: "PulseTestSupport", dependencies: ["PulseCore"], path: "Tests/PulseTestSupport"),
        .testTarget(name: "PulseSystemTests", dependencies: ["PulseSystem", "PulseTestSupport"]),
        .testTarget(name: "PulseConfigurationTests", dependencies: ["PulseConfiguration", "PulseTestSupport"]),
        .testTarget(name: "PulseObservabilityTests", dependencies: ["PulseObservability", "PulseTestSupport"]),
        .testTarget(name: "PulseHTTPTests", dependencies: ["PulseHTTP", "PulseTestSupport"]),
        .testTarget(name: "PulseHTTPClientTests", dependencies: ["PulseHTTPClient", "PulseHTTP", "PulseTestSupport"]),
        .testTarget(name: "PulseWebSocketTests", dependencies: ["PulseWebSocket", "PulseHTTP", "PulseTestSupport"]),
        .testTarget(name: "PulsePostgresTests", dependencies: ["PulsePostgres", "PulseDatabaseOps", "PulseTestSupport"]),
        .testTarget(name: "PulseSecurityTests", dependencies: ["PulseSecurity", "PulseTestSupport"]),
        .testTarget(name: "PulseVectorTests", dependencies: ["PulseVector"]),
        .testTarget(
            name: "PulseEmbeddingsTests", dependencies: ["PulseEmbeddings", "PulseEmbeddingKernels"],
            exclude: ["Fixtures"]),
        .testTarget(name: "PulseAuthTests", dependencies: ["PulseAuth", "PulseTestSupport"]),
        .testTarget(name: "PulseServiceTests", dependencies: ["PulseService", "PulseTestSupport"]),
        .testTarget(name: "PulseSandboxTests", dependencies: ["PulseSandbox", "PulseHTTPClient", "PulseTestSupport"]),
        .testTarget(
            name: "PulseETLTests", dependencies: ["PulseETL", "PulseSandbox", "PulseTestSupport"],
            exclude: ["GitHubFixtures"]),
        .testTarget(name: "PulseBackendTests", dependencies: ["PulseBackend", "PulseAuth", "PulseSandbox", "PulseTestSupport"]),
        .testTarget(name: "PulseAnalyticsTests", dependencies: ["PulseAnalytics", "PulseTestSupport"]),
        .testTarget(name: "PulseAITests", dependencies: ["PulseAI", "PulseTestSupport"]),
        .testTarget(name: "PulseGatewayTests", dependencies: ["PulseGateway", "PulseTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
// Pulse's side of bench/http/run.sh: the three endpoints on PulseHTTP. A separate package that
// depends on the main one by path, so the product build stays lean.
import PackageDescription

let package = Package(
    name: "PulseHTTPBenchServer",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Pulse", path: "../../..")],
    targets: [
        .executableTarget(name: "PulseBenchServer", dependencies: [.product(name: "PulseCore", package: "Pulse")])
    ],
    swiftLanguageModes: [.v6]
)

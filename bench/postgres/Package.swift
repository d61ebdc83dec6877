// swift-tools-version:6.0
import PackageDescription

// Data-layer benchmark, outside the product build: PulsePostgres against pgbench and psql \copy.
let package = Package(
    name: "PostgresBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: ".deps/pulse")],  // run.sh links .deps/pulse to the repository root
    targets: [
        .executableTarget(name: "PostgresBench", dependencies: [.product(name: "PulseCore", package: "pulse")])
    ],
    swiftLanguageModes: [.v6]
)

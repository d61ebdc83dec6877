// swift-tools-version:6.0
import Foundation
import PackageDescription

// Security benchmarks, a separate package so the product build never compiles them
// (as swift-nio's Benchmarks/). It depends on the main package by path; a path dependency's
// identity is its folder name, which differs between checkouts, so derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardizedFileURL
let rootIdentity = root.lastPathComponent.lowercased()

let package = Package(
    name: "security-bench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "../../..")],
    targets: [
        .executableTarget(
            name: "SecurityBench",
            dependencies: [.product(name: "PulseCore", package: rootIdentity)],
            path: "Sources/SecurityBench"
        ),
        .executableTarget(
            name: "AuthBench",
            dependencies: [.product(name: "PulseCore", package: rootIdentity)],
            path: "Sources/AuthBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)

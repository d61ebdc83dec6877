import Foundation

/// A temporary folder removed when the value is released (`defer { dir.remove() }`).
public struct TemporaryDirectory {
    public let path: String

    public init(_ prefix: String = "pulse-test") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the folder and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The package root, found from this file's path (Tests/PulseTestSupport/…).
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

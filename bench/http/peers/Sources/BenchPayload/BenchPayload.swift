import Foundation

/// The /json payload every server encodes per request: 10 objects, about 1 KB of JSON.
/// (A copy of bench/http/pulse-server's; the two packages share no code on purpose.)
public struct BenchItem: Codable, Sendable {
    public var id: Int
    public var displayName: String
    public var email: String
    public var score: Double
    public var active: Bool
    public var tags: [String]
}

public enum BenchPayload {
    public static let items: [BenchItem] = (0..<10).map { i in
        BenchItem(id: i, displayName: "User \(i)", email: "user\(i)@example.com", score: Double(i) * 1.5, active: i % 2 == 0, tags: ["alpha", "beta"])
    }

    /// The platform's JSON conventions (snake_case keys, sorted), the same in every server.
    public static func encode() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try! encoder.encode(items))
    }

    public static let health: [UInt8] = Array("{\"status\":\"ok\"}".utf8)

    public static func port() -> Int { CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080 }
}

import PulseHTTP

/// The kinds of item the AI service embeds and searches, and how an item is named inside a
/// vector index: one `UInt64` per item, the type's code in the top 8 bits and the row id in
/// the low 48.
public enum AIItemType: String, CaseIterable, Sendable, Codable, Hashable {
    case workItem = "work_item"
    case pr
    case incident
    case project
    case repository

    var code: UInt64 {
        switch self {
        case .workItem: 1
        case .pr: 2
        case .incident: 3
        case .project: 4
        case .repository: 5
        }
    }

    /// The source table holding the row and its `embedding` column.
    var table: String {
        switch self {
        case .workItem: "work_items"
        case .pr: "prs"
        case .incident: "incidents"
        case .project: "projects"
        case .repository: "repositories"
        }
    }

    init?(code: UInt64) {
        guard let type = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = type
    }

    /// Parses a comma-separated `types=` parameter; nil or empty means every type.
    static func parseList(_ text: String?) throws -> Set<AIItemType> {
        guard let text, !text.isEmpty else { return Set(allCases) }
        var set = Set<AIItemType>()
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let type = AIItemType(rawValue: name) else {
                throw HTTPError(.badRequest, detail: "unknown type '\(name.prefix(40))' (use \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            set.insert(type)
        }
        return set
    }
}

/// An item's identity: its type and row id.
public struct AIItemRef: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let type: AIItemType
    public let id: Int64

    public init(type: AIItemType, id: Int64) {
        self.type = type
        self.id = id
    }

    /// The id used in vector indexes.
    public var vectorID: UInt64 { (type.code << 56) | (UInt64(id) & 0x0000_FFFF_FFFF_FFFF) }

    public init?(vectorID: UInt64) {
        guard let type = AIItemType(code: vectorID >> 56) else { return nil }
        self.init(type: type, id: Int64(vectorID & 0x0000_FFFF_FFFF_FFFF))
    }

    public var description: String { "\(type.rawValue):\(id)" }

    public static func < (a: AIItemRef, b: AIItemRef) -> Bool { (a.type.code, a.id) < (b.type.code, b.id) }
}

import Foundation

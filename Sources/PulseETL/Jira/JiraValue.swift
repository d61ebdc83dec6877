import Foundation
import PulseSecurity

/// A parsed Jira JSON value with forgiving accessors: a missing member, a wrong type or a
/// `null` all read as "absent" (`nil`), so a vendor payload that lacks a field or sends an
/// unexpected type never traps; the caller decides whether the item is still usable.
struct JiraValue: Sendable, Equatable {
    var raw: JSONValue

    init(_ raw: JSONValue) { self.raw = raw }

    static let absent = JiraValue(.null)

    /// Parses a response body: one JSON value of any kind (object, array...). Bodies that are
    /// not JSON (HTML error pages, truncated text) throw ``JiraPayloadError``.
    static func parse(_ body: [UInt8]) throws(JiraPayloadError) -> JiraValue {
        // StrictJSON reads objects only; wrap the body so bare arrays parse as well.
        var wrapped: [UInt8] = Array(#"{"v":"#.utf8)
        wrapped.reserveCapacity(body.count + 6)
        wrapped.append(contentsOf: body)
        wrapped.append(UInt8(ascii: "}"))
        guard let members = try? StrictJSON.object(wrapped, maximumDepth: 96), let value = members["v"] else {
            throw JiraPayloadError(body: body)
        }
        return JiraValue(value)
    }

    subscript(_ key: String) -> JiraValue {
        if case .object(let members) = raw, let v = members[key] { return JiraValue(v) }
        return .absent
    }

    var isNull: Bool { raw == .null }
    var exists: Bool { raw != .null }

    /// A string, or a number written as digits (ids are strings of digits, sometimes numbers).
    var string: String? {
        switch raw {
        case .string(let s): return Self.storable(s)
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: return String(Int64(d))
        default: return nil
        }
    }

    /// A non-empty JSON string (numbers are not taken for names).
    var stringValue: String? {
        if case .string(let s) = raw, !s.isEmpty { return Self.storable(s) }
        return nil
    }

    /// PostgreSQL text and jsonb cannot hold U+0000: one such character would make every
    /// attempt at the page fail, so it is dropped.
    static func storable(_ s: String) -> String {
        s.utf8.contains(0) ? String(s.unicodeScalars.filter { $0.value != 0 }.map(Character.init)) : s
    }

    /// A non-empty string.
    var text: String? {
        guard let s = string, !s.isEmpty else { return nil }
        return s
    }

    var double: Double? {
        switch raw {
        case .number(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    var int: Int? {
        guard let d = double, d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    var bool: Bool? {
        if case .bool(let b) = raw { return b }
        return nil
    }

    /// The elements of an array (empty for anything else).
    var array: [JiraValue] {
        if case .array(let items) = raw { return items.map(JiraValue.init) }
        return []
    }

    var isArray: Bool {
        if case .array = raw { return true }
        return false
    }

    var members: [String: JiraValue] {
        if case .object(let m) = raw { return m.mapValues(JiraValue.init) }
        return [:]
    }

    /// Compact JSON text (for JSONB columns and request bodies); object members sorted so the
    /// same value always gives the same text.
    var jsonText: String {
        var out = ""
        Self.write(raw, to: &out)
        return out
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += String(d) }
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                writeString(key, to: &out)
                out += ":"
                write(members[key]!, to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}": break  // not storable in jsonb (see `storable`)
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `s` cut to at most `limit` characters (PostgreSQL counts code points): a vendor name
    /// longer than its VARCHAR column must not make the whole page fail on every attempt.
    static func clip(_ s: String?, _ limit: Int) -> String? {
        guard let s else { return nil }
        return s.unicodeScalars.count <= limit ? s : String(String.UnicodeScalarView(s.unicodeScalars.prefix(limit)))
    }

    /// Builders for request bodies.
    static func object(_ members: [String: JiraValue]) -> JiraValue { JiraValue(.object(members.mapValues(\.raw))) }
    static func string(_ s: String) -> JiraValue { JiraValue(.string(s)) }
    static func number(_ n: Int) -> JiraValue { JiraValue(.number(Double(n))) }
    static func strings(_ items: [String]) -> JiraValue { JiraValue(.array(items.map { .string($0) })) }
}

/// A body that is not the JSON Jira should have sent: an HTML error page from a proxy, a
/// truncated response, plain text. Says what it looked like, never the whole body.
struct JiraPayloadError: Error, Sendable, CustomStringConvertible {
    var summary: String

    init(body: [UInt8]) {
        let head = String(decoding: body.prefix(200), as: UTF8.self)
        let trimmed = head.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            summary = "an empty body"
        } else if trimmed.hasPrefix("<") {
            let title = trimmed.range(of: "<title>").flatMap { start in
                trimmed[start.upperBound...].range(of: "</title>").map { String(trimmed[start.upperBound..<$0.lowerBound]) }
            }
            summary = "an HTML page" + (title.map { " (\"\($0)\")" } ?? "") + " instead of JSON"
        } else if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            summary = "malformed or truncated JSON (\(body.count) bytes)"
        } else {
            summary = "text that is not JSON: \"\(trimmed.prefix(80))\""
        }
    }

    var description: String { summary }
}

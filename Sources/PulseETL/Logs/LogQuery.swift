import Foundation
import Logging
import PulseObservability

/// One parsed line of a per-client log file (PulseObservability's format:
/// `2025-09-04T01:19:52.225555Z [info] [HTTP] Request [pulse.backend] key=value ...`).
public struct LogEntry: Sendable, Equatable, Codable {
    public var timestamp: String
    public var level: String
    public var category: String
    public var message: String
    public var module: String
    public var client: String
    /// `key=value` pairs after the module, as written (already redacted by the writer).
    public var fields: String
    /// 1-based line number in the client's file (with the timestamp, the entry's cursor).
    public var line: Int

    /// Parses one line; nil for anything that is not in the format.
    public static func parse(_ text: Substring, client: String, line: Int) -> LogEntry? {
        let parts = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1].hasPrefix("["), parts[1].hasSuffix("]"), parts[2].hasPrefix("["), parts[2].hasSuffix("]") else {
            return nil
        }
        let rest = parts[3]
        // The module is the last " [x]" before the metadata (metadata values never hold " [" unquoted).
        var message = String(rest), module = "", fields = ""
        if let range = rest.range(of: " [", options: .backwards) {
            let after = rest[range.upperBound...]
            if let close = after.firstIndex(of: "]") {
                message = String(rest[..<range.lowerBound])
                module = String(after[..<close])
                fields = String(after[after.index(after: close)...]).trimmingCharacters(in: .whitespaces)
            }
        }
        return LogEntry(timestamp: String(parts[0]), level: String(parts[1].dropFirst().dropLast()),
                        category: String(parts[2].dropFirst().dropLast()), message: message, module: module, client: client,
                        fields: fields, line: line)
    }
}

/// Filters of `GET /etl/logs` and `/ws/logs`.
public struct LogFilter: Sendable, Equatable {
    /// Minimum level (`warning` shows warning, error and critical).
    public var level: Logger.Level?
    public var category: String?
    /// Client slugs whose files are read.
    public var clients: [String]
    public var since: String?
    public var until: String?
    /// Case-insensitive text anywhere in the line.
    public var text: String?

    public init(level: Logger.Level? = nil, category: String? = nil, clients: [String], since: String? = nil, until: String? = nil,
                text: String? = nil) {
        self.level = level
        self.category = category
        self.clients = clients
        self.since = since
        self.until = until
        self.text = text
    }

    static let order: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]

    public func matches(_ entry: LogEntry, raw: Substring) -> Bool {
        if let level, let rank = Self.order.firstIndex(of: level) {
            guard let entryLevel = Logger.Level(rawValue: entry.level), let entryRank = Self.order.firstIndex(of: entryLevel),
                  entryRank >= rank else { return false }
        }
        if let category, entry.category.caseInsensitiveCompare(category) != .orderedSame { return false }
        // ISO-8601 UTC timestamps of one width compare as text.
        if let since, entry.timestamp < since { return false }
        if let until, entry.timestamp > until { return false }
        if let text, !text.isEmpty, raw.range(of: text, options: .caseInsensitive) == nil { return false }
        return true
    }
}

/// Reads the per-client log files under the `log.client_dir` folder.
public struct LogReader: Sendable {
    public let directory: String
    /// Only the last this many bytes of a file are searched (older lines: rotate or grep).
    public var maximumBytesPerFile = 32 << 20

    public init(directory: String) { self.directory = directory }

    public func path(client: String) -> String { directory + "/" + ClientLogFiles.fileName(for: client) }

    /// Clients that have a file (slug from the file name).
    public func clientsWithFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".log") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// Entries newest first, `limit` of them, older than `cursor` (`<timestamp>|<client>|<line>`).
    public func query(_ filter: LogFilter, limit: Int, cursor: String?) -> (entries: [LogEntry], next: String?) {
        var all: [LogEntry] = []
        for client in filter.clients {
            guard let data = FileManager.default.contents(atPath: path(client: client)) else { continue }
            let start = max(0, data.count - maximumBytesPerFile)
            let text = String(decoding: data[start...], as: UTF8.self)
            var number = 0
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                number += 1
                guard let entry = LogEntry.parse(raw, client: client, line: number), filter.matches(entry, raw: raw) else { continue }
                all.append(entry)
            }
        }
        all.sort { ($0.timestamp, $0.client, $0.line) > ($1.timestamp, $1.client, $1.line) }
        if let cursor {
            let parts = cursor.split(separator: "|", maxSplits: 2).map(String.init)
            if parts.count == 3, let line = Int(parts[2]) {
                all.removeAll { ($0.timestamp, $0.client, $0.line) >= (parts[0], parts[1], line) }
            }
        }
        let page = Array(all.prefix(limit))
        let next = all.count > limit ? page.last.map { "\($0.timestamp)|\($0.client)|\($0.line)" } : nil
        return (page, next)
    }

    /// The end offset of each client's file now (where a live tail starts).
    public func offsets(_ clients: [String]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for client in clients {
            let size = (try? FileManager.default.attributesOfItem(atPath: path(client: client))[.size] as? UInt64) ?? 0
            result[client] = size ?? 0
        }
        return result
    }

    /// Complete lines appended since `offsets` (advanced past them), filtered.
    public func appended(_ filter: LogFilter, offsets: inout [String: UInt64]) -> [LogEntry] {
        var entries: [LogEntry] = []
        for client in filter.clients {
            guard let handle = FileHandle(forReadingAtPath: path(client: client)) else { continue }
            defer { try? handle.close() }
            var offset = offsets[client] ?? 0
            let end = (try? handle.seekToEnd()) ?? 0
            if end < offset { offset = 0 }  // truncated or rotated
            guard end > offset else { continue }
            try? handle.seek(toOffset: offset)
            let data = (try? handle.read(upToCount: Int(min(end - offset, 4 << 20)))) ?? Data()
            guard let lastNewline = data.lastIndex(of: 0x0A) else { continue }
            let complete = data[data.startIndex...lastNewline]
            offsets[client] = offset + UInt64(complete.count)
            for raw in String(decoding: complete, as: UTF8.self).split(separator: "\n") {
                if let entry = LogEntry.parse(raw, client: client, line: 0), filter.matches(entry, raw: raw) { entries.append(entry) }
            }
        }
        return entries
    }
}

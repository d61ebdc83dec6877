import Foundation

/// Jira's date formats: ISO 8601 with millis and an offset with or without a colon
/// (`2021-01-17T12:34:00.000+0000`, `2015-04-11T15:22:00.000+10:00`, `...Z`), epoch numbers
/// in a few places (bulk changelog `created`), and JQL date literals (`yyyy/MM/dd HH:mm`)
/// that Jira reads in the calling user's time zone.
enum JiraTime {
    /// Parses a Jira timestamp (string or number) to an absolute time; nil when unusable.
    static func parse(_ value: JiraValue) -> Date? {
        if case .number(let n) = value.raw {
            // Epoch seconds or milliseconds (the bulk changelog example shows seconds).
            return Date(timeIntervalSince1970: n > 100_000_000_000 ? n / 1000 : n)
        }
        guard let s = value.text else { return nil }
        return parse(s)
    }

    static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += digits
            return v
        }
        func skip(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        if skip("T") || skip(" ") {
            guard let h = number(2), skip(":"), let m = number(2) else { return nil }
            hour = h
            minute = m
            if skip(":") {
                guard let sec = number(2) else { return nil }
                second = sec
                if skip(".") || skip(",") {
                    var scale = 0.1
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        fraction += Double(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                    }
                }
            }
        }
        var offsetSeconds = 0
        if i < b.count {
            if skip("Z") || skip("z") {
                offsetSeconds = 0
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = number(2) else { return nil }
                _ = skip(":")
                let om = number(2) ?? 0
                offsetSeconds = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// A JQL date literal (`"yyyy/MM/dd HH:mm"`, minutes precision, truncated) for `date`
    /// written in `timeZone` — the zone Jira reads the literal in (the user's, from /myself).
    static func jqlLiteral(_ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year ?? 1970)/\(two(c.month))/\(two(c.day)) \(two(c.hour)):\(two(c.minute))"
    }
}

/// Plain text of an Atlassian Document Format value (v3 `description`, textarea custom
/// fields): text nodes in order, paragraphs and block nodes on their own lines, mentions,
/// emoji and links by their visible text. A plain string (as the spec's examples show) is
/// returned as it is.
enum AtlassianDocument {
    static func plainText(_ value: JiraValue) -> String? {
        if let s = value.string { return s }
        guard value["type"].string != nil || value["content"].isArray else { return nil }
        var lines: [String] = []
        var current = ""
        walk(value, lines: &lines, current: &current)
        if !current.isEmpty { lines.append(current) }
        let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return text
    }

    private static let blockTypes: Set<String> = [
        "paragraph", "heading", "blockquote", "codeBlock", "listItem", "panel", "rule", "tableRow",
        "mediaSingle", "mediaGroup", "expand", "nestedExpand", "decisionItem", "taskItem",
    ]

    private static func walk(_ node: JiraValue, lines: inout [String], current: inout String) {
        let type = node["type"].string ?? ""
        switch type {
        case "text": current += node["text"].string ?? ""
        case "hardBreak":
            lines.append(current)
            current = ""
        case "mention": current += node["attrs"]["text"].string ?? ""
        case "emoji": current += node["attrs"]["text"].string ?? node["attrs"]["shortName"].string ?? ""
        case "inlineCard", "blockCard": current += node["attrs"]["url"].string ?? ""
        case "date":
            if let ms = node["attrs"]["timestamp"].double {
                current += ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: ms / 1000))
            }
        case "status": current += node["attrs"]["text"].string ?? ""
        case "tableCell", "tableHeader":
            if !current.isEmpty, !current.hasSuffix(" ") { current += " " }
            for child in node["content"].array { walk(child, lines: &lines, current: &current) }
            return
        default: break
        }
        for child in node["content"].array { walk(child, lines: &lines, current: &current) }
        if blockTypes.contains(type), !current.isEmpty {
            lines.append(current)
            current = ""
        }
    }
}

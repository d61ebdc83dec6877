import Foundation

/// Turns request bodies into raw rows (field → text) for ``PushValidation``: a JSON object,
/// a JSON array of objects, `{"deployments": [...]}` / `{"incidents": [...]}`, or CSV with a
/// header row (RFC 4180 quoting).
public enum PushPayload {
    /// A body that is not rows at all (bad JSON, bad CSV, wrong shape), naming where.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Rows of a JSON body. Scalars become text; `null` is an absent field; objects and
    /// arrays as field values are refused. An object holding `key` is a wrapper of an array.
    public static func jsonRows(_ body: [UInt8], key: String) throws(Malformed) -> [[String: String]] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) } catch {
            throw Malformed(message: "the body is not valid JSON")
        }
        var items: [Any]
        if let array = object as? [Any] {
            items = array
        } else if let dictionary = object as? [String: Any] {
            if let nested = dictionary[key] {
                guard let array = nested as? [Any] else { throw Malformed(message: "\(key): expected an array of objects") }
                items = array
            } else {
                items = [dictionary]
            }
        } else {
            throw Malformed(message: "expected a JSON object or an array of objects")
        }
        var rows: [[String: String]] = []
        rows.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let fields = item as? [String: Any] else { throw Malformed(message: "[\(index)]: expected an object") }
            var row: [String: String] = [:]
            for (key, value) in fields {
                switch value {
                case is NSNull: continue
                case let text as String: row[key] = text
                case let number as NSNumber: row[key] = number.stringValue
                default: throw Malformed(message: "[\(index)].\(key): expected a string or number")
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Rows of a CSV body: the first record names the fields; empty cells are absent fields.
    public static func csvRows(_ body: [UInt8]) throws(Malformed) -> [[String: String]] {
        guard let text = String(validating: body, as: UTF8.self) else { throw Malformed(message: "the CSV is not UTF-8") }
        let records = try parseCSV(text)
        guard let header = records.first else { throw Malformed(message: "the CSV is empty; a header row is required") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if Set(names).count != names.count { throw Malformed(message: "CSV header: a column name appears twice") }
        var rows: [[String: String]] = []
        for (index, record) in records.dropFirst().enumerated() {
            if record.count == 1, record[0].isEmpty { continue }  // blank line
            guard record.count == names.count else {
                throw Malformed(message: "CSV row \(index + 1): \(record.count) cells, the header has \(names.count)")
            }
            var row: [String: String] = [:]
            for (name, value) in zip(names, record) where !value.isEmpty { row[name] = value }
            rows.append(row)
        }
        return rows
    }

    static func parseCSV(_ text: String) throws(Malformed) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; afterQuote = true; pending = following }
                    } else { quoted = false; afterQuote = true }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case ",":
                record.append(field); field = ""; afterQuote = false
            case "\r":
                continue
            case "\n":
                record.append(field); records.append(record); record = []; field = ""; afterQuote = false; line += 1
            case "\"":
                guard field.isEmpty, !afterQuote else { throw Malformed(message: "CSV line \(line): a quote inside an unquoted field") }
                quoted = true
            default:
                if afterQuote { throw Malformed(message: "CSV line \(line): text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw Malformed(message: "CSV line \(line): a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}

import Foundation
import Synchronization

/// `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`, reproduced: the same word splitting
/// (a word ends before an uppercase letter; a run of capitals is a word of its own up to the
/// capital that starts the next lowercase word), each word lowercased, joined with `_`.
/// ASCII keys (every Swift property name we use) are converted here byte by byte; other keys
/// are handed to Foundation once and remembered, so the result is Foundation's by construction.
enum JSONKeyConversion {
    /// Appends the snake_case form of `key` to `out`.
    static func appendSnakeCase(_ key: String, to out: inout [UInt8]) {
        var key = key
        let done = key.withUTF8 { bytes -> Bool in
            // "\r\n" is one Character; Foundation's index(after:) steps over it whole.
            var previous: UInt8 = 0
            for byte in bytes {
                if byte >= 0x80 || (byte == 0x0A && previous == 0x0D) { return false }
                previous = byte
            }
            appendASCIISnakeCase(bytes, to: &out)
            return true
        }
        if !done { out.append(contentsOf: foundationSnakeCase(key).utf8) }
    }

    private static func appendASCIISnakeCase(_ key: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let count = key.count
        guard count > 0 else { return }
        var firstWord = true
        func emit(_ start: Int, _ end: Int) {
            if !firstWord { out.append(UInt8(ascii: "_")) }
            firstWord = false
            for index in start..<end {
                let byte = key[index]
                out.append(isUpper(byte) ? byte | 0x20 : byte)
            }
        }
        var wordStart = 0
        var search = 1
        while let upper = firstIndex(in: key, from: search, where: isUpper) {
            emit(wordStart, upper)
            guard let lower = firstIndex(in: key, from: upper, where: isLower) else {
                wordStart = upper
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                emit(upper, lower - 1)
                wordStart = lower - 1
            }
            search = lower + 1
        }
        emit(wordStart, count)
    }

    @inline(__always) private static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    @inline(__always) private static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }

    private static func firstIndex(in key: UnsafeBufferPointer<UInt8>, from start: Int, where test: (UInt8) -> Bool) -> Int? {
        var index = start
        while index < key.count {
            if test(key[index]) { return index }
            index += 1
        }
        return nil
    }

    // MARK: Non-ASCII keys: Foundation's answer, cached

    private static let cache = Mutex<[String: String]>([:])

    static func foundationSnakeCase(_ key: String) -> String {
        if let known = cache.withLock({ $0[key] }) { return known }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let converted: String
        if let data = try? encoder.encode(SingleKey(key: key)),
            let object = try? JSONDecoder().decode([String: Int].self, from: data), let only = object.keys.first
        {
            converted = only
        } else {
            converted = key
        }
        cache.withLock { table in
            if table.count >= 4096 { table.removeAll() }  // keys come from types, not input; bound it anyway
            table[key] = converted
        }
        return converted
    }

    /// One object with one key, so Foundation applies its key strategy to it.
    private struct SingleKey: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONStringKey.self)
            try container.encode(0, forKey: JSONStringKey(key))
        }
    }
}

/// A coding key made from a string (dictionary keys, `super`).
struct JSONStringKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.init(stringValue) }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// An array index in a coding path; its text is made only if someone asks (errors).
struct JSONIndexKey: CodingKey {
    let index: Int
    init(index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { index = intValue }
    var intValue: Int? { index }
    var stringValue: String { "Index \(index)" }
}

import Foundation

/// A Codable JSON encoder that writes UTF-8 straight into a `[UInt8]`: no intermediate tree,
/// containers written as they are filled, object members reordered in place when sorted keys
/// are asked for. For the options it offers its output is byte for byte what Foundation's
/// `JSONEncoder` writes with the same settings (tested against it), about an order of
/// magnitude faster; types whose `encode(to:)` fills containers out of order are encoded by an
/// equally configured `JSONEncoder` instead, so they get the same bytes too.
///
/// Without `sortedKeys`, members come in the order they were encoded (`JSONEncoder`'s own
/// order is a hash order that changes from run to run).
public struct JSONBodyEncoder: Sendable {
    public enum KeyEncodingStrategy: Sendable, Equatable {
        case useDefaultKeys
        /// `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`; like it, keys of `[String: _]`
        /// dictionaries are written as they are.
        case convertToSnakeCase
    }

    public enum DateEncodingStrategy: Sendable, Equatable {
        /// `Date`'s own `Codable` form: seconds since 2001-01-01 as a number.
        case deferredToDate
        /// `"2026-11-25T17:20:00Z"`: UTC, whole seconds (as `JSONEncoder`'s `.iso8601`).
        case iso8601
        case secondsSince1970
        case millisecondsSince1970
    }

    public var keyEncodingStrategy: KeyEncodingStrategy
    public var dateEncodingStrategy: DateEncodingStrategy
    /// Members of every object in UTF-8 byte order of their keys (`.sortedKeys`).
    public var sortedKeys: Bool
    /// `/` written as `\/` (`JSONEncoder`'s default; off is `.withoutEscapingSlashes`).
    public var escapesSlashes: Bool

    /// Defaults are `JSONEncoder`'s.
    public init(
        keyEncodingStrategy: KeyEncodingStrategy = .useDefaultKeys, dateEncodingStrategy: DateEncodingStrategy = .deferredToDate,
        sortedKeys: Bool = false, escapesSlashes: Bool = true
    ) {
        self.keyEncodingStrategy = keyEncodingStrategy
        self.dateEncodingStrategy = dateEncodingStrategy
        self.sortedKeys = sortedKeys
        self.escapesSlashes = escapesSlashes
    }

    /// The platform's conventions, the same as `JSONCoding.makeEncoder()`: snake_case keys,
    /// ISO-8601 dates, sorted keys, slashes unescaped.
    public static let platform = JSONBodyEncoder(
        keyEncodingStrategy: .convertToSnakeCase, dateEncodingStrategy: .iso8601, sortedKeys: true, escapesSlashes: false)

    /// The JSON text of `value`. NaN and infinities throw `EncodingError.invalidValue`, as a
    /// value that encodes nothing at the top level does.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        try encode(value, appendingTo: &bytes)
        return bytes
    }

    /// Appends the JSON text of `value` to `buffer` (a reused buffer saves the allocation). On
    /// error `buffer` is left as it was.
    public func encode<T: Encodable>(_ value: T, appendingTo buffer: inout [UInt8]) throws {
        let start = buffer.count
        do {
            try encodeStreaming(value, appendingTo: &buffer)
        } catch is JSONStreamingUnsupported {
            buffer.removeSubrange(start...)
            buffer.append(contentsOf: try makeFoundationEncoder().encode(value))
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
    }

    /// The streaming encoder alone: throws `JSONStreamingUnsupported` where `encode` falls back.
    func encodeStreaming<T: Encodable>(_ value: T, appendingTo buffer: inout [UInt8]) throws {
        let state = JSONEncodingState.make(options: self)
        swap(&state.out, &buffer)
        defer {
            swap(&state.out, &buffer)
            JSONEncodingState.recycle(state)
        }
        try state.encodeRoot(value)
        if state.unsupported { throw JSONStreamingUnsupported() }
    }

    /// A Foundation `JSONEncoder` with the same settings.
    public func makeFoundationEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = keyEncodingStrategy == .convertToSnakeCase ? .convertToSnakeCase : .useDefaultKeys
        switch dateEncodingStrategy {
        case .deferredToDate: encoder.dateEncodingStrategy = .deferredToDate
        case .iso8601: encoder.dateEncodingStrategy = .iso8601
        case .secondsSince1970: encoder.dateEncodingStrategy = .secondsSince1970
        case .millisecondsSince1970: encoder.dateEncodingStrategy = .millisecondsSince1970
        }
        var formatting: JSONEncoder.OutputFormatting = []
        if sortedKeys { formatting.insert(.sortedKeys) }
        if !escapesSlashes { formatting.insert(.withoutEscapingSlashes) }
        encoder.outputFormatting = formatting
        return encoder
    }
}

extension JSONEncodingState {
    func encodeRoot<T: Encodable>(_ value: T) throws {
        if try writeSpecial(value, key: nil, pathCount: 0) { return }
        let slot = nextID()
        pendingSlot = slot
        try encodeThroughEncoder(value, slot: slot, key: nil, pathCount: 0)
        if pendingSlot == slot {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        closeFrames(above: -1)
    }

    /// Encodes a value whose member key or element separator is already written.
    func encodeNested<T: Encodable>(_ value: T, key: any CodingKey, pathCount: Int) throws {
        if try writeSpecial(value, key: key, pathCount: pathCount) { return }
        let slot = nextID()
        pendingSlot = slot
        let depth = frames.count
        try encodeThroughEncoder(value, slot: slot, key: key, pathCount: pathCount)
        if pendingSlot == slot {  // encoded nothing: JSONEncoder shows an empty object
            out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
            pendingSlot = 0
        }
        if frames.count > depth {
            closeFrames(above: depth - 1)
        } else if frames.count < depth {
            unsupported = true
        }
    }

    /// Runs the value's own `encode(to:)` with an encoder for `slot`.
    func encodeThroughEncoder<T: Encodable>(_ value: T, slot: UInt32, key: (any CodingKey)?, pathCount: Int) throws {
        if path.count > pathCount { path.removeSubrange(pathCount...) }
        if let key { path.append(key) }
        try value.encode(to: JSONStreamEncoder(state: self, slot: slot, pathCount: path.count))
    }

    /// Writes the types `JSONEncoder` treats specially (dates, data, URLs, decimals, string-keyed
    /// dictionaries); false for every other type.
    func writeSpecial<T: Encodable>(_ value: T, key: (any CodingKey)?, pathCount: Int) throws -> Bool {
        if T.self == Date.self {
            let date = value as! Date
            switch options.dateEncodingStrategy {
            case .deferredToDate: return false
            case .iso8601: JSONOutput.appendISO8601(date, to: &out)
            case .secondsSince1970: try writeFloat(date.timeIntervalSince1970, key: key, pathCount: pathCount)
            case .millisecondsSince1970: try writeFloat(1000 * date.timeIntervalSince1970, key: key, pathCount: pathCount)
            }
            return true
        }
        if T.self == Data.self {
            writeString((value as! Data).base64EncodedString())
            return true
        }
        if T.self == URL.self {
            writeString((value as! URL).absoluteString)
            return true
        }
        if T.self == Decimal.self {
            out.append(contentsOf: (value as! Decimal).description.utf8)
            return true
        }
        if options.keyEncodingStrategy != .useDefaultKeys, isStringKeyedDictionary(T.self), let dictionary = value as? any JSONStringKeyedDictionary {
            if path.count > pathCount { path.removeSubrange(pathCount...) }
            if let key { path.append(key) }
            try dictionary.encodeMembers(into: self, pathCount: path.count)
            return true
        }
        return false
    }

    @inline(__always)
    func writeString(_ text: String) { JSONOutput.appendString(text, escapingSlashes: options.escapesSlashes, to: &out) }

    func writeFloat<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, key: (any CodingKey)?, pathCount: Int) throws {
        guard JSONOutput.appendFloat(value, to: &out) else {
            var codingPath = Array(path.prefix(pathCount))
            if let key { codingPath.append(key) }
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "Unable to encode \(F.self).\(value) directly in JSON: JSON has no NaN or infinity."))
        }
    }
}

/// `[String: V]` dictionaries, whose keys `JSONEncoder` writes unconverted.
protocol JSONStringKeyedDictionary {
    func encodeMembers(into state: JSONEncodingState, pathCount: Int) throws
}

extension Dictionary: JSONStringKeyedDictionary where Key == String, Value: Encodable {
    func encodeMembers(into state: JSONEncodingState, pathCount: Int) throws {
        let (_, depth) = state.openFrame(isObject: true, slot: 0)
        for (key, value) in self {
            state.beginMember(key, raw: true, depth: depth)
            try state.encodeNested(value, key: JSONStringKey(key), pathCount: pathCount)
        }
        state.closeFrames(above: depth - 1)
    }
}

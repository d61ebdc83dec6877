import Foundation

/// One row of a `COPY ... FROM STDIN` (text format), encoded field by field straight into
/// the writer's buffer: no array of values and no intermediate string per field. Call one
/// `append` per column, in column order; separators and escaping are handled here.
///
/// ```swift
/// try await connection.copyFrom("COPY work_items (client_id, key, labels) FROM STDIN") { writer in
///     for item in items {
///         try await writer.writeRow { row in
///             row.append(item.clientID); try row.append(item.key); try row.append(item.labels)
///         }
///     }
/// }
/// ```
public struct PostgresCopyRow {
    var buffer: [UInt8]
    private var fields = 0

    init(buffer: [UInt8]) { self.buffer = buffer }

    private mutating func separate() {
        if fields > 0 { buffer.append(9) }
        fields += 1
    }

    /// SQL NULL.
    public mutating func appendNull() {
        separate()
        buffer.append(92)  // \N
        buffer.append(78)
    }

    public mutating func append<I: FixedWidthInteger>(_ value: I) {
        separate()
        Self.writeDecimal(value, into: &buffer)
    }

    public mutating func append(_ value: Bool) {
        separate()
        buffer.append(value ? 116 : 102)  // t / f
    }

    public mutating func append(_ value: Double) {
        separate()
        buffer.append(contentsOf: floatText(value).utf8)
    }

    public mutating func append(_ value: Float) {
        separate()
        buffer.append(contentsOf: floatText(value).utf8)
    }

    /// timestamptz, as UTC with microseconds.
    public mutating func append(_ value: Date) {
        separate()
        PostgresTimestamp.write(value, into: &buffer)
    }

    public mutating func append(_ value: UUID) {
        separate()
        buffer.append(contentsOf: value.uuidString.utf8)
    }

    /// Text, escaped for COPY in one pass. Throws on a NUL byte (PostgreSQL text cannot hold it).
    public mutating func append(_ value: String) throws {
        separate()
        var value = value
        try value.withUTF8 { try Self.appendEscaped($0, to: &buffer) }
    }

    /// A text array (`text[]`, `varchar[]`): `{"a","b"}`, each element quoted.
    public mutating func append(_ values: [String]) throws {
        separate()
        buffer.append(123)  // {
        for (index, element) in values.enumerated() {
            if index > 0 { buffer.append(44) }
            buffer.append(34)
            var element = element
            try element.withUTF8 { bytes in
                for byte in bytes {
                    switch byte {
                    // Array syntax escapes " and \ with a backslash; COPY then doubles every backslash.
                    case 34: buffer.append(92); buffer.append(92); buffer.append(34)
                    case 92: buffer.append(contentsOf: [92, 92, 92, 92])
                    case 9: buffer.append(92); buffer.append(116)
                    case 10: buffer.append(92); buffer.append(110)
                    case 13: buffer.append(92); buffer.append(114)
                    case 0: throw PostgresError(.invalidArgument, message: "COPY field contains a NUL byte")
                    default: buffer.append(byte)
                    }
                }
            }
            buffer.append(34)
        }
        buffer.append(125)  // }
    }

    /// A `real[]` (e.g. an embedding).
    public mutating func append(_ values: [Float]) {
        separate()
        buffer.append(123)
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(44) }
            buffer.append(contentsOf: floatText(value).utf8)
        }
        buffer.append(125)
    }

    /// Any other parameter type, through its text form (nil is NULL).
    public mutating func append(encodable value: any PostgresEncodable) throws {
        guard let text = try value.postgresText() else {
            appendNull()
            return
        }
        try append(text)
    }

    /// Appends one COPY text field: copies runs of plain bytes at once; only \, tab, newline and
    /// CR are rewritten, and a NUL byte is refused.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) throws {
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if byte > 13 && byte != 92 { continue }
            let escape: UInt8
            switch byte {
            case 92: escape = 92
            case 9: escape = 116
            case 10: escape = 110
            case 13: escape = 114
            case 0: throw PostgresError(.invalidArgument, message: "COPY field contains a NUL byte")
            default: continue
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            buffer.append(92)
            buffer.append(escape)
            start = index + 1
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    static func writeDecimal<I: FixedWidthInteger>(_ value: I, into buffer: inout [UInt8]) {
        if value == 0 {
            buffer.append(48)
            return
        }
        // Magnitude as UInt64 so Int.min works; digits written backwards then reversed.
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if value < 0 { buffer.append(45) }
        let start = buffer.count
        while magnitude > 0 {
            buffer.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        }
        buffer[start...].reverse()
    }
}

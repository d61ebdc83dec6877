import CLibPQ

/// Wire format of a result column.
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}

/// Type OIDs the decoders understand (domains report their base type).
public enum PostgresType {
    public static let bool: UInt32 = 16, bytea: UInt32 = 17, name: UInt32 = 19, int8: UInt32 = 20
    public static let int2: UInt32 = 21, int4: UInt32 = 23, text: UInt32 = 25, oid: UInt32 = 26
    public static let json: UInt32 = 114, float4: UInt32 = 700, float8: UInt32 = 701
    public static let bpchar: UInt32 = 1042, varchar: UInt32 = 1043, timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184, uuid: UInt32 = 2950, jsonb: UInt32 = 3802
    public static let int4Array: UInt32 = 1007, int8Array: UInt32 = 1016, textArray: UInt32 = 1009
    public static let float4Array: UInt32 = 1021, float8Array: UInt32 = 1022, varcharArray: UInt32 = 1015
    public static let int2Array: UInt32 = 1005, boolArray: UInt32 = 1000, uuidArray: UInt32 = 2951
}

/// A result column's name, type and format.
public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    public let type: UInt32
    public let format: PostgresFormat
}

/// One value as received: raw bytes (nil for SQL NULL) plus how to read them.
public struct PostgresCell: Sendable {
    public let bytes: [UInt8]?
    public let column: PostgresColumn

    public var isNull: Bool { bytes == nil }
    /// The value as UTF-8 text (text format), or nil for NULL.
    public var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// The complete result of one statement, copied out of libpq.
public struct PostgresRows: Sendable, Sequence {
    public let columns: [PostgresColumn]
    /// Row-major values, `columns.count` per row.
    package let values: [[UInt8]?]
    /// e.g. "INSERT 0 1", "SELECT 3".
    public let commandTag: String
    public let count: Int

    package init(columns: [PostgresColumn], values: [[UInt8]?], commandTag: String) {
        self.columns = columns
        self.values = values
        self.commandTag = commandTag
        self.count = columns.isEmpty ? 0 : values.count / columns.count
    }

    /// Index of the first column named `name` (results have few columns: a scan beats
    /// building a dictionary for every result).
    package func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// Rows touched by INSERT/UPDATE/DELETE/COPY (last number of the command tag).
    public var affectedRows: Int {
        Int(commandTag.split(separator: " ").last ?? "") ?? count
    }

    public subscript(row: Int) -> PostgresRow { PostgresRow(rows: self, index: row) }
    public var first: PostgresRow? { count > 0 ? self[0] : nil }

    public func makeIterator() -> AnyIterator<PostgresRow> {
        var index = 0
        return AnyIterator {
            guard index < count else { return nil }
            defer { index += 1 }
            return self[index]
        }
    }

    /// Copies a PGresult (which the caller still owns and clears).
    package init(result: OpaquePointer) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(
                PostgresColumn(
                    name: String(cString: PQfname(result, Int32(column))),
                    type: UInt32(PQftype(result, Int32(column))),
                    format: PostgresFormat(rawValue: PQfformat(result, Int32(column))) ?? .text))
        }
        var values: [[UInt8]?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let pointer = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))!)
                    values.append(Array(UnsafeRawBufferPointer(start: pointer, count: length)))
                }
            }
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        self.init(columns: columns, values: values, commandTag: tag)
    }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    public let rows: PostgresRows
    public let index: Int

    public func cell(_ column: Int) throws -> PostgresCell {
        guard column >= 0 && column < rows.columns.count else {
            throw PostgresError(.decoding, message: "column index \(column) out of range")
        }
        return PostgresCell(bytes: rows.values[index * rows.columns.count + column], column: rows.columns[column])
    }

    public func cell(_ name: String) throws -> PostgresCell {
        guard let column = rows.columnIndex(name) else {
            throw PostgresError(.decoding, message: "no column named \(name)")
        }
        return try cell(column)
    }

    public func contains(_ name: String) -> Bool { rows.columnIndex(name) != nil }

    /// Decodes column `column` (index) as `T`; NULL decodes only into an Optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        try T.decode(from: cell(column))
    }

    /// Decodes the column named `name` as `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws -> T {
        try T.decode(from: cell(name))
    }

    /// Decodes the whole row into a `Decodable` struct, matching keys to column names
    /// (exact, then snake_case of the key).
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try T(from: RowDecoder(row: self))
    }
}

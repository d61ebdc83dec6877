import Foundation

/// Decodes a row into a `Decodable` struct: each key reads the column of the same name
/// (or its snake_case spelling). Fields of `PostgresDecodable` types use the cell decoders;
/// other `Decodable` fields read JSON/JSONB columns, or decode through a single value
/// (e.g. `String`-backed enums).
struct RowDecoder: Decoder {
    let row: PostgresRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(row: row))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw PostgresError(.decoding, message: "a row decodes into a keyed type only")
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard row.rows.columns.count == 1 else {
            throw PostgresError(.decoding, message: "single value decoding needs exactly one column")
        }
        return CellDecoder(cell: try row.cell(0))
    }
}

private func snakeCase(_ key: String) -> String {
    var out = ""
    for char in key {
        if char.isUppercase {
            if !out.isEmpty { out.append("_") }
            out.append(contentsOf: char.lowercased())
        } else {
            out.append(char)
        }
    }
    return out
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.rows.columns.compactMap { Key(stringValue: $0.name) } }

    private func column(_ key: Key) -> String? {
        if row.contains(key.stringValue) { return key.stringValue }
        let snake = snakeCase(key.stringValue)
        return row.contains(snake) ? snake : nil
    }

    private func cell(_ key: Key) throws -> PostgresCell {
        guard let name = column(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription: "no column \(key.stringValue)"))
        }
        return try row.cell(name)
    }

    func contains(_ key: Key) -> Bool { column(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try cell(key).isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try CellDecoder.decode(type, from: cell(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw PostgresError(.decoding, message: "nested containers are not supported; use PostgresJSON")
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw PostgresError(.decoding, message: "nested containers are not supported; use arrays")
    }
    func superDecoder() throws -> any Decoder { throw PostgresError(.decoding, message: "superDecoder unsupported") }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        throw PostgresError(.decoding, message: "superDecoder unsupported")
    }
}

/// A decoder over one cell, used for single-value `Decodable` types.
private struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let cell: PostgresCell
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from cell: PostgresCell) throws -> T {
        if let decodable = type as? any PostgresDecodable.Type {
            return try decodable.decode(from: cell) as! T
        }
        if cell.column.type == PostgresType.json || cell.column.type == PostgresType.jsonb {
            var bytes = try cell.required("JSON")
            if cell.column.format == .binary && cell.column.type == PostgresType.jsonb { bytes.removeFirst() }
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        }
        return try T(from: CellDecoder(cell: cell))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw cell.failure("keyed value (store it as json/jsonb)")
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw cell.failure("unkeyed value") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { cell.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Self.decode(type, from: cell) }
}

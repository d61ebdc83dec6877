import CLibPQ

/// Buffers rows in COPY text format and streams them to the server in large chunks.
public final class PostgresCopyWriter {
    private let connection: PostgresConnection
    private var buffer: [UInt8] = []
    private let chunkSize = 256 * 1024
    public private(set) var rowsWritten = 0

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(chunkSize + 4096)
    }

    /// Appends one row of already-encoded text fields (nil is NULL).
    public func write(text fields: [String?]) async throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(9) }
            try append(field)
        }
        try await endRow()
    }

    private func append(_ field: String?) throws {
        guard var field else {
            buffer.append(92)  // \N
            buffer.append(78)
            return
        }
        try field.withUTF8 { try PostgresCopyRow.appendEscaped($0, to: &buffer) }
    }

    private func endRow() async throws {
        buffer.append(10)
        rowsWritten += 1
        if buffer.count >= chunkSize { try await flush() }
    }

    /// Appends one row encoded field by field (the fast path: see `PostgresCopyRow`).
    /// If `encode` throws, nothing of the row is kept.
    public func writeRow(_ encode: (inout PostgresCopyRow) throws -> Void) async throws {
        let rowStart = buffer.count
        var row = PostgresCopyRow(buffer: buffer)
        buffer = []  // the row owns the storage while it appends (no copy)
        var failure: (any Error)?
        do {
            try encode(&row)
            row.buffer.append(10)
        } catch {
            row.buffer.removeSubrange(rowStart...)
            failure = error
        }
        buffer = row.buffer
        row.buffer = []
        if let failure { throw failure }
        rowsWritten += 1
        if buffer.count >= chunkSize { try await flush() }
    }

    /// Appends one row of Swift values.
    public func write(_ values: [any PostgresEncodable]) async throws {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(9) }
            try append(value.postgresText())
        }
        try await endRow()
    }

    func flush() async throws {
        guard !buffer.isEmpty else { return }
        try await connection.putCopyData(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

extension PostgresConnection {
    /// Runs `COPY ... FROM STDIN` (text format) and lets `producer` write the rows.
    /// Returns the number of rows the server stored. If the producer throws, the COPY is
    /// aborted and nothing is stored.
    @discardableResult
    public func copyFrom(
        _ sql: String, isolation: isolated (any Actor)? = #isolation, _ producer: (PostgresCopyWriter) async throws -> Void) async throws -> Int {
        try await perform(cancellable: true) {
            try self.send { PQsendQueryParams(self.handle, sql, 0, nil, nil, nil, nil, 0) }
            let start = try await self.collect()
            guard start.commandTag == "COPY_IN" else {
                throw PostgresError(.invalidArgument, message: "statement is not a COPY ... FROM STDIN")
            }
            let writer = PostgresCopyWriter(connection: self)
            var producerError: (any Error)?
            do {
                try await producer(writer)
                try await writer.flush()
            } catch {
                producerError = error
            }
            let ended = producerError.map { _ in PQputCopyEnd(self.handle, "aborted by client") }
                ?? PQputCopyEnd(self.handle, nil)
            if ended == -1 { throw self.lostOrProtocolError() }
            while ended == 0 {  // would block: wait for room, then retry
                try await self.waitReady(for: .write)
                if PQputCopyEnd(self.handle, producerError == nil ? nil : "aborted by client") != 0 { break }
            }
            let result: PostgresRows
            do {
                result = try await self.collect()
            } catch {
                throw producerError ?? error
            }
            if let producerError { throw producerError }
            return result.affectedRows
        }
    }

    /// Convenience: copies a sequence of rows of Swift values.
    @discardableResult
    public func copyFrom<S: Sequence>(_ sql: String, rows: S) async throws -> Int
    where S.Element == [any PostgresEncodable] {
        try await copyFrom(sql) { writer in
            for row in rows { try await writer.write(row) }
        }
    }

    func putCopyData(_ bytes: [UInt8]) async throws {
        while true {
            let result = bytes.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            if result == 1 { break }
            if result == -1 {
                // The server ended the COPY (e.g. a bad row): surface its error.
                _ = try await collect()
                throw lostOrProtocolError()
            }
            try await waitReady(for: .write)
        }
        try await flush()
    }
}

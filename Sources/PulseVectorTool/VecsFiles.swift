import Foundation

/// Readers and writers for the TEXMEX `.fvecs` / `.ivecs` formats: per row a little-endian
/// int32 count followed by that many float32 (fvecs) or int32 (ivecs) values.
enum VecsFile {
    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    /// Rows of a vecs file as one flat array plus the row width.
    static func read<T: BitwiseCopyable>(_ path: String, as: T.Type) throws -> (values: [T], width: Int, rows: Int) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(description: "cannot read \(path)")
        }
        return try data.withUnsafeBytes { raw -> ([T], Int, Int) in
            guard raw.count >= 4 else { throw FormatError(description: "\(path) is empty") }
            let width = Int(Int32(littleEndian: raw.loadUnaligned(as: Int32.self)))
            let rowBytes = 4 + width * 4
            guard width > 0, raw.count % rowBytes == 0 else {
                throw FormatError(description: "\(path): size \(raw.count) is not a multiple of row size \(rowBytes)")
            }
            let rows = raw.count / rowBytes
            var values = [T]()
            values.reserveCapacity(rows * width)
            for row in 0..<rows {
                let base = row * rowBytes
                guard Int(raw.loadUnaligned(fromByteOffset: base, as: Int32.self)) == width else {
                    throw FormatError(description: "\(path): row \(row) has a different width")
                }
                for i in 0..<width { values.append(raw.loadUnaligned(fromByteOffset: base + 4 + 4 * i, as: T.self)) }
            }
            return (values, width, rows)
        }
    }

    /// Writes rows of int32 ids (ragged rows allowed).
    static func writeIvecs(_ path: String, rows: [[Int32]]) throws {
        var bytes = [UInt8]()
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { bytes.append(contentsOf: $0) }
            for v in row { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

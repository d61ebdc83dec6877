/// Parameters' text forms packed into one byte buffer as C strings, ready for libpq's
/// `paramValues` (SQL NULL stays a nil pointer). Reusable: `encode` keeps the capacity, so a
/// connection that sends one statement after another allocates nothing in the common case.
struct ParameterBuffer {
    private var bytes: [UInt8] = []
    /// Start of each parameter in `bytes`; -1 for NULL.
    private var offsets: [Int] = []

    var count: Int { offsets.count }

    init() {}

    init(_ parameters: [any PostgresEncodable]) throws { try encode(parameters) }

    /// One integer parameter (cannot fail to encode).
    init(integer: Int) {
        offsets = [0]
        PostgresCopyRow.writeDecimal(integer, into: &bytes)
        bytes.append(0)
    }

    /// Replaces the contents with `parameters`; throws (leaving the buffer empty) when one
    /// cannot be encoded.
    mutating func encode(_ parameters: [any PostgresEncodable]) throws {
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        do {
            for parameter in parameters {
                guard var text = try parameter.postgresText() else {
                    offsets.append(-1)
                    continue
                }
                offsets.append(bytes.count)
                text.withUTF8 { bytes.append(contentsOf: $0) }
                bytes.append(0)
            }
        } catch {
            bytes.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            throw error
        }
    }

    /// Calls `body` with the parameter count and libpq's array of C-string pointers.
    func withCStrings<R>(_ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) throws -> R) rethrows -> R {
        if offsets.isEmpty { return try body(0, nil) }
        return try bytes.withUnsafeBytes { storage in
            let base = storage.baseAddress!.assumingMemoryBound(to: CChar.self)
            return try withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: offsets.count) {
                pointers in
                for (index, offset) in offsets.enumerated() {
                    pointers[index] = offset < 0 ? nil : base + offset
                }
                return try body(Int32(offsets.count), UnsafePointer(pointers.baseAddress))
            }
        }
    }
}

import Foundation

/// Element types a safetensors header may declare.
package enum SafeTensorDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    package var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }
}

/// One tensor's entry in the header, with its byte range made absolute within the file.
package struct SafeTensorInfo: Sendable, Equatable {
    package let dtype: SafeTensorDType
    package let shape: [Int]
    package let byteRange: Range<Int>
}

/// A validated safetensors file: 8-byte little-endian header length, a JSON header
/// (name → dtype, shape, data_offsets), then the raw little-endian tensor bytes.
/// Every entry is checked (known dtype, non-negative shape, offsets inside the data area,
/// byte count = element count × dtype size, no overlaps) before any tensor is read.
package final class SafeTensorsFile: Sendable {
    /// The safetensors reference implementation refuses headers above 100 MB too.
    static let maxHeaderBytes = 100_000_000

    let file: MappedFile
    package let tensors: [String: SafeTensorInfo]
    package let metadata: [String: String]
    package var path: String { file.path }

    package init(path: String) throws(EmbeddingError) {
        file = try MappedFile(path: path)
        (tensors, metadata) = try Self.parseHeader(file.bytes, path: path)
    }

    static func parseHeader(
        _ bytes: UnsafeRawBufferPointer, path: String
    ) throws(EmbeddingError) -> ([String: SafeTensorInfo], [String: String]) {
        func corrupt(_ reason: String) -> EmbeddingError { .corruptModel(file: path, reason: reason) }
        guard bytes.count >= 8 else { throw corrupt("file shorter than the 8-byte header length") }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared > 1, declared <= UInt64(Self.maxHeaderBytes), Int(declared) <= bytes.count - 8
        else {
            throw corrupt("header length \(declared) is invalid for a file of \(bytes.count) bytes")
        }
        let headerLength = Int(declared)
        let dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart
        let header = Data(bytes[8..<dataStart])
        guard header.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { throw corrupt("header is not a JSON object") }

        var tensors: [String: SafeTensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let entries = value as? [String: String] else {
                    throw corrupt("__metadata__ must map strings to strings")
                }
                metadata = entries
                continue
            }
            guard let entry = value as? [String: Any],
                let dtypeName = entry["dtype"] as? String,
                let shapeValues = entry["shape"] as? [Any],
                let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2
            else { throw corrupt("tensor \(name): entry needs dtype, shape and two data_offsets") }
            guard let dtype = SafeTensorDType(rawValue: dtypeName) else {
                throw corrupt("tensor \(name): unknown dtype \(dtypeName)")
            }
            let shape = shapeValues.compactMap(exactInt)
            let offsets = offsetValues.compactMap(exactInt)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw corrupt("tensor \(name): shape must be non-negative integers")
            }
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize
            else {
                throw corrupt(
                    "tensor \(name): data_offsets \(offsetValues) out of range (data area is \(dataSize) bytes)")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw corrupt("tensor \(name): shape \(shape) overflows") }
                elements = product
            }
            let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, expectedBytes == offsets[1] - offsets[0] else {
                throw corrupt(
                    "tensor \(name): \(dtypeName)\(shape) needs \(expectedBytes) bytes but data_offsets span \(offsets[1] - offsets[0])"
                )
            }
            tensors[name] = SafeTensorInfo(
                dtype: dtype, shape: shape, byteRange: (dataStart + offsets[0])..<(dataStart + offsets[1]))
        }
        let sorted = tensors.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw corrupt("tensors \(previous.key) and \(next.key) overlap")
        }
        return (tensors, metadata)
    }

    /// The entry for `name`, required to be float32 of exactly `shape`.
    package func float32Info(_ name: String, shape: [Int]) throws(EmbeddingError) -> SafeTensorInfo {
        guard let info = tensors[name] else {
            throw .corruptModel(file: path, reason: "tensor \(name) is missing")
        }
        guard info.dtype == .f32 else {
            throw .corruptModel(
                file: path, reason: "tensor \(name) has dtype \(info.dtype.rawValue), expected F32")
        }
        guard info.shape == shape else {
            throw .corruptModel(file: path, reason: "tensor \(name) has shape \(info.shape), expected \(shape)")
        }
        return info
    }

    /// A copy of a float32 tensor of exactly `shape` (little-endian host assumed).
    package func floats(_ name: String, shape: [Int]) throws(EmbeddingError) -> [Float] {
        let info = try float32Info(name, shape: shape)
        let count = info.byteRange.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: file.bytes[info.byteRange]))
            initialised = count
        }
    }
}

/// JSON numbers arrive bridged; `as? Int` succeeds only for exact integers.
private func exactInt(_ value: Any) -> Int? {
    if value is String { return nil }
    return value as? Int
}

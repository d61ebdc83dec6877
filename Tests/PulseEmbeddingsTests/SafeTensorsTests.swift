import Foundation
import Testing

@testable import PulseEmbeddings

/// Valid files are read; corrupt ones are refused with an error saying what is wrong.
@Suite struct SafeTensorsTests {
    /// Writes 8-byte length + header + data and opens it.
    func open(header: String, data: [UInt8], declaredLength: UInt64? = nil) throws -> Result<SafeTensorsFile, EmbeddingError> {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let headerBytes = Array(header.utf8)
        var length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
        var bytes = withUnsafeBytes(of: &length) { Array($0) }
        bytes += headerBytes + data
        let path = directory.path + "/model.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return Result { () throws(EmbeddingError) in try SafeTensorsFile(path: path) }
    }

    func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }

    func reason(_ result: Result<SafeTensorsFile, EmbeddingError>) -> String {
        switch result {
        case .success: return "accepted"
        case .failure(.corruptModel(_, let reason)): return reason
        case .failure(let other): return "unexpected \(other)"
        }
    }

    let validHeader = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]}}"#

    @Test func readsAValidFile() throws {
        let file = try open(header: validHeader, data: floatBytes([1, 2, 3, 4]) + [0, 60, 0, 60]).get()
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors["h"]?.dtype == .f16)
        #expect(try file.floats("w", shape: [2, 2]) == [1, 2, 3, 4])
    }

    @Test func wrongDtypeOrShapeIsRefused() throws {
        let file = try open(header: validHeader, data: floatBytes([1, 2, 3, 4]) + [0, 60, 0, 60]).get()
        #expect(throws: EmbeddingError.corruptModel(file: file.path, reason: "tensor h has dtype F16, expected F32")) {
            try file.floats("h", shape: [2])
        }
        #expect(throws: EmbeddingError.corruptModel(file: file.path, reason: "tensor w has shape [2, 2], expected [4]")) {
            try file.floats("w", shape: [4])
        }
        #expect(throws: EmbeddingError.corruptModel(file: file.path, reason: "tensor nope is missing")) {
            try file.floats("nope", shape: [1])
        }
    }

    @Test func badHeaderLengthIsRefused() throws {
        let data = floatBytes([1, 2, 3, 4]) + [0, 60, 0, 60]
        #expect(reason(try open(header: validHeader, data: data, declaredLength: 1 << 40)).contains("header length"))
        #expect(reason(try open(header: validHeader, data: data, declaredLength: 0)).contains("header length"))
        // Declared longer than the real header: the JSON then swallows data bytes.
        #expect(reason(try open(header: validHeader, data: data, declaredLength: UInt64(validHeader.utf8.count + 3))) == "header is not a JSON object")
    }

    @Test func shortFileIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/short.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: EmbeddingError.corruptModel(file: path, reason: "file shorter than the 8-byte header length")) {
            try SafeTensorsFile(path: path)
        }
    }

    @Test func offsetsOutOfRangeAreRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        #expect(reason(try open(header: header, data: floatBytes([1, 2]))).contains("out of range"))
        let reversed = #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#
        #expect(reason(try open(header: reversed, data: floatBytes([1, 2]))).contains("out of range"))
    }

    @Test func sizeMismatchUnknownDtypeAndOverlapAreRefused() throws {
        let data = floatBytes([1, 2, 3, 4])
        let mismatch = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#
        #expect(reason(try open(header: mismatch, data: data)) == "tensor w: F32[3] needs 12 bytes but data_offsets span 16")
        let unknown = #"{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#
        #expect(reason(try open(header: unknown, data: data)) == "tensor w: unknown dtype Q4")
        let overlap = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        #expect(reason(try open(header: overlap, data: data)).contains("overlap"))
        let negative = #"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#
        #expect(reason(try open(header: negative, data: data)).contains("non-negative"))
        let missing = #"{"w":{"dtype":"F32","shape":[4]}}"#
        #expect(reason(try open(header: missing, data: data)).contains("data_offsets"))
    }
}

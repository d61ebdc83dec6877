/// A fast 64-bit checksum for index files. Four 64-bit lanes are mixed with xor, rotate and an
/// odd multiply; each step is a bijection, so any change to one word changes the result.
/// It detects corruption and truncation; it is not a cryptographic hash.
struct Checksum {
    private(set) var value: UInt64 = 0x243F_6A88_85A3_08D3

    mutating func update(_ bytes: UnsafeRawPointer, count: Int) {
        let k = SIMD4<UInt64>(repeating: 0x9E37_79B9_7F4A_7C15)
        var lanes = SIMD4<UInt64>(0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89, 0x4528_21E6_38D0_1377)
        lanes ^= SIMD4(repeating: UInt64(count))
        var offset = 0
        while offset + 32 <= count {
            lanes ^= bytes.loadUnaligned(fromByteOffset: offset, as: SIMD4<UInt64>.self)
            lanes = (lanes &<< 31) | (lanes &>> 33)
            lanes &*= k
            offset += 32
        }
        if offset < count {
            var tail = SIMD4<UInt64>()
            withUnsafeMutableBytes(of: &tail) { $0.baseAddress!.copyMemory(from: bytes + offset, byteCount: count - offset) }
            lanes ^= tail
            lanes = (lanes &<< 31) | (lanes &>> 33)
            lanes &*= k
        }
        for i in 0..<4 { value = Self.mix(value ^ lanes[i]) }
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

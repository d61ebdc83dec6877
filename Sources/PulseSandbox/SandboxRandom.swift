/// SplitMix64: a tiny, fast, seedable generator (Steele, Lea, Flood 2014). The same seed
/// gives the same sequence on every platform, which is what makes the sandbox deterministic.
public struct SandboxRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one part of the organisation (a repository, a project), independent of
    /// how much the other parts drew.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SandboxRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range` (which must not be empty).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % width)
    }

    public mutating func int(_ range: Range<Int>) -> Int { int(range.lowerBound...(range.upperBound - 1)) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    /// 40 lowercase hex digits, like a git sha.
    public mutating func sha() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(40)
        for _ in 0..<3 {
            var v = next()
            for _ in 0..<16 where out.count < 40 {
                out.append(digits[Int(v & 0xF)])
                v >>= 4
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

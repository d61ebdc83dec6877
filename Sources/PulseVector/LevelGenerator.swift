import Foundation

/// Seeded random level generator (SplitMix64). Levels follow hnswlib: ⌊−ln(U(0,1)) · 1/ln(M)⌋,
/// so the same seed and insertion order always produce the same layer assignment.
struct LevelGenerator: Sendable, Equatable {
    private(set) var state: UInt64
    let multiplier: Double

    init(seed: UInt64, m: Int) {
        state = seed
        multiplier = 1 / log(Double(m))
    }

    init(state: UInt64, m: Int) {
        self.state = state
        multiplier = 1 / log(Double(m))
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next node's top layer, capped so a pathological draw cannot build a tall empty tower.
    mutating func nextLevel() -> Int {
        // 53 random bits mapped to (0, 1]: never 0, so the logarithm stays finite.
        let u = (Double(next() >> 11) + 1) * 0x1p-53
        return min(Int(-log(u) * multiplier), 31)
    }
}

/// xoshiro256** 1.0 (Blackman & Vigna, 2018), seeded through SplitMix64.
///
/// Every random number in a run comes from one of these. A run derives one independent
/// stream per purpose (`RandomStream`) from its seed, so that, for example, changing how
/// many noise samples a rule draws never changes the environment's start states.
public struct Xoshiro256: Sendable {
    @usableFromInline var s0, s1, s2, s3: UInt64

    /// Seeds the four state words with four consecutive SplitMix64 outputs of `seed`,
    /// as the xoshiro authors recommend.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// A generator with this exact state (not all zero), e.g. to check against the reference code.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro's state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) <<< 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 <<< 45
        return result
    }

    /// Uniform on [0, 1) with 53 random bits: (next >> 11) · 2⁻⁵³.
    @inlinable @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform on [low, high): low + (high − low)·u, the same formula numpy's Generator uses.
    @inlinable @inline(__always)
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextDouble()
    }
}

infix operator <<< : BitwiseShiftPrecedence
@inlinable @inline(__always)
func <<< (x: UInt64, k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

/// The purposes a run draws random numbers for. Each gets its own generator,
/// seeded from (run seed, purpose) so the streams never overlap in practice.
public enum RandomStream: UInt64, CaseIterable, Sendable {
    case weights = 1, noise = 2, actions = 3, environment = 4, script = 5

    /// The generator for this purpose under `seed`.
    public func generator(seed: UInt64) -> Xoshiro256 {
        // Mix the purpose into the seed with a large odd constant, then let SplitMix64 spread it.
        Xoshiro256(seed: seed &* 0xD1B5_4A32_D192_ED03 &+ rawValue &* 0x9E37_79B9_7F4A_7C15)
    }
}

/// xoshiro256** for every lane at once: word k of each state vector is lane k's generator, so
/// lane k draws exactly the numbers `Xoshiro256` would draw alone from the same state.
struct LaneRandom<L: LaneWidth> {
    var s0 = L.Words(), s1 = L.Words(), s2 = L.Words(), s3 = L.Words()

    /// Valid (never all-zero) generators in every lane, for lanes that idle before any run reaches them.
    init() {
        for k in 0..<L.count { setLane(k, Xoshiro256(seed: UInt64(k))) }
    }

    /// The next 64 bits of every lane (the same recurrence as `Xoshiro256.next`).
    @inline(__always)
    mutating func next() -> L.Words {
        let m = s1 &* 5
        let result = ((m &<< 7) | (m &>> 57)) &* 9
        let t = s1 &<< 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 &<< 45) | (s3 &>> 19)
        return result
    }

    /// Lane k's generator, to continue it alone (rare slow paths, resets).
    @inline(__always)
    func lane(_ k: Int) -> Xoshiro256 {
        Xoshiro256(state: (s0[k], s1[k], s2[k], s3[k]))
    }

    /// Makes lane k continue from `g`.
    @inline(__always)
    mutating func setLane(_ k: Int, _ g: Xoshiro256) {
        s0[k] = g.s0; s1[k] = g.s1; s2[k] = g.s2; s3[k] = g.s3
    }
}

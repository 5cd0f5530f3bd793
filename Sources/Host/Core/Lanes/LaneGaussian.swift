/// The ziggurat of `Gaussian` for every lane at once: the 64-bit draws are vector work; the layer
/// look-up and the fast test are per lane; a lane whose draw falls outside its layer's core takes
/// `Gaussian`'s own slow path on its own generator. Each lane gets exactly the samples (and leaves
/// its generator in exactly the state) that `Gaussian.fill` would alone.
enum LaneGaussian {
    /// buffer[i] = Float(σ · N(0, 1)) in every lane, for i < count, in order.
    @inline(__always)
    static func fill<L: LaneWidth>(_ buffer: UnsafeMutablePointer<L.Floats>, count: Int, sigma: Double,
                                   _ rng: inout LaneRandom<L>) {
        let xt = Gaussian.x
        for i in 0..<count {
            let bits = rng.next()
            var out = L.Floats()
            for k in 0..<L.count {
                let b = bits[k]
                let layer = Int(b & 0xFF)
                let u = Double(b >> 11) * 0x1.0p-52 - 1.0
                let candidate = u * xt[layer]
                if abs(candidate) < xt[layer + 1] {
                    out[k] = Float(sigma * candidate)
                } else {
                    out[k] = Float(sigma * slowSample(lane: k, layer: layer, candidate: candidate, u: u, &rng))
                }
            }
            buffer[i] = out
        }
    }

    /// Finishes lane k's sample as `Gaussian.sample` does after a failed fast test: the slow path,
    /// then fresh draws until one is accepted.
    @inline(never)
    static func slowSample<L: LaneWidth>(lane k: Int, layer: Int, candidate: Double, u: Double,
                                         _ rng: inout LaneRandom<L>) -> Double {
        var g = rng.lane(k)
        let y = Gaussian.slowPath(layer: layer, candidate: candidate, u: u, &g) ?? Gaussian.sample(&g, Gaussian.x)
        rng.setLane(k, g)
        return y
    }
}

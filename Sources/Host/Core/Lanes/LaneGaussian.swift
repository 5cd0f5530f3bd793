/// The ziggurat of `Gaussian` for every lane at once. Each sample is drawn in phases that compile to
/// vector code: the 64-bit draws of all lanes; the layer look-up and candidate of each lane; one test
/// of whether every lane's candidate lies in its layer's core (about 99% of the time). A lane whose
/// candidate does not takes `Gaussian`'s own slow path on its own generator. Each lane gets exactly the
/// samples (and leaves its generator in exactly the state) that `Gaussian.fill` would alone.
final class LaneGaussian<L: LaneWidth> {
    private let candidates: UnsafeMutablePointer<Double>
    private let edges: UnsafeMutablePointer<Double>
    private let draws: UnsafeMutablePointer<L.Words>

    init() {
        candidates = .allocate(capacity: L.count)
        candidates.initialize(repeating: 0, count: L.count)
        edges = .allocate(capacity: L.count)
        edges.initialize(repeating: 0, count: L.count)
        draws = .allocate(capacity: 1)
        draws.initialize(to: L.Words())
    }

    deinit { candidates.deallocate(); edges.deallocate(); draws.deallocate() }

    /// buffer[i] = Float(σ · N(0, 1)) in every lane, for i < count, in order.
    @inline(__always)
    func fill(_ buffer: UnsafeMutablePointer<L.Floats>, count: Int, sigma: Double, _ rng: inout LaneRandom<L>) {
        let xt = Gaussian.x
        let width = L.count
        let bits = UnsafeRawPointer(draws)
        for i in 0..<count {
            draws.pointee = rng.next()
            // Gaussian.sample: layer from the low 8 bits, a signed uniform in (−1, 1) from the top 53.
            for k in 0..<width {
                let b = bits.load(fromByteOffset: k &* 8, as: UInt64.self)
                let layer = Int(b & 0xFF)
                candidates[k] = (Double(b >> 11) * 0x1.0p-52 - 1.0) * xt[layer]
                edges[k] = xt[layer &+ 1]
            }
            var outside = 0
            for k in 0..<width { outside &+= abs(candidates[k]) < edges[k] ? 0 : 1 }
            if outside > 0 {
                for k in 0..<width where !(abs(candidates[k]) < edges[k]) {
                    let b = bits.load(fromByteOffset: k &* 8, as: UInt64.self)
                    candidates[k] = slowSample(lane: k, layer: Int(b & 0xFF), candidate: candidates[k],
                                               u: Double(b >> 11) * 0x1.0p-52 - 1.0, &rng)
                }
            }
            let out = buffer.scalars(from: i)
            for k in 0..<width { out.setFloat(k, Float(sigma * candidates[k])) }
        }
    }

    /// Finishes lane k's sample as `Gaussian.sample` does after a failed fast test: the slow path,
    /// then fresh draws until one is accepted.
    @inline(never)
    private func slowSample(lane k: Int, layer: Int, candidate: Double, u: Double, _ rng: inout LaneRandom<L>) -> Double {
        var g = rng.lane(k)
        let y = Gaussian.slowPath(layer: layer, candidate: candidate, u: u, &g) ?? Gaussian.sample(&g, Gaussian.x)
        rng.setLane(k, g)
        return y
    }
}

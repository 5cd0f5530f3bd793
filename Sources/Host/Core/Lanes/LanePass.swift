import Foundation

/// `ForwardPass` for every lane: each layer's input, pre-activation and node noise as lane vectors,
/// the policy per lane in Double. Lane k's numbers have the bits that a single run's `ForwardPass`
/// computes from lane k's weights and observation.
final class LanePass<L: LaneWidth> {
    let shape: NetworkShape
    /// x_0 … x_{L−1}, back to back (x_0 is the observation).
    let inputs: UnsafeMutablePointer<L.Floats>
    let preActivations: UnsafeMutablePointer<L.Floats>
    let noise: UnsafeMutablePointer<L.Floats>
    /// π and log π: output o of lane k at o·W + k.
    let probabilities: UnsafeMutablePointer<Double>
    let logProbabilities: UnsafeMutablePointer<Double>
    private let gaussian = LaneGaussian<L>()

    init(shape: NetworkShape) {
        self.shape = shape
        inputs = .allocate(capacity: shape.inputCount)
        inputs.initialize(repeating: L.Floats(), count: shape.inputCount)
        preActivations = .allocate(capacity: shape.unitCount)
        preActivations.initialize(repeating: L.Floats(), count: shape.unitCount)
        noise = .allocate(capacity: shape.unitCount)
        noise.initialize(repeating: L.Floats(), count: shape.unitCount)
        probabilities = .allocate(capacity: shape.outputSize * L.count)
        probabilities.initialize(repeating: 0, count: shape.outputSize * L.count)
        logProbabilities = .allocate(capacity: shape.outputSize * L.count)
        logProbabilities.initialize(repeating: 0, count: shape.outputSize * L.count)
    }

    deinit {
        inputs.deallocate(); preActivations.deallocate(); noise.deallocate()
        probabilities.deallocate(); logProbabilities.deallocate()
    }

    @inline(__always) func input(_ l: Int) -> UnsafeMutablePointer<L.Floats> { inputs + shape.inputOffsets[l] }
    @inline(__always) func preActivation(_ l: Int) -> UnsafeMutablePointer<L.Floats> { preActivations + shape.unitOffsets[l] }
    @inline(__always) func noise(_ l: Int) -> UnsafeMutablePointer<L.Floats> { noise + shape.unitOffsets[l] }

    /// ξ = N(0, σ²) draws for every unit of every layer, in `ForwardPass.drawNoise(sigma:)`'s order.
    @inline(__always)
    func drawNoise(sigma: Double, _ rng: inout LaneRandom<L>) {
        gaussian.fill(noise, count: shape.unitCount, sigma: sigma, &rng)
    }

    /// The pass of the observation already in `input(0)` (`ForwardPass.compute`).
    @inline(__always)
    func compute(_ weights: LaneMatrices<L>, noisy: Bool) {
        computeLayer(0, weights, noisy: noisy)
        propagate(from: 0, weights, noisy: noisy)
    }

    /// `ForwardPass.compute(sharingFirstLayerWith:_:noisy:)`: W_1 x_0 from `clean`, plus this pass's noise.
    @inline(__always)
    func compute(sharingFirstLayerWith clean: LanePass, _ weights: LaneMatrices<L>, noisy: Bool) {
        let n0 = shape.inputSize, n1 = shape.outputs(0)
        input(0).update(from: clean.input(0), count: n0)
        let a = preActivation(0), a0 = clean.preActivation(0)
        if noisy {
            let xi = noise(0)
            for i in 0..<n1 { a[i] = a0[i] + xi[i] }
        } else {
            a.update(from: a0, count: n1)
        }
        propagate(from: 0, weights, noisy: noisy)
    }

    @inline(__always)
    private func computeLayer(_ l: Int, _ weights: LaneMatrices<L>, noisy: Bool) {
        let nIn = shape.inputs(l), nOut = shape.outputs(l)
        let w = weights.layer(l), x = input(l), a = preActivation(l)
        for i in 0..<nOut { a[i] = LaneKernels.dot(w + i &* nIn, x, nIn) }
        if noisy {
            let xi = noise(l)
            for i in 0..<nOut { a[i] = a[i] + xi[i] }
        }
    }

    @inline(__always)
    private func propagate(from start: Int, _ weights: LaneMatrices<L>, noisy: Bool) {
        let last = shape.layerCount - 1
        var l = start
        while l < last {
            let a = preActivation(l).scalars(), x = input(l + 1).scalars()
            for i in 0..<(shape.outputs(l) &* L.count) { x.setFloat(i, LeakyReLU.value(a.float(i))) }
            l += 1
            computeLayer(l, weights, noisy: noisy)
        }
        softmax(preActivation(last))
    }

    /// `ForwardPass.softmax` for each lane: π = softmax(z), log π = z − logsumexp(z), in Double with libm.
    @inline(__always)
    private func softmax(_ zVectors: UnsafeMutablePointer<L.Floats>) {
        let n = shape.outputSize, width = L.count
        let z = zVectors.scalars()
        for k in 0..<width {
            var m = Double(z.float(k))
            for o in 1..<n { m = max(m, Double(z.float(o &* width &+ k))) }
            var s = 0.0
            for o in 0..<n {
                // The largest output gives exp(0), which C (Annex F) fixes at exactly 1: one libm call saved.
                let d = Double(z.float(o &* width &+ k)) - m
                let e = d == 0 ? 1.0 : exp(d)
                probabilities[o &* width &+ k] = e
                s += e
            }
            let logSum = m + log(s)
            for o in 0..<n {
                logProbabilities[o &* width &+ k] = Double(z.float(o &* width &+ k)) - logSum
                probabilities[o &* width &+ k] /= s
            }
        }
    }

    /// `Categorical.sample` of lane k's π with lane k's uniform u.
    @inline(__always)
    func sampleAction(lane k: Int, uniform u: Double) -> Int {
        var cumulative = 0.0
        let n = shape.outputSize
        for o in 0..<(n - 1) {
            cumulative += probabilities[o &* L.count &+ k]
            if u < cumulative { return o }
        }
        return n - 1
    }

    @inline(__always)
    func logProbability(lane k: Int, of action: Int) -> Double { logProbabilities[action &* L.count &+ k] }
}

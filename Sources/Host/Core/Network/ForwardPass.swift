import Foundation

/// One forward pass through an MLP and everything a rule may need from it afterwards:
/// each layer's input x_{l−1}, each pre-activation a_l (noise included when noisy), the node
/// noise ξ_l, and the policy π = softmax(a_L) with its logarithm.
///
/// Buffers are allocated once; computing a pass never allocates. Activations and noise are
/// Float32 (the reference's precision); the softmax and log-probabilities are Double, so that the
/// difference of two log-probabilities ~σ apart keeps its digits.
public final class ForwardPass {
    public let shape: NetworkShape
    /// x_0 … x_{L−1}, back to back (x_0 is the observation).
    public let inputs: UnsafeMutablePointer<Float>
    /// a_1 … a_L (ã_l = W_l x̃_{l−1} + ξ_l when noisy).
    public let preActivations: UnsafeMutablePointer<Float>
    /// ξ_1 … ξ_L: the node noise of the last noisy computation.
    public let noise: UnsafeMutablePointer<Float>
    public let probabilities: UnsafeMutablePointer<Double>
    public let logProbabilities: UnsafeMutablePointer<Double>
    /// Whether the last computation added `noise`.
    public private(set) var isNoisy = false

    public init(shape: NetworkShape) {
        self.shape = shape
        inputs = .allocate(capacity: shape.inputCount)
        inputs.initialize(repeating: 0, count: shape.inputCount)
        preActivations = .allocate(capacity: shape.unitCount)
        preActivations.initialize(repeating: 0, count: shape.unitCount)
        noise = .allocate(capacity: shape.unitCount)
        noise.initialize(repeating: 0, count: shape.unitCount)
        probabilities = .allocate(capacity: shape.outputSize)
        probabilities.initialize(repeating: 0, count: shape.outputSize)
        logProbabilities = .allocate(capacity: shape.outputSize)
        logProbabilities.initialize(repeating: 0, count: shape.outputSize)
    }

    deinit {
        inputs.deallocate(); preActivations.deallocate(); noise.deallocate()
        probabilities.deallocate(); logProbabilities.deallocate()
    }

    /// x_{l} for 0-based layer l: the input of layer l (x_0 is the observation).
    @inlinable @inline(__always) public func input(_ l: Int) -> UnsafeMutablePointer<Float> { inputs + shape.inputOffsets[l] }
    @inlinable @inline(__always) public func preActivation(_ l: Int) -> UnsafeMutablePointer<Float> { preActivations + shape.unitOffsets[l] }
    @inlinable @inline(__always) public func noise(_ l: Int) -> UnsafeMutablePointer<Float> { noise + shape.unitOffsets[l] }

    /// Fills ξ with fresh N(0, σ²) draws, every layer including the output.
    public func drawNoise(sigma: Double, _ rng: inout Xoshiro256) {
        Gaussian.fill(noise, count: shape.unitCount, sigma: sigma, &rng)
    }

    /// Fills layer l's ξ_l (0-based l) with fresh N(0, σ²) draws when σ > 0; with σ = 0 sets it to
    /// zero and draws nothing. Layer by layer in order, this draws exactly what `drawNoise(sigma:)` does.
    public func drawNoise(layer l: Int, sigma: Double, _ rng: inout Xoshiro256) {
        let n = shape.outputs(l)
        if sigma > 0 {
            Gaussian.fill(noise(l), count: n, sigma: sigma, &rng)
        } else {
            noise(l).update(repeating: 0, count: n)
        }
    }

    /// ξ = 0 on every layer, drawing nothing.
    public func zeroNoise() { noise.update(repeating: 0, count: shape.unitCount) }

    /// Sets ξ from supplied values (all N = n_1+…+n_L of them, layer by layer), rounded to Float32:
    /// a buffer filled with Float64(σ · N(0, 1)) gives the very ξ that `drawNoise(sigma:)` would.
    public func setNoise(_ values: UnsafePointer<Double>) {
        for k in 0..<shape.unitCount { noise[k] = Float(values[k]) }
    }

    /// Sets ξ from supplied Float32 values (all N of them).
    public func setNoise(_ values: UnsafePointer<Float>) {
        noise.update(from: values, count: shape.unitCount)
    }

    /// ‖ξ‖² over the whole network (Double).
    public var noiseSquaredNorm: Double { Kernels.squaredNorm(noise, shape.unitCount) }

    /// ‖ξ_l‖² of one layer.
    public func noiseSquaredNorm(layer l: Int) -> Double { Kernels.squaredNorm(noise(l), shape.outputs(l)) }

    /// Computes the pass for `observation` with `weights`; adds the current `noise` when `noisy`.
    public func compute(_ weights: LayerMatrices, observation: UnsafePointer<Float>, noisy: Bool) {
        input(0).update(from: observation, count: shape.inputSize)
        computeLayer(0, weights, noisy: noisy)
        propagate(from: 0, weights, noisy: noisy)
    }

    /// A noisy pass that takes the noiseless W_1 x_0 from `clean` (same weights, same observation)
    /// and adds this pass's own `noise`: ã_1 = (W_1 x_0) + ξ_1 is the same arithmetic as computing
    /// it afresh, at half the cost of the first layer.
    public func computeNoisy(sharingFirstLayerWith clean: ForwardPass, _ weights: LayerMatrices) {
        compute(sharingFirstLayerWith: clean, weights, noisy: true)
    }

    /// The pass of `clean`'s observation with `weights` (the weights `clean` was computed with),
    /// taking W_1 x_0 from `clean`; adds this pass's own `noise` when `noisy`. The same numbers as
    /// `compute(weights, observation:noisy:)`, at less cost.
    public func compute(sharingFirstLayerWith clean: ForwardPass, _ weights: LayerMatrices, noisy: Bool) {
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

    /// a_l = W_l x_{l−1} (+ ξ_l).
    @inline(__always)
    private func computeLayer(_ l: Int, _ weights: LayerMatrices, noisy: Bool) {
        let nIn = shape.inputs(l), nOut = shape.outputs(l)
        let w = weights.layer(l), x = input(l), a = preActivation(l)
        for i in 0..<nOut { a[i] = Kernels.dot(w + i &* nIn, x, nIn) }
        if noisy {
            let xi = noise(l)
            for i in 0..<nOut { a[i] += xi[i] }
        }
    }

    /// Applies f to layer `l`'s pre-activations and computes the layers above it, then the policy.
    @inline(__always)
    private func propagate(from start: Int, _ weights: LayerMatrices, noisy: Bool) {
        isNoisy = noisy
        let last = shape.layerCount - 1
        var l = start
        while l < last {
            let a = preActivation(l), x = input(l + 1)
            for i in 0..<shape.outputs(l) { x[i] = LeakyReLU.value(a[i]) }
            l += 1
            computeLayer(l, weights, noisy: noisy)
        }
        softmax(preActivation(last), shape.outputSize)
    }

    /// π = softmax(z), log π = z − logsumexp(z), in Double (one exp per output, one log).
    @inline(__always)
    private func softmax(_ z: UnsafePointer<Float>, _ n: Int) {
        var m = Double(z[0])
        for k in 1..<n { m = max(m, Double(z[k])) }
        var s = 0.0
        for k in 0..<n {
            let e = exp(Double(z[k]) - m)
            probabilities[k] = e
            s += e
        }
        let logSum = m + log(s)
        for k in 0..<n {
            logProbabilities[k] = Double(z[k]) - logSum
            probabilities[k] /= s
        }
    }

    /// An action drawn from π.
    @inlinable @inline(__always)
    public func sample(_ rng: inout Xoshiro256) -> Int {
        Categorical.sample(probabilities, count: shape.outputSize, &rng)
    }

    @inlinable @inline(__always)
    public func logProbability(of action: Int) -> Double { logProbabilities[action] }

    public var outputs: [Double] { Array(UnsafeBufferPointer(start: probabilities, count: shape.outputSize)) }
}

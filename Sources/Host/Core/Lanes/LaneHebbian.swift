/// RMHL and node perturbation (`ExplicitNoiseHebbian`, docs/spec/rules.md §4 and §6) for every lane, step
/// for step what the native rule does for one run: node noise on every unit, one noisy pass, the action from π̃;
/// with g = η (RMHL) or η/σ² (node perturbation):
/// - delayed tasks: e_l += ξ_l x̃_{l−1}ᵀ; at the episode's end W_l += Float(g·δ)·e_l and e = 0;
/// - immediate tasks: W_l += (Float(g·δ_t)·ξ_l) x̃_{l−1}ᵀ after every step.
/// Compiled kernels only (`CompiledLaneKernel.hebbianStep`): where there is none, these runs train alone.
final class LaneHebbian<L: LaneWidth>: LaneRule {
    let weights: LaneMatrices<L>
    private let trace: LaneMatrices<L>
    /// The one pass, computed with noise (the kernel's clean_* buffers and its noise).
    private let pass: LanePass<L>
    private var noiseRandom = LaneRandom<L>()
    private var actionRandom = LaneRandom<L>()
    private let gain: Double
    private let kernel: LaneKernelStep<L>

    init(shape: NetworkShape, parameters: Parameters, dividesBySigmaSquared: Bool, kernel: CompiledLaneKernel.Kernel,
         immediate: Bool) {
        weights = LaneMatrices(shape: shape)
        trace = LaneMatrices(shape: shape)
        pass = LanePass(shape: shape)
        let sigma = parameters.real("sigma"), lr = parameters.real("lr")
        gain = dividesBySigmaSquared ? lr / (sigma * sigma) : lr
        self.kernel = LaneKernelStep(kernel, shape: shape, weights: weights, trace: trace, clean: pass, noisy: pass,
                                     errors: nil, sigma: sigma, immediate: immediate)
    }

    var observation: UnsafeMutablePointer<L.Floats> { pass.input(0) }

    func start(lane k: Int, seed: UInt64, initSeed: UInt64) {
        weights.setLaneToInitialWeights(k, initSeed: initSeed)
        kernel.fold()
        trace.zeroLane(k)
        noiseRandom.setLane(k, RandomStream.noise.generator(seed: seed))
        actionRandom.setLane(k, RandomStream.actions.generator(seed: seed))
    }

    @inline(__always)
    func act(_ actions: UnsafeMutablePointer<Int>) {
        withUnsafeMutablePointer(to: &noiseRandom) { noise in
            withUnsafeMutablePointer(to: &actionRandom) { kernel.run(noise: noise, action: $0, actions: actions) }
        }
    }

    /// W_l += Float(g·δ·1)·e_l, then e = 0 (`LayerMatrices.add(_:scale:scaling: .paper)`).
    func learn(lane k: Int, rpe: Double) {
        kernel.fold()
        weights.applyLane(k, trace: trace, learningRate: gain, rpe: rpe, scaling: .paper)
    }

    /// `addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: g·δ)`: Float(g·δ·1/1) = Float(g·δ).
    func learnEveryLane(rpe: UnsafePointer<Double>) {
        kernel.update(units: pass.noise, inputs: pass.inputs) { k, _ in gain * rpe[k] }
    }
}

/// BP (`Reinforce`, docs/spec/rules.md §4) for every lane, step for step what the native rule does for one
/// run: a clean pass, the action from π, ∇ log π(a_t) by backpropagation.
/// - Delayed tasks: Σ_t ∇ log π(a_t) in a trace; at the episode's end W_l += Float(η·δ·k_l)·Σ_l and Σ = 0.
/// - Immediate tasks: W_l += (Float(η·δ_t)·ε_l) x_{l−1}ᵀ after every step.
/// Compiled kernels only (`CompiledLaneKernel.bpStep`): where there is none, BP runs train alone.
final class LaneBP<L: LaneWidth>: LaneRule {
    let weights: LaneMatrices<L>
    private let gradientSum: LaneMatrices<L>
    private let clean: LanePass<L>
    private let errors: UnsafeMutablePointer<L.Floats>
    private var actionRandom = LaneRandom<L>()
    private let learningRate: Double
    private let kernel: LaneKernelStep<L>

    init(shape: NetworkShape, parameters: Parameters, kernel: CompiledLaneKernel.Kernel, immediate: Bool) {
        weights = LaneMatrices(shape: shape)
        gradientSum = LaneMatrices(shape: shape)
        clean = LanePass(shape: shape)
        errors = .allocate(capacity: shape.unitCount)
        errors.initialize(repeating: L.Floats(), count: shape.unitCount)
        learningRate = parameters.real("lr")
        self.kernel = LaneKernelStep(kernel, shape: shape, weights: weights, trace: gradientSum, clean: clean, noisy: nil,
                                     errors: errors, sigma: 0, immediate: immediate)
    }

    deinit { errors.deallocate() }

    var observation: UnsafeMutablePointer<L.Floats> { clean.input(0) }

    func start(lane k: Int, seed: UInt64, initSeed: UInt64) {
        weights.setLaneToInitialWeights(k, initSeed: initSeed)
        kernel.fold()
        gradientSum.zeroLane(k)
        actionRandom.setLane(k, RandomStream.actions.generator(seed: seed))
    }

    @inline(__always)
    func act(_ actions: UnsafeMutablePointer<Int>) {
        withUnsafeMutablePointer(to: &actionRandom) { kernel.run(noise: nil, action: $0, actions: actions) }
    }

    func learn(lane k: Int, rpe: Double) {
        kernel.fold()
        weights.applyLane(k, trace: gradientSum, learningRate: learningRate, rpe: rpe, scaling: .paper)
    }

    /// `Backprop.addLogProbabilityGradient(… into: weights, scale: η·δ)`: the errors of the step's pass.
    func learnEveryLane(rpe: UnsafePointer<Double>) {
        kernel.update(units: errors, inputs: clean.inputs) { k, _ in learningRate * rpe[k] }
    }
}

/// NRL (docs/spec/rules.md §3) for every lane, step for step what the native `NRL` rule does for one run:
/// a clean pass, node noise on every layer, a noisy pass sharing the clean first layer, the action from the
/// clean policy, Δ = log π̃(a) − log π(a); then
/// - delayed form (eqs. 15–16): e_l += Float(Δ/‖ξ‖²)·ξ_l · x̃_{l−1}ᵀ; at the episode's end
///   W_l += Float(η·δ·k_l)·e_l and e = 0;
/// - continuous form (immediate tasks): W_l += (Float(η·δ_t·Δ·k_l/‖ξ_l‖²)·ξ_l) x_{l−1}ᵀ after every step
///   (each layer's own noise norm, clean inputs).
/// Each step runs in the compiled kernel of this width (`CompiledLaneKernel`) when there is one; the
/// continuous form only there.
final class LaneNRL<L: LaneWidth>: LaneRule {
    let shape: NetworkShape
    let weights: LaneMatrices<L>
    private let trace: LaneMatrices<L>
    private let clean: LanePass<L>
    private let noisy: LanePass<L>
    private var noiseRandom = LaneRandom<L>()
    private var actionRandom = LaneRandom<L>()
    private let learningRate: Double
    private let sigma: Double
    private let scaling: StepScaling
    /// Per-lane scratch: Δ, ‖ξ‖², and Float(Δ/‖ξ‖²) as a lane vector.
    private let change: UnsafeMutablePointer<Double>
    private let norm: UnsafeMutablePointer<Double>
    private let traceScale: UnsafeMutablePointer<L.Floats>
    /// The compiled step (nil: the generic code below).
    private let kernel: LaneKernelStep<L>?
    /// Continuous form: ‖ξ_l‖² of every lane, layer after layer.
    private let layerNorms: UnsafeMutablePointer<Double>

    /// `immediate`: the continuous form, which needs a compiled kernel (`hasKernel`).
    init(shape: NetworkShape, parameters: Parameters, kernels: CompiledLaneKernel.InstructionSet?, immediate: Bool) {
        self.shape = shape
        weights = LaneMatrices(shape: shape)
        trace = LaneMatrices(shape: shape)
        clean = LanePass(shape: shape)
        noisy = LanePass(shape: shape)
        learningRate = parameters.real("lr")
        sigma = parameters.real("sigma")
        scaling = StepScaling(rawValue: parameters.choice("scaling")) ?? .paper
        change = .allocate(capacity: L.count)
        change.initialize(repeating: 0, count: L.count)
        norm = .allocate(capacity: L.count)
        norm.initialize(repeating: 0, count: L.count)
        traceScale = .allocate(capacity: 1)
        traceScale.initialize(to: L.Floats())
        layerNorms = .allocate(capacity: shape.layerCount * L.count)
        layerNorms.initialize(repeating: 0, count: shape.layerCount * L.count)
        let (weights, trace, clean, noisy, sigma) = (weights, trace, clean, noisy, sigma)
        kernel = CompiledLaneKernel.nrlStep(width: L.count, set: kernels).map {
            LaneKernelStep($0, shape: shape, weights: weights, trace: trace, clean: clean, noisy: noisy, errors: nil, sigma: sigma,
                          immediate: immediate)
        }
    }

    deinit { change.deallocate(); norm.deallocate(); traceScale.deallocate(); layerNorms.deallocate() }

    /// Whether the compiled kernel computes the steps (the continuous form needs it).
    var hasKernel: Bool { kernel != nil }

    /// Where the trainer writes the observations (lane-major x_0 of the clean pass).
    var observation: UnsafeMutablePointer<L.Floats> { clean.input(0) }

    /// Lane k starts a run: `Session`'s Xavier weights from the weights stream of `initSeed`,
    /// the noise and action streams of `seed`, an empty trace.
    func start(lane k: Int, seed: UInt64, initSeed: UInt64) {
        weights.setLaneToInitialWeights(k, initSeed: initSeed)
        kernel?.fold()
        trace.zeroLane(k)
        noiseRandom.setLane(k, RandomStream.noise.generator(seed: seed))
        actionRandom.setLane(k, RandomStream.actions.generator(seed: seed))
    }

    /// One step of every lane; writes each lane's action into `actions`.
    @inline(__always)
    func act(_ actions: UnsafeMutablePointer<Int>) {
        if let kernel {
            withUnsafeMutablePointer(to: &noiseRandom) { noise in
                withUnsafeMutablePointer(to: &actionRandom) { kernel.run(noise: noise, action: $0, actions: actions) }
            }
            return
        }
        clean.compute(weights, noisy: false)
        noisy.drawNoise(sigma: sigma, &noiseRandom)
        noisy.compute(sharingFirstLayerWith: clean, weights, noisy: true)
        let bits = actionRandom.next()
        for k in 0..<L.count {
            // Xoshiro256.nextDouble
            let a = clean.sampleAction(lane: k, uniform: Double(bits[k] >> 11) * 0x1.0p-53)
            actions[k] = a
            change[k] = noisy.logProbability(lane: k, of: a) - clean.logProbability(lane: k, of: a)
        }
        accumulateTrace()
    }

    /// e_l += Float(Δ/‖ξ‖²)·ξ_l x̃_{l−1}ᵀ (`LayerMatrices.addNoiseOuterProducts`, whole-network norm, k = 1).
    @inline(__always)
    private func accumulateTrace() {
        LaneKernels.squaredNorm(noisy.noise, shape.unitCount, into: norm)
        // k_l = 1 here (the trace's own scaling is .paper); Δ·1 = Δ exactly.
        for k in 0..<L.count { traceScale.setLane(0, k, Float(change[k] / norm[k])) }
        let scale = traceScale.pointee
        for l in 0..<shape.layerCount {
            let rows = shape.outputs(l), cols = shape.inputs(l)
            let m = trace.layer(l), xi = noisy.noise(l), x = noisy.input(l)
            for i in 0..<rows {
                LaneKernels.axpy(scale * xi[i], x, m + i &* cols, cols)
            }
        }
    }

    /// Lane k's episode ended with error δ: W_l += Float(η·δ·k_l)·e_l, then e = 0 (`NodeNoiseTrace.apply`).
    func learn(lane k: Int, rpe: Double) {
        kernel?.fold()
        weights.applyLane(k, trace: trace, learningRate: learningRate, rpe: rpe, scaling: scaling)
    }

    /// The continuous form's step (`NRL.learn` on an immediate task, `addNoiseOuterProducts` with the layer norm):
    /// W_l += (Float(η·δ·Δ·k_l/‖ξ_l‖²)·ξ_l) x_{l−1}ᵀ with the clean pass's inputs.
    func learnEveryLane(rpe: UnsafePointer<Double>) {
        guard let kernel else { preconditionFailure("NRL's continuous form trains in lanes only with a compiled kernel") }
        for l in 0..<shape.layerCount {
            LaneKernels.squaredNorm(noisy.noise(l), shape.outputs(l), into: layerNorms + l * L.count)
        }
        let (shape, scaling, learningRate, layerNorms, changes) = (shape, scaling, learningRate, layerNorms, kernel.changes)
        kernel.update(units: noisy.noise, inputs: clean.inputs) { k, l in
            learningRate * rpe[k] * changes[k] * scaling.factor(layer: l, of: shape, normalization: .layer)
                / layerNorms[l * L.count + k]
        }
    }
}

import CLaneKernels

/// NRL's delayed form (docs/spec/rules.md §3, eqs. 15–16) for every lane, step for step what the
/// native `NRL` rule with a `NodeNoiseTrace` does for one run: a clean pass, node noise on every
/// layer, a noisy pass sharing the clean first layer, the action from the clean policy,
/// Δ = log π̃(a) − log π(a), e_l += Float(Δ/‖ξ‖²)·ξ_l · x̃_{l−1}ᵀ; at the episode's end
/// W_l += Float(η·δ·k_l)·e_l and e = 0.
/// Each step runs in the compiled kernel of this width (`CompiledLaneKernel`) when there is one.
final class LaneNRL<L: LaneWidth> {
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
    /// The compiled step and its buffers (nil: the generic code below).
    private let kernel: CompiledLaneKernel.Step?
    private let kernelStep: UnsafeMutablePointer<nrl_lanes_step>
    private let layerSizes: UnsafeMutablePointer<Int32>

    init(shape: NetworkShape, parameters: Parameters, kernels: CompiledLaneKernel.InstructionSet?) {
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
        kernel = CompiledLaneKernel.nrlStep(width: L.count, set: kernels)
        // The kernel reads a generator's four state vectors as s0 of every lane, then s1, s2, s3.
        precondition(MemoryLayout<LaneRandom<L>>.size == 4 * MemoryLayout<L.Words>.stride
                     && MemoryLayout<LaneRandom<L>>.offset(of: \LaneRandom<L>.s3) == 3 * MemoryLayout<L.Words>.stride)
        let layers = shape.layerCount
        layerSizes = .allocate(capacity: 2 * layers)
        for l in 0..<layers {
            layerSizes[l] = Int32(shape.inputs(l))
            layerSizes[layers + l] = Int32(shape.outputs(l))
        }
        func floats(_ p: UnsafeMutablePointer<L.Floats>) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
        }
        kernelStep = .allocate(capacity: 1)
        kernelStep.initialize(to: nrl_lanes_step(
            layer_count: Int32(layers), fan_in: UnsafePointer(layerSizes), fan_out: UnsafePointer(layerSizes + layers),
            weights: floats(weights.values), trace: floats(trace.values),
            clean_inputs: floats(clean.inputs), clean_pre: floats(clean.preActivations),
            noisy_inputs: floats(noisy.inputs), noisy_pre: floats(noisy.preActivations), noise: floats(noisy.noise),
            probabilities: clean.probabilities, log_clean: clean.logProbabilities, log_noisy: noisy.logProbabilities,
            noise_random: nil, action_random: nil, ziggurat_x: Gaussian.x, ziggurat_f: Gaussian.f, ziggurat_r: Gaussian.r,
            sigma: sigma, actions: nil))
    }

    deinit {
        change.deallocate(); norm.deallocate(); traceScale.deallocate()
        kernelStep.deallocate(); layerSizes.deallocate()
    }

    /// Where the trainer writes the observations (lane-major x_0 of the clean pass).
    var observation: UnsafeMutablePointer<L.Floats> { clean.input(0) }

    /// Lane k starts a run: `Session`'s Xavier weights from the weights stream of `initSeed`,
    /// the noise and action streams of `seed`, an empty trace.
    func start(lane k: Int, seed: UInt64, initSeed: UInt64) {
        let network = Network(shape: shape)
        var weightRandom = RandomStream.weights.generator(seed: initSeed)
        network.initializeXavier(&weightRandom)
        weights.setLane(k, from: network.weights)
        trace.zeroLane(k)
        noiseRandom.setLane(k, RandomStream.noise.generator(seed: seed))
        actionRandom.setLane(k, RandomStream.actions.generator(seed: seed))
    }

    /// One step of every lane; writes each lane's action into `actions`.
    @inline(__always)
    func act(_ actions: UnsafeMutablePointer<Int>) {
        if let kernel {
            let step = kernelStep
            withUnsafeMutablePointer(to: &noiseRandom) { noise in
                withUnsafeMutablePointer(to: &actionRandom) { action in
                    step.pointee.noise_random = UnsafeMutableRawPointer(noise).assumingMemoryBound(to: UInt64.self)
                    step.pointee.action_random = UnsafeMutableRawPointer(action).assumingMemoryBound(to: UInt64.self)
                    step.pointee.actions = UnsafeMutableRawPointer(actions).assumingMemoryBound(to: Int64.self)
                    kernel(step)
                }
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
        let scale = learningRate * rpe
        for l in 0..<shape.layerCount {
            let factor = scaling.factor(layer: l, of: shape, normalization: .network)
            weights.addLane(k, layer: l, trace, coefficient: Float(scale * factor))
        }
        trace.zeroLane(k)
    }
}

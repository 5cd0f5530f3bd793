import CLaneKernels

/// The buffers of a compiled lanes step (`nrl_lanes_step` in lane_kernels.h), pointing into a rule's
/// lane-major matrices and passes, and the call of the step. The trace is complete only after `fold`.
/// For an immediate task (`immediate`) the step leaves the trace alone and the rule learns with `update`.
final class LaneKernelStep<L: LaneWidth> {
    let step: UnsafeMutablePointer<nrl_lanes_step>
    private let kernel: CompiledLaneKernel.Kernel
    private let layerSizes: UnsafeMutablePointer<Int32>
    private let foldScales: UnsafeMutablePointer<L.Floats>
    private let foldInputs: UnsafeMutablePointer<L.Floats>
    /// NRL on an immediate task: each lane's Δ of the last step.
    let changes: UnsafeMutablePointer<Double>
    private let layerCount: Int
    private let layerScales: UnsafeMutablePointer<L.Floats>

    init(_ kernel: CompiledLaneKernel.Kernel, shape: NetworkShape, weights: LaneMatrices<L>, trace: LaneMatrices<L>,
         clean: LanePass<L>, noisy: LanePass<L>?, errors: UnsafeMutablePointer<L.Floats>?, sigma: Double,
         immediate: Bool) {
        // The kernel reads a generator's four state vectors as s0 of every lane, then s1, s2, s3.
        precondition(MemoryLayout<LaneRandom<L>>.size == 4 * MemoryLayout<L.Words>.stride
                     && MemoryLayout<LaneRandom<L>>.offset(of: \LaneRandom<L>.s3) == 3 * MemoryLayout<L.Words>.stride)
        self.kernel = kernel
        let layers = shape.layerCount
        layerSizes = .allocate(capacity: 2 * layers)
        for l in 0..<layers {
            layerSizes[l] = Int32(shape.inputs(l))
            layerSizes[layers + l] = Int32(shape.outputs(l))
        }
        func floats(_ p: UnsafeMutablePointer<L.Floats>?) -> UnsafeMutablePointer<Float>? {
            p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }
        }
        let fold = Int(NRL_LANES_FOLD)
        foldScales = .allocate(capacity: fold * shape.unitCount)
        foldScales.initialize(repeating: L.Floats(), count: fold * shape.unitCount)
        let inputCount = (0..<layers).reduce(0) { $0 + shape.inputs($1) }
        foldInputs = .allocate(capacity: fold * inputCount)
        foldInputs.initialize(repeating: L.Floats(), count: fold * inputCount)
        layerCount = layers
        layerScales = .allocate(capacity: layers)
        layerScales.initialize(repeating: L.Floats(), count: layers)
        changes = .allocate(capacity: L.count)
        changes.initialize(repeating: 0, count: L.count)
        step = .allocate(capacity: 1)
        step.initialize(to: nrl_lanes_step(
            layer_count: Int32(layers), fan_in: UnsafePointer(layerSizes), fan_out: UnsafePointer(layerSizes + layers),
            weights: floats(weights.values), trace: floats(trace.values),
            clean_inputs: floats(clean.inputs), clean_pre: floats(clean.preActivations),
            noisy_inputs: floats(noisy?.inputs), noisy_pre: floats(noisy?.preActivations), noise: floats(noisy?.noise),
            probabilities: clean.probabilities, log_clean: clean.logProbabilities, log_noisy: noisy?.logProbabilities,
            noise_random: nil, action_random: nil, ziggurat_x: Gaussian.x, ziggurat_f: Gaussian.f, ziggurat_r: Gaussian.r,
            sigma: sigma, actions: nil, errors: floats(errors),
            fold_scales: floats(foldScales), fold_inputs: floats(foldInputs), fold_pending: 0,
            immediate: immediate ? 1 : 0, changes: changes))
    }

    deinit {
        step.deallocate(); layerSizes.deallocate(); foldScales.deallocate(); foldInputs.deallocate(); changes.deallocate()
        layerScales.deallocate()
    }

    /// One step of every lane with these generators; each lane's action into `actions`.
    @inline(__always)
    func run(noise: UnsafeMutablePointer<LaneRandom<L>>?, action: UnsafeMutablePointer<LaneRandom<L>>,
             actions: UnsafeMutablePointer<Int>) {
        step.pointee.noise_random = noise.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt64.self) }
        step.pointee.action_random = UnsafeMutableRawPointer(action).assumingMemoryBound(to: UInt64.self)
        step.pointee.actions = UnsafeMutableRawPointer(actions).assumingMemoryBound(to: Int64.self)
        kernel.act(step)
    }

    /// Learning now (immediate tasks): weights_l += (Float(scale(k, l))·u_i) x_{l−1}ᵀ for every lane k and layer l,
    /// with u a value per unit and x every layer's inputs, both lane-major (`LayerMatrices.addOuter` for every lane).
    @inline(__always)
    func update(units: UnsafePointer<L.Floats>, inputs: UnsafePointer<L.Floats>, scale: (Int, Int) -> Double) {
        for l in 0..<layerCount {
            for k in 0..<L.count { layerScales.setLane(l, k, Float(scale(k, l))) }
        }
        func floats(_ p: UnsafePointer<L.Floats>) -> UnsafePointer<Float> {
            UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
        }
        var update = nrl_lanes_update(scales: floats(layerScales), units: floats(units), inputs: floats(inputs))
        kernel.update(step, &update)
    }

    /// Adds the trace's pending outer products to it: before the trace is read or changed.
    @inline(__always)
    func fold() { kernel.fold(step) }
}

import Host

/// The eligibility trace of delayed-form NRL (rules.md §3 "eqs. 15–16"):
/// e_l += Δ · ξ_l/‖ξ‖² · x̃_{l−1}ᵀ every step (whole-network norm, noisy-pass input),
/// ΔW_l = η · factor_l · δ · e_l once at the end of the episode, then e = 0.
final class NodeNoiseTrace {
    let trace: LayerMatrices
    private let factors: [Double]
    private let stepScales: UnsafeMutablePointer<Float>

    init(shape: NetworkShape, scaling: StepScaling) {
        trace = LayerMatrices(shape: shape)
        factors = scaling.factors(shape, layerOwnNorm: false)
        stepScales = .allocate(capacity: shape.layerCount)
        stepScales.initialize(repeating: 0, count: shape.layerCount)
    }

    deinit { stepScales.deallocate() }

    /// Adds one step: `logProbabilityChange` is Δ = log π̃(a) − log π(a) for the noisy pass `noisy`.
    @inline(__always)
    func accumulate(logProbabilityChange dp: Double, noisy: ForwardPass) {
        trace.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: Float(dp / noisy.noiseSquaredNorm))
    }

    /// W_l += η · factor_l · δ · e_l, then clears the trace.
    func apply(to weights: LayerMatrices, learningRate: Double, rpe: Double) {
        for l in 0..<factors.count { stepScales[l] = Float(learningRate * factors[l] * rpe) }
        weights.add(trace, layerScales: stepScales)
        trace.zero()
    }
}

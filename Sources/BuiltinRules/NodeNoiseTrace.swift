import NRLCore

/// The eligibility trace of delayed-form NRL (docs/spec/rules.md §3 "eqs. 15–16"):
/// e_l += Δ · ξ_l/‖ξ‖² · x̃_{l−1}ᵀ every step (whole-network norm, noisy-pass input),
/// ΔW_l = η · k_l · δ · e_l once at the end of the episode, then e = 0.
final class NodeNoiseTrace {
    let trace: LayerMatrices
    private let scaling: StepScaling

    init(shape: NetworkShape, scaling: StepScaling) {
        trace = LayerMatrices(shape: shape)
        self.scaling = scaling
    }

    /// Adds one step: `logProbabilityChange` is Δ = log π̃(a) − log π(a) for the noisy pass `noisy`.
    @inline(__always)
    func accumulate(logProbabilityChange dp: Double, noisy: ForwardPass) {
        trace.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: dp, normalization: .network)
    }

    /// W_l += η · k_l · δ · e_l, then clears the trace.
    func apply(to weights: LayerMatrices, learningRate: Double, rpe: Double) {
        weights.add(trace, scale: learningRate * rpe, scaling: scaling)
        trace.zero()
    }
}

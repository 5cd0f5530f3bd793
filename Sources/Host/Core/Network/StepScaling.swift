/// How a rule's step is scaled per layer (docs/spec/rules.md §3, §8a): the factor k_l in ΔW_l = k_l · scale · …
public enum StepScaling: String, CaseIterable, Sendable {
    /// k_l = 1: the form that reproduces the paper.
    case paper
    /// k_l = n_l: the newer public code (`training.py` 659f25a).
    case fanOut = "fan_out"
    /// The factor that makes NRL's estimate unbiased: N with the whole-network noise norm,
    /// n_l with the layer's own norm (for isotropic Gaussian noise E[ξξᵀ/‖ξ‖²] = I/N).
    case unbiased

    /// k_l for layer `l` (0-based) of `shape`, given which noise norm the step divides by.
    @inlinable
    public func factor(layer l: Int, of shape: NetworkShape, normalization: NoiseNormalization) -> Double {
        switch self {
        case .paper: return 1
        case .fanOut: return Double(shape.outputs(l))
        case .unbiased: return Double(normalization == .layer ? shape.outputs(l) : shape.unitCount)
        }
    }
}

/// What a node-noise outer product is divided by.
public enum NoiseNormalization: String, CaseIterable, Sendable {
    /// Nothing (RMHL, node perturbation).
    case none
    /// ‖ξ‖² over the whole network (NRL's delayed form).
    case network
    /// ‖ξ_l‖² of each layer (NRL's continuous form).
    case layer
}

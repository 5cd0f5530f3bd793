import Host

/// How NRL scales each layer's step (rules.md §3, §8a).
enum StepScaling: String, CaseIterable {
    /// ΔW_l = η δ e_l: the form that reproduces the paper.
    case paper
    /// ΔW_l = η n_l δ e_l: the newer public code (`training.py` 659f25a).
    case fanOut = "fan_out"
    /// An unbiased gradient estimate: × N with the whole-network noise norm (delayed form),
    /// × n_l with the layer's own norm (continuous form).
    case unbiased

    static let parameter = ParameterSpec(
        "scaling", .choice(allCases.map(\.rawValue)), default: .choice(StepScaling.paper.rawValue),
        help: "layer step factor: paper (1), fan_out (n_l, newer public code), unbiased (N delayed / n_l continuous)")

    /// The factor for each layer.
    func factors(_ shape: NetworkShape, layerOwnNorm: Bool) -> [Double] {
        (0..<shape.layerCount).map { l in
            switch self {
            case .paper: return 1
            case .fanOut: return Double(shape.outputs(l))
            case .unbiased: return Double(layerOwnNorm ? shape.outputs(l) : shape.unitCount)
            }
        }
    }
}

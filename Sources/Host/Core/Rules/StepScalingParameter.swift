/// The `scaling` parameter every node-perturbation rule declares.
extension StepScaling {
    public static let parameter = ParameterSpec(
        "scaling", .choice(allCases.map(\.rawValue)), default: .choice(StepScaling.paper.rawValue),
        help: "layer step factor: paper (1), fan_out (n_l, newer public code), unbiased (N delayed / n_l continuous)")
}

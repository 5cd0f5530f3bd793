/// Which runs the lanes engine can train, and which runs can share an engine.
public enum LaneSupport {
    /// True when the lanes engine takes this spec: the native NRL, BP, RMHL or node perturbation rule on a
    /// builtin task (CartPole and Acrobot: learning once per episode; Reaching: after every step).
    /// Everything else keeps the single-run path. (BP, RMHL, node perturbation and NRL's continuous form train
    /// in lanes only where a compiled kernel runs; `LaneSweep` trains them alone elsewhere.)
    public static func supports(_ spec: RunSpec) -> Bool {
        guard spec.script == nil, spec.ruleScriptHash == nil, spec.environmentScriptHash == nil else { return false }
        guard ["nrl", "bp", "rmhl", "np"].contains(spec.rule),
              EnvironmentRegistry.builtin.info(spec.environment) != nil else { return false }
        switch spec.parameters["gamma"] {
        case nil, .real?, .integer?: break
        default: return false
        }
        return spec.parameters["lr"] != nil && (spec.rule == "bp" || spec.parameters["sigma"] != nil)
    }

    /// What `supports` admits, for messages.
    public static let summary = "the native nrl, bp, rmhl and np rules on cartpole, acrobot and reaching"

    /// True when training this spec in lanes is faster than alone, so that sweeps and `run --seeds` use
    /// lanes for it: a supported spec whose weights are at most 16384 per run. Lanes keep every run's
    /// weights and trace side by side (W × 2 × 4 bytes per weight: 1 MB at 8 lanes), which must stay in the
    /// core's L2 (1–2 MB). Measured (`bench --lanes-only`, 8 lanes, ns per step against a run alone, docs/lanes.md):
    /// 1×64 0.46–0.95× on CartPole and Acrobot; 3×64 (8576 weights) on CartPole 0.47–0.94×; Reaching's 1×128
    /// (4480 weights) 0.64–0.76×.
    public static func pays(_ spec: RunSpec) -> Bool {
        guard supports(spec), let info = EnvironmentRegistry.builtin.info(spec.environment) else { return false }
        let shape = NetworkShape(inputs: info.observationSize, hidden: spec.hidden, layers: spec.layers, outputs: info.actionCount)
        return shape.weightCount <= 16384
    }

    /// Runs with equal keys can train in one engine: the same rule, environment, shape and parameters
    /// (seeds and episode counts may differ).
    public static func batchKey(_ spec: RunSpec) -> String {
        // Sorted: a dictionary's order differs from one instance to the next.
        func sorted(_ p: Parameters?) -> String { p.map { "\($0.values.sorted { $0.key < $1.key })" } ?? "-" }
        return "\(spec.rule)|\(spec.environment)|\(spec.hidden)x\(spec.layers)|\(sorted(spec.parameters))|\(sorted(spec.environmentParameters))"
    }
}

/// The built-in environments by name: what a run spec or the command line refers to.
public enum EnvironmentCatalog {
    public static let builtinNames = ["cartpole", "acrobot", "reaching"]

    /// The built-in name for `s`, which may also be the Gymnasium/NeuroGym id
    /// ("CartPole-v1", "Acrobot-v1", "Reaching1D-v0"); case does not matter.
    public static func canonicalName(_ s: String) -> String? {
        if isScript(s) { return s }
        switch s.lowercased() {
        case "cartpole", "cartpole-v1": return "cartpole"
        case "acrobot", "acrobot-v1": return "acrobot"
        case "reaching", "reaching1d", "reaching1d-v0", "neurogym:reaching1d-v0": return "reaching"
        default: return nil
        }
    }

    public static func info(_ name: String) -> EnvironmentInfo? {
        switch canonicalName(name) {
        case "cartpole": return CartPole.info
        case "acrobot": return Acrobot.info
        case "reaching": return Reaching1D.info
        default: return nil
        }
    }

    /// Whether `name` names an environment script (a .lua file) rather than a built-in.
    public static func isScript(_ name: String) -> Bool { name.hasSuffix(".lua") }

    /// A fresh environment — built-in or script — seeded from the run's environment stream under
    /// `seed`, with its step limit applied.
    public static func make(_ name: String, seed: UInt64, limits: ScriptLimits) throws -> Environment {
        if isScript(name) { return try ScriptEnvironment.make(path: name, seed: seed, limits: limits) }
        guard let env = make(name, seed: seed) else {
            throw UsageError("unknown environment '\(name)'; known environments: \(builtinNames.joined(separator: ", ")), or a .lua file")
        }
        return env
    }

    /// A fresh built-in environment whose random draws come from the run's environment stream under
    /// `seed`. CartPole and Acrobot come wrapped in their 500-step `TimeLimit`, as `gym.make` does.
    public static func make(_ name: String, seed: UInt64) -> Environment? {
        let rng = RandomStream.environment.generator(seed: seed)
        switch canonicalName(name) {
        case "cartpole": return TimeLimit(CartPole(rng: rng), maxEpisodeSteps: 500)
        case "acrobot": return TimeLimit(Acrobot(rng: rng), maxEpisodeSteps: 500)
        case "reaching": return Reaching1D(rng: rng)
        default: return nil
        }
    }

    /// One line per built-in environment, for `nrlhost envs`.
    public static func describe() -> [(name: String, summary: String)] {
        [
            ("cartpole", "CartPole-v1: obs 4 (x, ẋ, θ, θ̇), 2 actions (push left, right); "
                + "reward +1 per step; ends when |x| > 2.4 or |θ| > 12°, truncated at 500 steps"),
            ("acrobot", "Acrobot-v1: obs 6 (cos θ1, sin θ1, cos θ2, sin θ2, ω1, ω2), 3 actions (torque −1, 0, +1); "
                + "reward −1 per step until the tip swings above the bar; truncated at 500 steps"),
            ("reaching", "NeuroGym Reaching1D-v0: obs 32 (16 target + 16 self ring units), 3 actions (stay, left, right); "
                + "reward max(1 − distance to int(target), −0.1) every step; continuing, trials of 300 steps"),
        ]
    }
}

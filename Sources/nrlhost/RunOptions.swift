import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

/// Flags shared by the commands that start runs.
struct RunOptions: ParsableArguments {
    @Option(help: "Environment: cartpole, acrobot, reaching, an environment script (.lua), or a Python task: gym:ID, neurogym:ID. Default: the rule script's env.")
    var env: String?

    @Option(help: "Episodes (trials for reaching). Default: the paper's count for the environment.")
    var episodes: Int?

    @Option(help: "Seed of the environment, the noise and the action sampling.")
    var seed: UInt64 = 42

    @Option(name: .customLong("init-seed"), help: "Seed of the initial weights (default: --seed; the authors' code uses 42 in every run).")
    var initSeed: UInt64?

    @Option(help: "Units per hidden layer. Default: the paper's width for the environment.")
    var hidden: Int?

    @Option(help: "Hidden layers.")
    var layers: Int?

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Rule parameter, e.g. --set lr=0.01 --set scaling=fan_out; environment parameter with env., e.g. --set env.sutton_barto_reward=true.", valueName: "key=value"))
    var settings: [String] = []

    @OptionGroup var scriptLimits: ScriptLimitOptions

    var limits: ScriptLimits { scriptLimits.limits }

    /// The builtin rules and environments, environment scripts and, if `rule` is a script, that
    /// script's rule; and the resolved run spec.
    func resolve(rule: String, watch: Bool = false, fallbackEnvironment: String? = nil,
                 onEvent: (@Sendable (ScriptEvent) -> Void)? = nil) throws -> (Plugins, RunSpec) {
        var plugins = BuiltinRules.plugins()
        plugins.addScriptEnvironments(limits: limits)
        plugins.addBridgeEnvironments(limits: limits)
        var environment = env
        var ruleName = rule
        if rule.hasSuffix(".lua") {
            let options = ScriptRuleOptions(limits: limits, watch: watch,
                                            explicitParameters: RunRequest(rule: rule, environment: "", settings: settings).explicitKeys,
                                            onEvent: onEvent)
            let descriptor = try ScriptRules.descriptor(path: rule, options: options)
            plugins.rules.register(descriptor)
            ruleName = descriptor.name
            environment = environment ?? descriptor.defaultEnvironment
        } else if plugins.rules.descriptor(named: rule) == nil {
            if FileManager.default.fileExists(atPath: rule) { throw UsageError("'\(rule)' is a file but not a .lua script") }
            _ = try plugins.rules.descriptor(rule)  // "unknown rule 'x'; known rules: …"
        }
        guard let environment = environment ?? fallbackEnvironment else {
            throw UsageError("--env is needed (the rule does not declare one); environments: \(plugins.environments.knownNames)")
        }
        let spec = try RunRequest(rule: ruleName, environment: environment, episodes: episodes, seed: seed, initSeed: initSeed,
                                  hidden: hidden, layers: layers, settings: settings, limits: limits).resolve(in: plugins)
        return (plugins, spec)
    }
}

/// The limits on scripts, shared by every command that runs them.
struct ScriptLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-instructions"), help: "Scripts: Lua instructions allowed in one call (act, learn, step, …).")
    var maxInstructions: Int = ScriptLimits.standard.instructionsPerCall

    @Option(name: .customLong("max-memory"), help: "Scripts: megabytes of Lua memory each script may hold.")
    var maxMemory: Int = ScriptLimits.standard.memoryBytes >> 20

    @Option(name: .customLong("max-seconds"), help: "Scripts: wall-clock seconds allowed in one call.")
    var maxSeconds: Double = ScriptLimits.standard.secondsPerCall

    func validate() throws {
        guard maxInstructions >= 0 else { throw ValidationError("--max-instructions must be ≥ 0 (0: no limit)") }
        guard maxMemory >= 0 && maxMemory <= Int.max >> 20 else { throw ValidationError("--max-memory must be ≥ 0 (0: no limit), in megabytes") }
        guard maxSeconds >= 0 else { throw ValidationError("--max-seconds must be ≥ 0 (0: no limit)") }
    }

    var limits: ScriptLimits {
        ScriptLimits(instructionsPerCall: maxInstructions, memoryBytes: maxMemory << 20, secondsPerCall: maxSeconds)
    }
}

import NRLCore
import LuaBridge
import Foundation

/// What the report measures with `RuleAlignment`: how many episodes, how big a batch.
public struct RuleAlignmentSettings: Sendable {
    /// At most this many training episodes per measurement (the run's own count when smaller);
    /// checkpoints at 0, ¼, ½, ¾ and all of it.
    public var episodes = 1_000
    /// Episodes per checkpoint (10 leaves NRL's cosine on CartPole swinging by ±0.3 from one checkpoint
    /// to the next; 50 costs a few tenths of a second there).
    public var batch = 50
    public var jobs = ProcessInfo.processInfo.activeProcessorCount

    public init(episodes: Int = 1_000, batch: Int = 50) {
        self.episodes = episodes
        self.batch = batch
    }
}

/// One distinct rule spec × environment × shape of a store, measured (or why it could not be).
public struct RuleAlignmentRow: Sendable {
    public var label: String
    public var environment: String
    /// "1x64"
    public var shape: String
    /// The seed of the run measured (the lowest of its seeds).
    public var seed: Int
    public var result: RuleAlignmentResult?
    /// Why there is no result: a script that no longer exists, one that fails, a run that diverged.
    public var problem: String?
}

/// The report's rule-alignment section.
public struct RuleAlignmentSection: Sendable {
    public var settings: RuleAlignmentSettings
    public var rows: [RuleAlignmentRow]
    public var seconds: Double

    public var explanation: String {
        "How gradient-like each rule of the store is during training: for each distinct rule spec, environment and shape, its first seed is trained for at most \(ReportFormat.integer(settings.episodes)) episodes (the run's own count when smaller). "
            + "At 0, ¼, ½, ¾ and all of that budget the weights W_c are frozen and \(settings.batch) episodes are played with the rule learning, the weights put back to W_c after every update; "
            + "the cosine compares the rule's summed update with BP's exact REINFORCE update at W_c on the same episodes (the observations, actions and reward prediction errors the rule had): "
            + "Σ δ Σ_t ∇log π(a_t|s_t). BP gives 1; a rule whose update is unrelated to the gradient gives about 0. "
            + "The rule's own state (traces, optimiser moments), the reward average and the random streams carry on through the batches, so training after the first checkpoint is a real run of the rule but not bit-identical to the stored one."
    }

    /// The table and its explanation as Markdown (the report's "Rule alignment" subsection).
    public var markdown: String {
        guard !rows.isEmpty else { return "### How gradient-like is each rule?\n\nThe store holds no runs to measure.\n\n" }
        return "### How gradient-like is each rule?\n\n" + explanation + "\n\n" + ReportTables.markdown(ReportTables.ruleAlignment(self))
            + String(format: "\nMeasured in %.1f s.\n\n", seconds)
    }
}

extension RuleAlignment {
    /// Measures every distinct (label, spec without its seeds, environment, shape) of `runs`, on its
    /// first seed, in parallel. `plugins`: the builtin rules and environments with script
    /// environments; script rules are loaded from each spec's `script`. Never throws for one rule:
    /// a failure becomes that row's `problem`.
    /// `storedScript`: the text a store kept for a script hash, so that a script edited or deleted since
    /// the run is measured as it ran.
    public static func measure(runs: [StoredRun], plugins: Plugins, settings: RuleAlignmentSettings,
                               storedScript: @escaping @Sendable (String) -> String? = { _ in nil }) -> RuleAlignmentSection {
        let start = Date()
        let targets = distinct(runs)
        let rows = (try? WorkerPool.map(count: targets.count, jobs: settings.jobs) { i in
            measure(targets[i], plugins: plugins, settings: settings, storedScript: storedScript)
        }) ?? []
        return RuleAlignmentSection(settings: settings, rows: rows, seconds: Date().timeIntervalSince(start))
    }

    /// The first run (lowest seed) of each distinct spec, in the store's order of first appearance.
    static func distinct(_ runs: [StoredRun]) -> [StoredRun] {
        var order: [String] = [], first: [String: StoredRun] = [:]
        for run in runs {
            let key = identity(run)
            if let seen = first[key] {
                if run.seed < seen.seed { first[key] = run }
            } else {
                order.append(key)
                first[key] = run
            }
        }
        return order.map { first[$0]! }
    }

    /// The run's label and spec with what varies between seeds (and the version) blanked.
    private static func identity(_ run: StoredRun) -> String {
        guard var spec = try? JSONDecoder().decode(RunSpec.self, from: Data(run.specJSON.utf8)) else {
            return "\(run.label)\u{1}\(run.specJSON)"
        }
        spec.seed = 0
        spec.initSeed = 0
        spec.episodes = 0
        spec.version = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? run.specJSON
        return "\(run.label)\u{1}\(text)"
    }

    private static func measure(_ run: StoredRun, plugins host: Plugins, settings: RuleAlignmentSettings,
                                storedScript: (String) -> String?) -> RuleAlignmentRow {
        var row = RuleAlignmentRow(label: run.label, environment: run.environment, shape: run.shape, seed: run.seed)
        do {
            let spec: RunSpec
            do { spec = try JSONDecoder().decode(RunSpec.self, from: Data(run.specJSON.utf8)) } catch {
                throw UsageError("the stored spec cannot be read: \(error)")
            }
            var plugins = host
            if let script = spec.script {
                let descriptor: RuleDescriptor
                if let hash = spec.ruleScriptHash, let text = storedScript(hash) {
                    descriptor = try ScriptRules.descriptor(path: script, text: Data(text.utf8), options: ScriptRuleOptions(limits: spec.limits))
                } else {
                    guard FileManager.default.fileExists(atPath: script) else {
                        throw UsageError("the rule script \(script) no longer exists")
                    }
                    descriptor = try ScriptRules.descriptor(path: script, options: ScriptRuleOptions(limits: spec.limits))
                }
                let missing = descriptor.parameters.map(\.name).filter { spec.parameters[$0] == nil }
                guard descriptor.name == spec.rule, missing.isEmpty else {
                    throw UsageError("\(script) changed since the run: "
                                     + (descriptor.name != spec.rule ? "it now declares the rule '\(descriptor.name)', not '\(spec.rule)'"
                                        : "new parameters \(missing.joined(separator: ", "))"))
                }
                plugins.rules.register(descriptor)
            }
            let budget = max(0, min(spec.episodes, settings.episodes))
            row.result = try LuaCalls.withOwner(run.key) {
                try measure(spec: spec, plugins: plugins, label: run.label, checkpoints: quarterCheckpoints(of: budget),
                            batch: settings.batch)
            }
        } catch {
            row.problem = ScriptText.capped("\(error)")
        }
        return row
    }
}

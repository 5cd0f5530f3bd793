import ArgumentParser
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "How gradient-like is a rule? The cosine between its update and BP's exact policy gradient, at checkpoints of a run.",
        discussion: """
        Trains the rule as `nrlhost run` would; at each checkpoint (episodes trained) it freezes the weights W_c, plays --batch episodes with the rule learning (the weights put back to W_c after every update) and compares the rule's summed update with BP's exact REINFORCE update at W_c on the same episodes: the same observations, actions and reward prediction errors. BP itself gives 1. The rule's own state and the reward average carry on through the batches. Examples:
          nrlhost diagnose nrl --env cartpole
          nrlhost diagnose scripts/research/nrl_adam.lua --env cartpole --checkpoints 0,200,400 --batch 20
        """
    )

    @Argument(help: "The rule: a builtin name (nrl, bp, … see `nrlhost rules`) or a Lua rule script.")
    var rule: String

    @OptionGroup var options: RunOptions

    @Option(help: "Comma-separated episode counts at which to measure (default: 0, ¼, ½, ¾ and all of the episodes; the episodes default to the run's count, at most \(RuleAlignmentSettings().episodes)).")
    var checkpoints: String?

    @Option(help: "Episodes per measurement.")
    var batch: Int = RuleAlignmentSettings().batch

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        _ = try parsedCheckpoints()
    }

    private func parsedCheckpoints() throws -> [Int]? {
        guard let checkpoints else { return nil }
        let parts = checkpoints.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--checkpoints takes episode counts ≥ 0 separated by commas, e.g. 0,250,500; got '\(checkpoints)'")
        }
        return values
    }

    func run() throws {
        let (plugins, spec) = try options.resolve(rule: rule)
        let points = try parsedCheckpoints()
            ?? RuleAlignment.quarterCheckpoints(of: options.episodes ?? min(spec.episodes, RuleAlignmentSettings().episodes))
        print(ScriptText.oneLine("\(spec.rule) on \(spec.environment), seed \(spec.seed): checkpoints "
              + points.sorted().map(String.init).joined(separator: ", ") + ", \(batch) episodes each"))
        let result = try RuleAlignment.measure(spec: spec, plugins: plugins, checkpoints: points, batch: batch)
        print("cosine between the rule's update and BP's exact update at the same weights, on the same episodes (\(result.shape))\n")
        print(ReportTables.text(ReportTables.ruleAlignmentCheckpoints(result)))
        print(String(format: "(measured in %.1f s)", result.seconds))
    }
}

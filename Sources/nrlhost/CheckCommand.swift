import ArgumentParser
import Foundation
import BuiltinRules
import NRLCore
import LuaBridge
import NRLTools

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a rule or environment script without a full run.",
        discussion: "Loads the script, validates its declaration and hooks, and runs a few dry steps (two episodes of a rule; 200 random steps of an environment). Problems are reported with file:line; the exit code is 1 if there is one."
    )

    @Argument(help: "A rule script or an environment script (.lua).")
    var script: String

    @OptionGroup var options: RunOptions

    func run() throws {
        switch try ScriptKind.of(path: script, limits: options.limits) {
        case .rule: try checkRule()
        case .env: try checkEnvironment()
        case .experiment: try checkExperiment()
        case .assignment: print(try Assignment.load(path: script).checkSummary)
        }
    }

    private func checkRule() throws {
        var dry = options
        dry.episodes = options.episodes ?? 2
        let (plugins, spec) = try dry.resolve(rule: script, fallbackEnvironment: "cartpole")
        let session = try Session(spec: spec, plugins: plugins)
        var steps = 0
        let summary = try Trainer(session: session).run { steps += $0.length }
        let parameters = spec.parameters.values.keys.sorted().map { "\($0)=\(spec.parameters[$0]!)" }.joined(separator: " ")
        print("ok: \(script) declares rule '\(spec.rule)' (\(parameters))")
        print("    ran \(summary.episodesCompleted) dry episodes on \(spec.environment) (\(session.network.shape)), \(steps) steps, learning \(session.learnsEveryStep ? "every step" : "once per episode")")
    }

    private func checkExperiment() throws {
        let experiment = try Experiment.load(path: script, plugins: BuiltinRules.plugins(), limits: options.limits)
        let groups = Dictionary(grouping: experiment.runs, by: \.group)
        print("ok: \(script) declares experiment '\(experiment.name)': \(experiment.runs.count) runs")
        for (name, runs) in groups.sorted(by: { $0.key < $1.key }) {
            let labels = Set(runs.map(\.label)).sorted().joined(separator: ", ")
            let envs = Set(runs.map(\.spec.environment)).sorted().joined(separator: ", ")
            print("    \(name): \(runs.count) runs — \(labels) on \(envs)")
        }
    }

    private func checkEnvironment() throws {
        let registration = try ScriptEnvironment.provider(limits: options.limits).registration(script)
        var settings: [(key: String, text: String)] = []
        for setting in options.settings {
            guard let eq = setting.firstIndex(of: "="), setting.hasPrefix(RunRequest.environmentPrefix) else {
                throw UsageError("checking an environment takes --set env.KEY=VALUE (its own parameters), got '\(setting)'")
            }
            settings.append((String(setting[setting.index(setting.startIndex, offsetBy: RunRequest.environmentPrefix.count)..<eq]).trimmingCharacters(in: .whitespaces),
                             String(setting[setting.index(after: eq)...]).trimmingCharacters(in: .whitespaces)))
        }
        let parameters = try registration.resolve(settings: settings)
        let env = try registration.make(RandomStream.environment.generator(seed: options.seed), parameters: parameters)
        let info = env.info
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: info.observationSize)
        defer { observation.deallocate() }
        var random = RandomStream.actions.generator(seed: options.seed)
        try env.reset(observation: observation)
        var episodes = 0, total = 0.0
        for _ in 0..<200 {
            let outcome = try env.step(Int(random.next() % UInt64(info.actionCount)), observation: observation)
            total += outcome.reward
            if info.continuing ? outcome.trialEnded : (outcome.terminated || outcome.truncated) {
                episodes += 1
                if !info.continuing { try env.reset(observation: observation) }
            }
        }
        print("ok: \(script) declares env '\(info.name)': \(info.observationSize) observations, \(info.actionCount) actions, \(info.rewardTiming.rawValue) reward\(info.maxEpisodeSteps.map { ", at most \($0) step\($0 == 1 ? "" : "s") per episode" } ?? "")")
        if !parameters.values.isEmpty {
            print("    params: " + parameters.values.keys.sorted().map { "\($0)=\(parameters[$0]!)" }.joined(separator: " "))
        }
        print("    200 random steps: \(episodes) episodes ended, total reward \(total)")
    }
}

import ArgumentParser
import BuiltinRules
import Foundation
import Host

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train one network with one rule on one environment.",
        discussion: """
        Defaults come from the paper's Table 2 for the rule and environment (learning rate, noise, width, episodes); every one can be overridden. Example:
          nrlhost run --rule nrl --env cartpole --seed 1 --out runs/nrl-cartpole-1
        """
    )

    @Option(help: "Rule name (see `nrlhost rules`).")
    var rule: String

    @Option(help: "Environment name (see `nrlhost envs`).")
    var env: String

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

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Rule parameter, e.g. --set lr=0.01 --set scaling=fan_out.", valueName: "key=value"))
    var settings: [String] = []

    @Option(help: "Folder for episodes.csv (return and length per episode) and run.json (the full spec and outcome).")
    var out: String?

    func run() throws {
        let registry = BuiltinRules.registry()
        let spec: RunSpec
        let session: Session
        do {
            spec = try RunRequest(rule: rule, environment: env, episodes: episodes, seed: seed, initSeed: initSeed,
                                  hidden: hidden, layers: layers, settings: settings).resolve(in: registry)
            session = try Session(spec: spec, registry: registry)
        } catch let e as UsageError {
            throw ValidationError(e.description)
        }
        let directory = try out.map { path -> RunDirectory in
            do { return try RunDirectory(url: URL(fileURLWithPath: path), spec: spec) } catch let e as UsageError {
                throw ValidationError(e.description)
            }
        }
        let shape = session.network.shape.description
        let parameters = spec.parameters.values.keys.sorted().map { "\($0)=\(spec.parameters[$0]!)" }.joined(separator: " ")
        print("\(spec.rule) on \(spec.environment) (\(shape)), seed \(spec.seed), init seed \(spec.initSeed), \(spec.episodes) episodes, \(parameters)")

        Interruption.install()
        let trainer = Trainer(session: session)
        trainer.shouldStop = { Interruption.isRequested }
        let progress = ProgressDisplay(total: spec.episodes, label: "\(spec.rule)/\(spec.environment)")
        var recent = RecentReturns(capacity: 50)
        var completed = 0, steps = 0
        let start = Date()
        func outcome(_ status: String, _ message: String?, _ summary: TrainingSummary?) -> RunDirectory.Outcome {
            RunDirectory.Outcome(status: status, message: message, episodesCompleted: completed, steps: steps,
                                 seconds: summary?.seconds ?? Date().timeIntervalSince(start), finalPerformance: recent.mean)
        }
        do {
            let summary = try trainer.run { record in
                directory?.append(record)
                progress.update(record)
                recent.add(record.totalReward)
                completed = record.episode
                steps += record.length
            }
            progress.finish()
            try directory?.finish(outcome(summary.interrupted ? "interrupted" : "completed", nil, summary))
            report(summary: summary, directory: directory)
            if summary.interrupted {
                printError("interrupted after \(completed) of \(spec.episodes) episodes; results so far are saved")
                throw ExitCode(130)
            }
        } catch let e as TrainingError {
            progress.finish()
            try directory?.finish(outcome("failed", e.description, nil))
            printError(e.description + (directory.map { "; episodes 1–\(completed) are in \($0.url.path)" } ?? ""))
            throw ExitCode(1)
        }
    }

    private func report(summary: TrainingSummary, directory: RunDirectory?) {
        let rate = Double(summary.steps) / max(summary.seconds, 1e-9)
        print(String(format: "%d episodes, %d steps in %@ (%.0f steps/s, %.0f ns/step)",
                     summary.episodesCompleted, summary.steps, ProgressDisplay.duration(summary.seconds), rate,
                     summary.seconds * 1e9 / Double(max(summary.steps, 1))))
        if let final = summary.finalPerformance {
            print(String(format: "final performance (mean return of the last %d episodes): %.2f", min(50, summary.episodesCompleted), final))
        }
        if let directory { print("results: \(directory.url.path)") }
    }
}

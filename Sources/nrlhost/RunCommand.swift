import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train one network with one rule on one environment.",
        discussion: """
        Defaults come from the paper's Table 2 for the rule and environment (learning rate, noise, width, episodes); every one can be overridden. Example:
          nrlhost run --rule nrl --env cartpole --seed 1 --out runs/nrl-cartpole-1
        """
    )

    @Argument(help: "The rule: a builtin name (nrl, bp, … see `nrlhost rules`) or a Lua rule script (scripts/nrl.lua).")
    var ruleArgument: String?

    @Option(name: .customLong("rule"), help: "The rule, as an option (same as the argument).")
    var ruleOption: String?

    @OptionGroup var options: RunOptions

    @Flag(help: "Reload the rule script when its file changes (at the next episode boundary).")
    var watch = false

    @Option(help: ArgumentHelp("Train several seeds, e.g. --seeds 1-16 or 1,5,9: one run per seed, each written to OUT/seed-N (needs --out); --init-seed, if given, is shared by all.", valueName: "seeds"))
    var seeds: String?

    @Option(help: "With --seeds: 'lanes' trains runs of native NRL, BP, RMHL or NP on CartPole, Acrobot or Reaching several at once in SIMD lanes (NRLHOST_LANES=16|8|4|1 forces the width); 'scalar' trains each alone. Both give the same results.")
    var engine: String = TrainingEngine.lanes.rawValue

    @Option(help: "Folder for episodes.csv (return and length per episode), metrics.csv (what the script logged) and run.json (the full spec and outcome).")
    var out: String?

    func run() throws {
        guard let rule = ruleArgument ?? ruleOption else {
            throw ValidationError("name a rule: nrlhost run scripts/nrl.lua, or nrlhost run --rule nrl --env cartpole")
        }
        if let seeds { return try runSeeds(seeds, rule: rule) }
        let events = ScriptEventDisplay()
        // Reloads are shown and recorded in run.json (the folder is made once the spec is known).
        let record = Locked<RunDirectory?>(nil)
        let (plugins, spec) = try options.resolve(rule: rule, watch: watch, onEvent: { event in
            events.handle(event)
            let (reload, reverted): (ScriptReload, Bool)
            switch event {
            case .reloaded(let r): (reload, reverted) = (r, false)
            case .reverted(let r): (reload, reverted) = (r, true)
            case .reloadFailed: return
            }
            guard let directory = record.withValue({ $0 }) else { return }
            do { try directory.recordReload(reload, reverted: reverted) } catch { printError("cannot record the reload: \(error)") }
        })
        let session = try Session(spec: spec, plugins: plugins)
        let directory = try out.map { try RunDirectory(url: URL(fileURLWithPath: $0), spec: spec, scripts: try plugins.sources(of: spec)) }
        record.withValue { $0 = directory }
        let shape = session.network.shape.description
        let parameters = spec.parameters.values.keys.sorted().map { "\($0)=\(spec.parameters[$0]!)" }.joined(separator: " ")
        print(ScriptText.oneLine("\(spec.rule) on \(spec.environment) (\(shape)), seed \(spec.seed), init seed \(spec.initSeed), \(spec.episodes) episodes"
              + (parameters.isEmpty ? "" : ", \(parameters)")))
        if watch && spec.script == nil { printError("--watch reloads rule scripts; '\(spec.rule)' is a builtin rule, so there is nothing to watch") }

        Interruption.install()
        let trainer = Trainer(session: session)
        trainer.shouldStop = { Interruption.isRequested }
        let progress = ProgressDisplay(total: spec.episodes, label: ScriptText.oneLine("\(spec.rule)/\(session.environment.info.name)"))
        events.progress = progress
        // Read by the stuck-call guard on the watchdog thread too, hence the lock.
        let tally = Locked(RunTally())
        let start = Date()
        @Sendable func outcome(_ status: String, _ message: String?, _ summary: TrainingSummary?) -> RunDirectory.Outcome {
            tally.withValue { t in
                RunDirectory.Outcome(status: status, message: message, episodesCompleted: t.completed, steps: t.steps,
                                     seconds: summary?.seconds ?? Date().timeIntervalSince(start), finalPerformance: t.recent.mean)
            }
        }
        StuckCallGuard.onStuck { call in  // then the guard prints the message and ends the process
            try? directory?.finish(outcome("failed", call.message, nil))
        }
        do {
            let summary = try trainer.run { record in
                directory?.append(record)
                progress.update(record)
                tally.withValue { t in
                    t.recent.add(record.totalReward)
                    t.completed = record.episode
                    t.steps += record.length
                }
            }
            progress.finish()
            try directory?.finish(outcome(summary.interrupted ? "interrupted" : "completed", nil, summary))
            report(summary: summary, directory: directory)
            if summary.interrupted {
                throw CommandFailure("interrupted after \(summary.episodesCompleted) of \(spec.episodes) episodes; results so far are saved",
                                     exitCode: ExitStatus.interrupted)
            }
        } catch let e as TrainingError {
            try fail(e.description)
        } catch let e as ScriptError {
            try fail(e.description)
        } catch let e as BridgeError {
            try fail(e.description)
        }
        func fail(_ message: String) throws -> Never {
            progress.finish()
            var message = message
            // The run's own failure is the message; a record that cannot be written is added to it.
            do { try directory?.finish(outcome("failed", message, nil)) } catch { message += "\n  (and \(error))" }
            let kept: String
            switch (tally.withValue { $0.completed }, directory) {
            case (0, _): kept = "no episode had finished"
            case (let n, let d?): kept = (n == 1 ? "episode 1 is" : "episodes 1–\(n) are") + " saved in \(d.url.path)"
            case (let n, nil): kept = (n == 1 ? "episode 1 had" : "episodes 1–\(n) had") + " finished; --out DIR keeps results on disk"
            }
            throw CommandFailure(message + "\n  (\(kept))")
        }
    }

    /// What has finished so far.
    private struct RunTally {
        var recent = RecentReturns(capacity: 50)
        var completed = 0
        var steps = 0
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

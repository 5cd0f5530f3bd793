import ArgumentParser
import Foundation
import NRLCore
import NRLTools

/// `nrlhost run … --seeds 1-16 --out DIR`: one run per seed, each in DIR/seed-N as a single run writes it.
/// Runs the lanes engine supports train several at once in SIMD lanes (`--engine lanes`, the default),
/// with the very numbers each would give alone; other runs train one per core.
extension RunCommand {
    /// "3-7" → 3…7; "1,5,9" → those; both may mix: "1-4,10".
    static func parseSeeds(_ text: String) throws -> [UInt64] {
        var seeds: [UInt64] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let n = UInt64(bounds[0].trimmingCharacters(in: .whitespaces)) {
                seeds.append(n)
            } else if bounds.count == 2, let a = UInt64(bounds[0].trimmingCharacters(in: .whitespaces)),
                      let b = UInt64(bounds[1].trimmingCharacters(in: .whitespaces)), a <= b, b - a < 100_000 {
                seeds += Array(a...b)
            } else {
                throw ValidationError("--seeds takes seeds and ranges, e.g. 1-16 or 1,5,9; got '\(text)'")
            }
        }
        guard !seeds.isEmpty, Set(seeds).count == seeds.count else {
            throw ValidationError("--seeds needs distinct seeds, e.g. 1-16; got '\(text)'")
        }
        return seeds
    }

    func runSeeds(_ text: String, rule: String) throws {
        let seeds = try Self.parseSeeds(text)
        guard let out else { throw ValidationError("--seeds writes one folder per seed: give --out DIR") }
        guard !watch else { throw ValidationError("--watch follows one run; use it without --seeds") }
        guard let engine = TrainingEngine(rawValue: engine) else {
            throw ValidationError("--engine takes \(TrainingEngine.allCases.map(\.rawValue).joined(separator: " or ")), got '\(self.engine)'")
        }
        let (plugins, template) = try options.resolve(rule: rule)
        let specs = seeds.map { seed -> RunSpec in
            var spec = template
            spec.seed = seed
            spec.initSeed = options.initSeed ?? seed
            return spec
        }
        // Lanes take the settings all at once: they are checked as a single run checks them, before any folder is written.
        if LaneSupport.supports(template) { _ = try Session(spec: template, plugins: plugins) }
        let directories = try specs.map { spec in
            try RunDirectory(url: URL(fileURLWithPath: out).appendingPathComponent("seed-\(spec.seed)"), spec: spec,
                             scripts: try plugins.sources(of: spec))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let widest = specs.allSatisfy(LaneSupport.pays) ? engine.laneWidth : 1
        // Fewer seeds than 16 per core: 8-lane engines keep every core busy (and idle fewer lanes).
        let lanes = widest == 16 && specs.count < 16 * cores ? 8 : widest
        let engines = max(1, min(cores, (specs.count + lanes - 1) / lanes))
        // A few seeds on several cores end sooner alone, one per core, than in one engine on one core
        // (unless NRLHOST_LANES forces the width).
        let inLanes = LaneWidthChoice.laneStepCost * Double(lanes) * Double((specs.count + engines * lanes - 1) / (engines * lanes))
        let alone = lanes > 1 && !LaneWidthChoice.isForced
            && LaneWidthChoice.makespan(Array(repeating: 1, count: specs.count), workers: cores) <= inLanes
        let width = alone ? 1 : lanes
        let threads = alone ? min(cores, specs.count) : engines
        print(ScriptText.oneLine("\(template.rule) on \(template.environment), \(specs.count) seeds (\(text)), \(template.episodes) episodes each, "
              + (width > 1 ? "\(width) runs per core in SIMD lanes" : "one run per core") + " on \(threads) core\(threads == 1 ? "" : "s")"))

        Interruption.install()
        let start = Date()
        let finished = Locked([Bool](repeating: false, count: specs.count))
        let tallies = Locked([(completed: Int, steps: Int)](repeating: (0, 0), count: specs.count))
        let queue = LaneRunQueue(specs)
        let failure = Locked<Error?>(nil)
        let failedRuns = Locked(0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            do {
                try LaneSweep.train(queue, width: width, plugins: plugins,
                    onEpisode: { r, record in
                        directories[r].append(record)
                        tallies.withValue { $0[r].completed = record.episode; $0[r].steps += record.length }
                    },
                    onFinish: { r, outcome in
                        let message = outcome.error.map { "\($0)" }
                        do {
                            try directories[r].finish(RunDirectory.Outcome(
                                status: message == nil ? "completed" : "failed", message: message,
                                episodesCompleted: outcome.episodesCompleted, steps: outcome.steps,
                                seconds: Date().timeIntervalSince(start), finalPerformance: outcome.finalPerformance))
                        } catch {
                            _ = failure.exchange(error)
                        }
                        finished.withValue { $0[r] = true }
                        if message != nil { failedRuns.withValue { $0 += 1 } }
                        let result = message.map { "failed: \($0)" }
                            ?? outcome.finalPerformance.map { String(format: "final performance %.2f", $0) } ?? ""
                        print(ScriptText.oneLine("seed \(specs[r].seed): \(outcome.episodesCompleted) episodes, \(result)"))
                    },
                    shouldStop: { Interruption.isRequested })
            } catch {
                _ = failure.exchange(error)
            }
        }
        // Runs cut short by Ctrl-C keep their episodes, marked interrupted.
        let unfinished = finished.withValue { f in f.indices.filter { !f[$0] } }
        for r in unfinished {
            let t = tallies.withValue { $0[r] }
            try? directories[r].finish(RunDirectory.Outcome(status: "interrupted", message: nil, episodesCompleted: t.completed,
                                                            steps: t.steps, seconds: Date().timeIntervalSince(start), finalPerformance: nil))
        }
        if let error = failure.exchange(nil) { throw CommandFailure("\(error)") }
        print("results: \(out)/seed-N for each seed, in \(ProgressDisplay.duration(Date().timeIntervalSince(start)))")
        if !unfinished.isEmpty {
            throw CommandFailure("interrupted with \(unfinished.count) of \(specs.count) runs unfinished; finished episodes are saved",
                                 exitCode: ExitStatus.interrupted)
        }
        let failed = failedRuns.withValue { $0 }
        if failed > 0 { throw CommandFailure("\(failed) of \(specs.count) runs failed (see above and run.json of each)") }
    }
}

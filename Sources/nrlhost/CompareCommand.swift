import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run an experiment — rules × environments × network shapes × seeds — on all cores into a results store.",
        discussion: """
        Each run is exactly what `nrlhost run` gives for the same spec. Finished runs are kept in the store (SQLite); running the same command again after an interruption or a crash completes only the missing runs. A run's identity is its content (every parameter, the scripts' text, the numerics version): after an edit, exactly the changed runs run again, and the command says why; the old rows stay in the store, marked superseded. `--shard K/N` runs a deterministic 1/N of the sweep (for Slurm job arrays or GNU parallel); `nrlhost merge` combines the stores.
        """
    )

    @Argument(help: "An experiment file (scripts/experiments/*.lua).")
    var experiment: String

    @Option(help: "Parallel runs (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "How runs of native NRL, BP, RMHL or NP on CartPole, Acrobot or Reaching that share shape and parameters train: 'lanes' (several seeds at once in SIMD lanes; NRLHOST_LANES=16|8|4|1 forces the width) or 'scalar' (each alone). Both give the same results.")
    var engine: String = TrainingEngine.lanes.rawValue

    @Option(help: "The results store (default: runs/<experiment name>.sqlite).")
    var store: String?

    @Option(help: "Run only shard K of N (1 ≤ K ≤ N), e.g. --shard 2/8.")
    var shard: String?

    @OptionGroup var scriptLimits: ScriptLimitOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard TrainingEngine(rawValue: engine) != nil else {
            throw ValidationError("--engine takes \(TrainingEngine.allCases.map(\.rawValue).joined(separator: " or ")), got '\(engine)'")
        }
        _ = try shardNumbers()
    }

    private func shardNumbers() throws -> (Int, Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, k >= 1, k <= n else {
            throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N, got '\(shard)'")
        }
        return (k, n)
    }

    func run() throws {
        let limits = scriptLimits.limits
        let plan = try Experiment.load(path: experiment, plugins: BuiltinRules.plugins(), limits: limits)
        let runs = try shardNumbers().map { plan.shard($0.0, of: $0.1) } ?? plan.runs
        let storePath = store ?? "runs/\(plan.name).sqlite"
        try? FileManager.default.createDirectory(at: URL(fileURLWithPath: storePath).deletingLastPathComponent(),
                                                 withIntermediateDirectories: true)
        let results = try ResultStore(path: storePath)
        // However the command ends, the .sqlite file alone holds what was done (it is what gets copied
        // back from other machines); a checkpoint that fails leaves it in the log, where sqlite finds it.
        defer { try? results.checkpoint() }
        let specs = Dictionary(runs.map { ($0.key, $0.spec) }, uniquingKeysWith: { a, _ in a })
        let planned = try results.plan(runs.map(\.stored), scripts: plan.sources)
        let todo = planned.todo.map { ($0, specs[$0.key]!) }
        let skipped = runs.count - todo.count
        // Runs whose spec changed are run again; the store keeps the old rows, marked superseded.
        for change in planned.changes {
            print(ScriptText.oneLine("\(change.count) run\(change.count == 1 ? "" : "s") changed since the store was written: \(change.what)"))
        }
        print("experiment '\(ScriptText.oneLine(plan.name))': \(runs.count) runs\(shard.map { " (shard \($0))" } ?? ""), \(skipped) already in \(storePath), \(todo.count) to run on \(min(jobs, max(todo.count, 1))) cores")
        guard !todo.isEmpty else { return }

        Interruption.install()
        let sweep = Sweep(store: results, runs: todo, jobs: jobs, plugins: plan.plugins)
        sweep.engine = TrainingEngine(rawValue: engine)!
        // A run stuck inside a C library function cannot be stopped: it is recorded as failed with
        // the message, the other runs in flight go back to be run next time, and the process ends
        // (exit 1). Running the same command again completes the rest.
        StuckCallGuard.onStuck { call in
            let label = sweep.abandon(stuckRun: call.owner, message: call.message)
            printError("the sweep stops: \(label ?? "a run")'s call is stuck; finished runs are in \(storePath), run the same command again to complete the rest")
        }
        sweep.shouldStop = { Interruption.isRequested }
        let display = SweepDisplay()
        let worker = Thread { [sweep] in
            do { try sweep.run() } catch { display.storeError = error }
            display.finished = true
        }
        worker.start()
        while !display.finished {
            display.show(sweep.progress)
            usleep(100_000)
        }
        display.show(sweep.progress, final: true)
        if let error = display.storeError { throw CommandFailure("the results store failed: \(error)") }
        let final = sweep.progress
        print("\(final.done) runs completed, \(final.failed) failed, in \(ProgressDisplay.duration(final.elapsed)); store: \(storePath)")
        let failures = try results.runs().filter { $0.status == "failed" && runs.map(\.key).contains($0.key) }
        for run in failures.prefix(20) {
            print(ScriptText.oneLine("  failed: \(run.label) on \(run.environment) \(run.shape) seed \(run.seed): \(run.message ?? "?")"))
        }
        if Interruption.isRequested {
            throw CommandFailure("interrupted; finished runs are in \(storePath), run the same command again to complete the rest",
                                 exitCode: ExitStatus.interrupted)
        }
        print("report: nrlhost report \(storePath) --html report.html")
        if final.failed > 0 { throw ExitCode(ExitStatus.failure) }
    }
}

/// The sweep's progress line: on a terminal rewritten in place, when piped a line every 10 s.
final class SweepDisplay: @unchecked Sendable {
    var finished = false
    var storeError: Error?
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var last = Date.distantPast

    func show(_ p: SweepProgress, final: Bool = false) {
        let now = Date()
        guard final || now.timeIntervalSince(last) >= (isTerminal ? 0.5 : 10) else { return }
        last = now
        var line = "runs \(p.done + p.failed)/\(p.total)"
        if p.failed > 0 { line += " (\(p.failed) failed)" }
        if let left = p.secondsLeft { line += ", \(ProgressDisplay.duration(left)) left" }
        if !p.current.isEmpty && !final { line += " — running: " + ScriptText.oneLine(p.current.joined(separator: "; ")) }
        if isTerminal {
            let width = 160
            let shown = line.count > width ? String(line.prefix(width - 1)) + "…" : line
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + shown + (final ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

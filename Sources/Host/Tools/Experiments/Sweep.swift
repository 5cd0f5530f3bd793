import NRLCore
import LuaBridge
import Foundation

/// Where a sweep stands, for the progress display.
public struct SweepProgress: Sendable {
    public var done: Int
    public var failed: Int
    public var total: Int
    /// Labels of the runs in flight ("nrl on cartpole, seed 42").
    public var current: [String]
    public var elapsed: Double
    /// Estimated from the average time of the finished runs.
    public var secondsLeft: Double?
}

/// Runs an experiment's runs on `jobs` threads, each run exactly as `nrlhost run` would, and records
/// each one in the store as it finishes (episodes and status in one transaction).
public final class Sweep: @unchecked Sendable {
    public let store: ResultStore
    public let jobs: Int
    private let runs: [(StoredRun, RunSpec)]
    private let plugins: Plugins
    private let lock = NSLock()
    private var done = 0
    private var failed = 0
    private var current: [Int: String] = [:]
    /// The runs in flight, by worker.
    private var inFlight: [Int: StoredRun] = [:]
    private var runSeconds = 0.0
    private var firstError: Error?
    private let start = Date()
    /// Checked between episodes and between runs; true ends the sweep cleanly (Ctrl-C).
    public var shouldStop: @Sendable () -> Bool = { false }

    /// `runs`: what `ResultStore.prepare` left to do, with their specs.
    public init(store: ResultStore, runs: [(StoredRun, RunSpec)], jobs: Int, plugins: Plugins) {
        self.store = store
        self.runs = runs
        self.jobs = max(1, min(jobs, runs.count))
        self.plugins = plugins
    }

    public var progress: SweepProgress {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(start)
        let finished = done + failed
        let left = finished > 0 ? runSeconds / Double(finished) * Double(runs.count - finished) / Double(jobs) : nil
        return SweepProgress(done: done, failed: failed, total: runs.count, current: current.keys.sorted().map { current[$0]! },
                             elapsed: elapsed, secondsLeft: left)
    }

    /// Runs everything; returns when all workers are done. Throws only for store failures.
    public func run() throws {
        WorkerPool.run(count: runs.count, jobs: jobs, shouldStop: { [self] in stopped }) { [self] worker, index in
            let (stored, spec) = begin(worker, index)
            let began = Date()
            do {
                try store.markRunning(stored.id)
                // The run's Lua states carry its key, so that a call stuck in one names its run.
                guard let result = LuaCalls.withOwner(stored.key, { execute(spec, plugins: plugins) }) else {
                    try store.reset(stored.id)  // interrupted: it will be run again next time
                    finish(worker, outcome: nil, seconds: 0)
                    return
                }
                try store.finish(stored.id, result)
                finish(worker, outcome: result.failure == nil, seconds: Date().timeIntervalSince(began))
            } catch {
                record(error: error)
            }
        }
        if let firstError { throw firstError }
    }

    /// One run, the way `nrlhost run` does it; failures become a failed result with their message;
    /// nil when the sweep was interrupted during the run.
    private func execute(_ spec: RunSpec, plugins: Plugins) -> RunResult? {
        var records: [EpisodeRecord] = []
        records.reserveCapacity(min(spec.episodes, 4096))  // never reserve from a user's number
        var steps = 0
        let began = Date()
        do {
            let session = try Session(spec: spec, plugins: plugins)
            let trainer = Trainer(session: session)
            trainer.shouldStop = shouldStop
            let summary = try trainer.run { records.append($0); steps += $0.length }
            if summary.interrupted { return nil }
            return RunResult(records: records, seconds: summary.seconds, steps: summary.steps, failure: nil)
        } catch {
            return RunResult(records: records, seconds: Date().timeIntervalSince(began), steps: steps, failure: "\(error)")
        }
    }

    /// No more runs start after a store failure or a stop request.
    private var stopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return firstError != nil || shouldStop()
    }

    private func begin(_ worker: Int, _ index: Int) -> (StoredRun, RunSpec) {
        lock.lock()
        defer { lock.unlock() }
        let run = runs[index]
        current[worker] = "\(run.0.label) on \(run.0.environment) \(run.0.shape) seed \(run.0.seed)"
        inFlight[worker] = run.0
        return run
    }

    /// `outcome`: true completed, false failed, nil interrupted.
    private func finish(_ worker: Int, outcome: Bool?, seconds: Double) {
        lock.lock()
        switch outcome {
        case true?: done += 1
        case false?: failed += 1
        case nil: break
        }
        runSeconds += seconds
        current[worker] = nil
        inFlight[worker] = nil
        lock.unlock()
    }

    /// For a process about to end because a call of the run with key `owner` is stuck inside a C
    /// library function (`LuaCalls.onStuckCall`), where nothing can stop it: records that run as
    /// failed with `message` (the episodes it had finished are lost with it) and puts the other runs
    /// in flight back to be run next time. Returns the stuck run's label.
    @discardableResult
    public func abandon(stuckRun owner: String?, message: String) -> String? {
        lock.lock()
        let runs = inFlight
        inFlight = [:]
        lock.unlock()
        var label: String?
        for (_, run) in runs {
            if run.key == owner {
                label = "\(run.label) on \(run.environment) \(run.shape) seed \(run.seed)"
                try? store.finish(run.id, RunResult(records: [], seconds: 0, steps: 0, failure: message))
            } else {
                try? store.reset(run.id)
            }
        }
        return label
    }

    private func record(error: Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
    }
}

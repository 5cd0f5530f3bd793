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
/// each episode in the store as it finishes (the run marked "running"), then the run's outcome.
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
    /// The command line and host each run records.
    public var provenance = RunProvenance()

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
                try store.markRunning(stored.id, provenance: provenance)
                // The run's Lua states carry its key, so that a call stuck in one names its run.
                guard let result = try LuaCalls.withOwner(stored.key, { try execute(spec, plugins: plugins, id: stored.id) }) else {
                    try store.reset(stored.id)  // interrupted: it will be run again next time
                    finish(worker, outcome: nil, seconds: 0)
                    return
                }
                try store.complete(stored.id, seconds: result.seconds, steps: result.steps, failure: result.failure,
                                   finalPerformance: result.finalPerformance)
                finish(worker, outcome: result.failure == nil, seconds: Date().timeIntervalSince(began))
            } catch {
                record(error: error)
            }
        }
        if let firstError { throw firstError }
    }

    /// One run, the way `nrlhost run` does it, each finished episode recorded in the store before
    /// the next starts; failures become a failed result with their message; nil when the sweep was
    /// interrupted during the run. Throws only for store failures.
    private func execute(_ spec: RunSpec, plugins: Plugins, id: Int64) throws -> (seconds: Double, steps: Int, failure: String?,
                                                                                  finalPerformance: Double?)? {
        var recent = RecentReturns(capacity: 50)
        var steps = 0
        var storeFailure: Error?
        let began = Date()
        do {
            let session = try Session(spec: spec, plugins: plugins)
            let trainer = Trainer(session: session)
            trainer.shouldStop = shouldStop
            let summary = try trainer.run { record in
                recent.add(record.totalReward)
                steps += record.length
                do { try store.appendEpisode(id, record) } catch { storeFailure = error; throw error }
            }
            if summary.interrupted { return nil }
            return (summary.seconds, summary.steps, nil, recent.mean)
        } catch {
            if let storeFailure { throw storeFailure }
            return (Date().timeIntervalSince(began), steps, ScriptText.capped("\(error)"), recent.mean)
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

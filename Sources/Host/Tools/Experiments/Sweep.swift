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
    /// Whether runs that share rule, environment, shape and parameters train together in SIMD lanes.
    public var engine = TrainingEngine.lanes

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

    /// What a worker takes: one run trained alone, or one lanes engine pulling runs from a group's queue.
    private enum WorkItem {
        case single(Int)
        case lanes(LaneGroup)
    }

    /// Runs that share one lanes engine of `width` lanes; `runIndices[i]` is the sweep index of the queue's spec i.
    private final class LaneGroup: @unchecked Sendable {
        let queue: LaneRunQueue
        let runIndices: [Int]
        let width: Int
        init(runIndices: [Int], specs: [RunSpec], width: Int) {
            self.runIndices = runIndices
            self.width = width
            queue = LaneRunQueue(specs)
        }
    }

    /// Runs the lanes engine supports, grouped by batch key and cut into engines whose lanes they fill
    /// (`LaneWidthChoice.fill`: an idle lane costs as much as a busy one); what fills no engine, and every
    /// other run, alone. The longest items first, so that the last ones to start are short and no core
    /// waits long for another at the end (an engine's runs share one core; a sweep of a few batches
    /// would otherwise end on one engine's core while the other cores idle). When the runs alone would end
    /// sooner on the sweep's cores (a few batches on many cores), every run trains alone, unless NRLHOST_LANES
    /// forces the width.
    private func workItems() -> [WorkItem] {
        let width = engine.laneWidth
        guard width > 1 else { return runs.indices.map { .single($0) } }
        /// Roughly proportional to a run's time: its most steps times its weights, plus the environment's share.
        func cost(_ index: Int) -> Double {
            let spec = runs[index].1
            let info = EnvironmentRegistry.builtin.info(spec.environment)
            let shape = NetworkShape(inputs: info?.observationSize ?? 4, hidden: spec.hidden, layers: spec.layers,
                                     outputs: info?.actionCount ?? 2)
            return Double(max(1, spec.episodes)) * Double(info?.maxEpisodeSteps ?? 500) * Double(shape.weightCount + 500)
        }
        func cost(_ item: WorkItem) -> Double {
            switch item {
            case .single(let i): return cost(i)
            case .lanes(let group): return LaneWidthChoice.laneStepCost * group.runIndices.reduce(0) { $0 + cost($1) }
            }
        }
        var groups: [String: [Int]] = [:], order: [String] = [], singles: [Int] = []
        for (i, run) in runs.enumerated() {
            guard LaneSupport.pays(run.1) else { singles.append(i); continue }
            let key = LaneSupport.batchKey(run.1)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        var items: [WorkItem] = []
        for key in order {
            let indices = groups[key]!
            let widths = LaneWidthChoice.fill(runs: indices.count, width: width)
            var next = 0
            for w in widths {
                let chunk = Array(indices[next..<(next + w)])
                next += w
                items.append(.lanes(LaneGroup(runIndices: chunk, specs: chunk.map { runs[$0].1 }, width: w)))
            }
            singles += indices[next...]
        }
        items += singles.sorted().map { .single($0) }
        let costs = items.map(cost)
        if !LaneWidthChoice.isForced,
           LaneWidthChoice.makespan(runs.indices.map(cost), workers: jobs) <= LaneWidthChoice.makespan(costs, workers: jobs) {
            return runs.indices.map { .single($0) }
        }
        // Stable: items of equal cost keep the experiment's order.
        return items.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }.map { items[$0] }
    }

    /// Runs everything; returns when all workers are done. Throws only for store failures.
    public func run() throws {
        let items = workItems()
        WorkerPool.run(count: items.count, jobs: jobs, shouldStop: { [self] in stopped }) { [self] worker, item in
            switch items[item] {
            case .single(let index): runAlone(worker, index)
            case .lanes(let group): runInLanes(worker, group)
            }
        }
        if let firstError { throw firstError }
    }

    private func runAlone(_ worker: Int, _ index: Int) {
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

    /// One lanes engine on this worker's thread, training the group's runs as lanes free up; each run's
    /// episodes and outcome go to the store exactly as `runAlone` writes them. Runs in flight when the
    /// sweep stops go back to be run next time. If the engine itself fails (an environment refuses a
    /// setting, say), the runs it has not finished train alone, and fail there with their own messages.
    private func runInLanes(_ worker: Int, _ group: LaneGroup) {
        var started: [Int: Date] = [:]
        var finished: Set<Int> = []
        var engineFailed = false
        var storeFailure: Error?
        let id = { (r: Int) in self.runs[group.runIndices[r]].0.id }
        do {
            try LaneSweep.train(
                group.queue, width: group.width, plugins: plugins,
                onStart: { r in
                    let (stored, _) = begin(worker, group.runIndices[r], lanes: true)
                    started[r] = Date()
                    do { try store.markRunning(stored.id, provenance: provenance) } catch { storeFailure = storeFailure ?? error }
                },
                onEpisode: { r, record in
                    guard storeFailure == nil else { return }
                    do { try store.appendEpisode(id(r), record) } catch { storeFailure = error }
                },
                onFinish: { r, outcome in
                    guard storeFailure == nil, let began = started.removeValue(forKey: r) else { return }
                    let seconds = Date().timeIntervalSince(began)
                    do {
                        try store.complete(id(r), seconds: seconds, steps: outcome.steps,
                                           failure: outcome.error.map { ScriptText.capped("\($0)") },
                                           finalPerformance: outcome.finalPerformance)
                        finishInLanes(outcome: outcome.error == nil, coreSeconds: seconds / Double(group.width))
                        finished.insert(r)
                    } catch {
                        storeFailure = error
                    }
                },
                shouldStop: { [self] in storeFailure != nil || stopped })
        } catch {
            engineFailed = storeFailure == nil
        }
        for r in started.keys { try? store.reset(id(r)) }  // interrupted: run again next time
        finish(worker, outcome: nil, seconds: 0)
        if let storeFailure { return record(error: storeFailure) }
        if engineFailed {
            for r in group.runIndices.indices where !finished.contains(r) && !stopped { runAlone(worker, group.runIndices[r]) }
        }
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

    /// `lanes`: the run joins this worker's lanes engine (no single run in flight to abandon).
    private func begin(_ worker: Int, _ index: Int, lanes: Bool = false) -> (StoredRun, RunSpec) {
        lock.lock()
        defer { lock.unlock() }
        let run = runs[index]
        current[worker] = "\(run.0.label) on \(run.0.environment) \(run.0.shape) seed \(run.0.seed)\(lanes ? " (lanes)" : "")"
        if !lanes { inFlight[worker] = run.0 }
        return run
    }

    /// A run of a lanes engine ended (the engine's worker goes on with others). It had a lane, a share of
    /// its core, for its wall time: the time left is estimated from that share.
    private func finishInLanes(outcome: Bool, coreSeconds: Double) {
        lock.lock()
        if outcome { done += 1 } else { failed += 1 }
        runSeconds += coreSeconds
        lock.unlock()
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

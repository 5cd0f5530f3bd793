import LuaBridge
import NRLCore
import Foundation

/// What grading one submission found: one JSON object per submission, with the same keys every time
/// (absent values are `null`), for a learning-management system.
public struct GradeResult: Codable, Sendable, Equatable {
    public struct Limits: Codable, Sendable, Equatable {
        /// Lua instructions per call (act, learn, …).
        public var instructions: Int
        public var memory_mb: Int
        /// Wall-clock seconds for the whole submission (every run together).
        public var seconds: Double
    }

    /// One training run: one environment, one seed.
    public struct Run: Codable, Sendable, Equatable {
        public var env: String
        public var seed: UInt64
        /// "completed", "error" (the submission failed in it) or "not run".
        public var status: String
        public var episodes: Int
        /// The assignment's metric for this run.
        public var performance: Double?
        /// The mean return of the last 50 episodes.
        public var final_performance: Double?
        public var seconds: Double
        /// Mean return in 10 consecutive blocks of episodes (fewer for short runs).
        public var curve: [Double]

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(env, forKey: .env)
            try c.encode(seed, forKey: .seed)
            try c.encode(status, forKey: .status)
            try c.encode(episodes, forKey: .episodes)
            try c.encode(performance, forKey: .performance)
            try c.encode(final_performance, forKey: .final_performance)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(curve, forKey: .curve)
        }
    }

    /// The score on one environment (the mean over its seeds).
    public struct EnvironmentScore: Codable, Sendable, Equatable {
        public var env: String
        public var performance: Double?
        public var final_performance: Double?
        public var score: Double
        public var passed: Bool
        public var baseline: Double
        public var pass: Double
        public var full: Double

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(env, forKey: .env)
            try c.encode(performance, forKey: .performance)
            try c.encode(final_performance, forKey: .final_performance)
            try c.encode(score, forKey: .score)
            try c.encode(passed, forKey: .passed)
            try c.encode(baseline, forKey: .baseline)
            try c.encode(pass, forKey: .pass)
            try c.encode(full, forKey: .full)
        }
    }

    /// The submission file as given on the command line.
    public var submission: String
    public var assignment: String
    /// "grading" or "practice".
    public var seeds: String
    /// "passed", "failed" (it ran, but scored below the pass mark) or "error" (it broke: a script error,
    /// a limit, a forbidden primitive, an invalid action, NaN weights, a hang or a crash).
    public var status: String
    /// 0…100; 0 on error.
    public var score: Double
    public var passed: Bool
    /// "final" or "auc".
    public var metric: String
    /// The metric, averaged over every run (null on error).
    public var performance: Double?
    /// The mean return of the last 50 episodes, averaged over the runs that finished.
    public var final_performance: Double?
    /// Episodes run, over all runs.
    public var episodes: Int
    /// Wall-clock seconds the submission used.
    public var seconds: Double
    /// The largest Lua memory (heap plus host objects) the rule held at an episode's end, in MB.
    public var peak_memory_mb: Double?
    public var limits: Limits
    public var environments: [EnvironmentScore]
    public var runs: [Run]
    /// Why it failed or broke: "file:line: message" when the line is known.
    public var reason: String?
    /// "file:line" of the offending line, when known.
    public var location: String?
    /// The reason without the location.
    public var message: String?

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(submission, forKey: .submission)
        try c.encode(assignment, forKey: .assignment)
        try c.encode(seeds, forKey: .seeds)
        try c.encode(status, forKey: .status)
        try c.encode(score, forKey: .score)
        try c.encode(passed, forKey: .passed)
        try c.encode(metric, forKey: .metric)
        try c.encode(performance, forKey: .performance)
        try c.encode(final_performance, forKey: .final_performance)
        try c.encode(episodes, forKey: .episodes)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(peak_memory_mb, forKey: .peak_memory_mb)
        try c.encode(limits, forKey: .limits)
        try c.encode(environments, forKey: .environments)
        try c.encode(runs, forKey: .runs)
        try c.encode(reason, forKey: .reason)
        try c.encode(location, forKey: .location)
        try c.encode(message, forKey: .message)
    }

    /// A result for a submission that never reported back (the worker was killed or crashed).
    public static func broken(submission: String, assignment: Assignment, seeds: Assignment.SeedSet, seconds: Double,
                              message: String) -> GradeResult {
        GradeResult(submission: submission, assignment: assignment.name, seeds: seeds.rawValue, status: "error", score: 0,
                    passed: false, metric: assignment.metric.rawValue, performance: nil, final_performance: nil, episodes: 0,
                    seconds: seconds, peak_memory_mb: nil, limits: Limits(assignment), environments: [], runs: [],
                    reason: message, location: nil, message: message)
    }

    /// One compact JSON line.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode(line: String) -> GradeResult? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(GradeResult.self, from: Data(line.utf8))
    }
}

extension GradeResult.Limits {
    public init(_ a: Assignment) {
        self.init(instructions: a.limits.instructionsPerCall, memory_mb: a.limits.memoryBytes >> 20, seconds: a.seconds)
    }
}

/// Trains one submission on an assignment's runs (its environments × the chosen seeds), in this
/// process, each run in a fresh Lua state under the assignment's limits, and scores it.
///
/// The grader runs this in a child process per submission (`nrlhost grade-worker`), which also
/// watches the wall clock; `snapshot` lets that watcher report a submission it has to stop.
public final class SubmissionGrader: @unchecked Sendable {
    public let assignment: Assignment
    public let submission: String
    public let seedSet: Assignment.SeedSet

    private let lock = NSLock()
    private var runs: [GradeResult.Run] = []
    private var peakMemory = 0
    private var current: (env: String, run: Int, episode: Int)?
    private var began: Date?

    /// Told where grading is before each episode starts ("cartpole, run 1 of 2, episode 3"): the
    /// worker keeps it as a breadcrumb to name in its last words if the process crashes.
    public var onProgress: (@Sendable (String) -> Void)?

    public init(assignment: Assignment, submission: String, seeds: Assignment.SeedSet) {
        self.assignment = assignment
        self.submission = submission
        self.seedSet = seeds
    }

    /// Seconds since the first run started (0 before).
    public var elapsed: Double {
        lock.lock()
        defer { lock.unlock() }
        return began.map { Date().timeIntervalSince($0) } ?? 0
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    private var plan: [(env: String, seed: UInt64)] {
        assignment.environments.flatMap { env in assignment.seeds(seedSet).map { (env, $0) } }
    }

    /// Runs everything and scores it. Never throws: what goes wrong is the result's reason.
    public func run() -> GradeResult {
        lock.lock()
        began = Date()
        lock.unlock()
        let plan = self.plan
        let descriptor: RuleDescriptor
        do {
            let options = ScriptRuleOptions(limits: assignment.limits, forbiddenMethods: assignment.forbiddenMethods)
            onProgress?("loading the script")
            descriptor = try ScriptRules.descriptor(path: submission, options: options)
        } catch {
            return failure(error, context: nil)
        }
        for (k, item) in plan.enumerated() {
            let context = plan.count > 1 ? "\(item.env), run \(k + 1) of \(plan.count)" : item.env
            do {
                try train(descriptor, env: item.env, seed: item.seed, index: k)
            } catch {
                return failure(error, context: context)
            }
        }
        return scored()
    }

    private func train(_ descriptor: RuleDescriptor, env: String, seed: UInt64, index: Int) throws {
        var plugins = Plugins()
        plugins.rules.register(descriptor)
        plugins.addScriptEnvironments(limits: assignment.limits)
        plugins.addBridgeEnvironments(limits: assignment.limits)
        let episodes = assignment.episodes[env]!
        let spec = try RunRequest(rule: descriptor.name, environment: env, episodes: episodes, seed: seed, initSeed: assignment.initSeed ?? seed,
                                  hidden: assignment.hidden, layers: assignment.layers, limits: assignment.limits).resolve(in: plugins)
        lock.lock()
        current = (env, index, 0)
        runs.append(GradeResult.Run(env: env, seed: seed, status: "error", episodes: 0, performance: nil,
                                    final_performance: nil, seconds: 0, curve: []))
        lock.unlock()
        let started = Date()
        let place = plan.count > 1 ? "\(env), run \(index + 1) of \(plan.count)" : env
        let onProgress = self.onProgress
        onProgress?("\(place), setup")
        let session = try Session(spec: spec, plugins: plugins)
        let rule = session.rule
        locked { peakMemory = max(peakMemory, ScriptRules.memoryCharged(by: rule) ?? 0) }
        let trainer = Trainer(session: session)
        let budget = assignment.seconds
        onProgress?("\(place), episode 1")
        trainer.shouldStop = { [unowned self] in self.elapsed > budget }
        var returns: [Double] = []
        returns.reserveCapacity(min(episodes, 4096))  // never reserve from a user's number
        let summary = try trainer.run { record in
            returns.append(record.totalReward)
            let memory = ScriptRules.memoryCharged(by: rule) ?? 0
            self.lock.lock()
            self.current?.episode = record.episode
            self.runs[index].episodes = record.episode
            self.peakMemory = max(self.peakMemory, memory)
            self.lock.unlock()
            onProgress?("\(place), episode \(record.episode + 1)")
        }
        if summary.interrupted { throw TimeBudgetExceeded() }
        let last = returns.suffix(50)
        let final = last.reduce(0, +) / Double(max(last.count, 1))
        let mean = returns.reduce(0, +) / Double(max(returns.count, 1))
        lock.lock()
        runs[index].status = "completed"
        runs[index].final_performance = final
        runs[index].performance = assignment.metric == .final ? final : mean
        runs[index].seconds = Date().timeIntervalSince(started)
        runs[index].curve = Self.curve(returns)
        current = nil
        lock.unlock()
    }

    private struct TimeBudgetExceeded: Error {}

    /// Mean return in 10 consecutive blocks.
    static func curve(_ returns: [Double], blocks: Int = 10) -> [Double] {
        let n = min(blocks, returns.count)
        guard n > 0 else { return [] }
        return (0..<n).map { b in
            let lo = b * returns.count / n, hi = (b + 1) * returns.count / n
            return returns[lo..<hi].reduce(0, +) / Double(hi - lo)
        }
    }

    // MARK: Results

    private func base(status: String) -> GradeResult {
        lock.lock()
        defer { lock.unlock() }
        let seconds = began.map { Date().timeIntervalSince($0) } ?? 0
        let finished = runs.filter { $0.status == "completed" }
        let finals = finished.compactMap(\.final_performance)
        var all = runs
        for (env, seed) in plan.dropFirst(runs.count) {
            all.append(GradeResult.Run(env: env, seed: seed, status: "not run", episodes: 0, performance: nil,
                                       final_performance: nil, seconds: 0, curve: []))
        }
        return GradeResult(
            submission: submission, assignment: assignment.name, seeds: seedSet.rawValue, status: status, score: 0, passed: false,
            metric: assignment.metric.rawValue, performance: nil,
            final_performance: finals.isEmpty ? nil : finals.reduce(0, +) / Double(finals.count),
            episodes: runs.reduce(0) { $0 + $1.episodes }, seconds: seconds,
            peak_memory_mb: peakMemory == 0 ? nil : (Double(peakMemory) / 1_048_576 * 100).rounded() / 100,
            limits: GradeResult.Limits(assignment), environments: [], runs: all, reason: nil, location: nil, message: nil)
    }

    private func scored() -> GradeResult {
        var result = base(status: "passed")
        var failures: [String] = []
        for env in assignment.environments {
            let t = assignment.thresholds[env]!
            let mine = result.runs.filter { $0.env == env }
            let values = mine.compactMap(\.performance), finals = mine.compactMap(\.final_performance)
            let performance = values.reduce(0, +) / Double(max(values.count, 1))
            let score = t.score(performance)
            let passed = performance.isFinite && performance >= t.pass
            result.environments.append(GradeResult.EnvironmentScore(
                env: env, performance: performance, final_performance: finals.reduce(0, +) / Double(max(finals.count, 1)),
                score: (score * 10).rounded() / 10, passed: passed, baseline: t.baseline, pass: t.pass, full: t.full))
            if !passed {
                let name = assignment.metric == .final ? "final performance" : "mean return over all episodes (auc)"
                failures.append("\(name) \(Self.number(performance)) is below the pass mark \(Self.number(t.pass))"
                                + (assignment.environments.count > 1 ? " on \(env)" : ""))
            }
        }
        let all = result.runs.compactMap(\.performance)
        result.performance = all.reduce(0, +) / Double(max(all.count, 1))
        result.score = (result.environments.map(\.score).reduce(0, +) / Double(max(result.environments.count, 1)) * 10).rounded() / 10
        result.passed = failures.isEmpty
        result.status = failures.isEmpty ? "passed" : "failed"
        if !failures.isEmpty {
            let text = failures.joined(separator: "; ")
            result.reason = text
            result.message = text
        }
        return result
    }

    static func number(_ x: Double) -> String {
        abs(x) >= 100 ? String(format: "%.1f", x) : abs(x) >= 1 ? String(format: "%.2f", x) : String(format: "%.3f", x)
    }

    /// An error result: the submission broke (`error`) during `context` ("reaching, run 2 of 3").
    private func failure(_ error: Error, context: String?) -> GradeResult {
        var location: String?
        var message: String
        switch error {
        case let e as ScriptError:
            location = e.location
            message = Self.studentMessage(e.message)
            if message.hasPrefix("time limit exceeded"), elapsed >= assignment.seconds {
                message = overBudget
            }
        case is TimeBudgetExceeded:
            message = overBudget
        default:
            message = "\(error)"
        }
        if let context {
            // A TrainingError names its episode itself.
            let episode = error is TrainingError ? nil : locked { current?.episode }
            message += " (\(context)" + (episode.map { ", in episode \($0 + 1)" } ?? "") + ")"
        }
        return errorResult(location: location, message: message)
    }

    private var overBudget: String {
        "time limit exceeded: the submission used more than \(Assignment.format(assignment.seconds)) s (the assignment's wall-clock limit for all runs together)"
    }

    private func errorResult(location: String?, message: String) -> GradeResult {
        let message = ScriptText.capped(message)
        var result = base(status: "error")
        result.location = location
        result.message = message
        result.reason = location.map { "\($0): \(message)" } ?? message
        return result
    }

    /// For the watcher: the submission is stuck in one call that no Lua limit can interrupt (a C
    /// library function such as a pathological string pattern), at `location` if known.
    public func stuckResult(location: String?) -> GradeResult {
        var message = overBudget + "; one call was stuck inside a library function that the instruction budget cannot interrupt (a pathological string pattern?)"
        if let (env, run, episode) = locked({ current }) {
            message += " (\(plan.count > 1 ? "\(env), run \(run + 1) of \(plan.count)" : env), in episode \(episode + 1))"
        }
        return errorResult(location: location, message: message)
    }

    /// For the watcher: the submission did not stop after its time was up.
    public func timeoutResult() -> GradeResult {
        errorResult(location: nil, message: overBudget + "; it did not stop when asked")
    }

    /// The host's messages speak to someone who can change the limits (`--max-memory`); a student
    /// cannot, so that advice goes.
    static func studentMessage(_ message: String) -> String {
        var m = message
        for advice in ["; raise the cap with --max-memory", " Raise the budget with --max-instructions", "; raise it with --max-seconds"] {
            m = m.replacingOccurrences(of: advice, with: "")
        }
        return m
    }
}

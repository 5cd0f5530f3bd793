import NRLCore
import Foundation

/// Per-step cost of environments alone and of training loops: what `nrlhost bench` reports.
public struct BenchmarkResult: Codable, Sendable {
    public var name: String
    public var environment: String
    /// "env" (the environment alone, random actions) or a rule name (the whole training loop).
    public var rule: String
    public var shape: String
    public var steps: Int
    public var seconds: Double
    /// Episodes measured (training loops).
    public var episodes: Int?
    /// ns per step relative to the native path it twins (Lua rules and environments), or, for a lanes
    /// row, relative to the single-run path.
    public var relativeToNative: Double?
    /// Lanes rows: threads that trained at once; `seconds` then counts core-seconds (wall × threads).
    public var threads: Int?
    /// Lanes rows: the wall-clock time.
    public var wallSeconds: Double?
    /// Steps per second of the whole machine (all threads), for lanes rows.
    public var machineStepsPerSecond: Double? { wallSeconds.map { Double(steps) / max($0, 1e-12) } }
    public var nanosecondsPerStep: Double { seconds * 1e9 / Double(max(steps, 1)) }
    public var stepsPerSecond: Double { Double(steps) / max(seconds, 1e-12) }

    enum CodingKeys: String, CodingKey { case name, environment, rule, shape, steps, seconds, episodes, nsPerStep, stepsPerSecond, relativeToNative
        case threads, wallSeconds, machineStepsPerSecond
    }

    public init(name: String, environment: String, rule: String, shape: String, steps: Int, seconds: Double) {
        self.name = name; self.environment = environment; self.rule = rule; self.shape = shape
        self.steps = steps; self.seconds = seconds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        environment = try c.decode(String.self, forKey: .environment)
        rule = try c.decode(String.self, forKey: .rule)
        shape = try c.decode(String.self, forKey: .shape)
        steps = try c.decode(Int.self, forKey: .steps)
        seconds = try c.decode(Double.self, forKey: .seconds)
        episodes = try c.decodeIfPresent(Int.self, forKey: .episodes)
        relativeToNative = try c.decodeIfPresent(Double.self, forKey: .relativeToNative)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        wallSeconds = try c.decodeIfPresent(Double.self, forKey: .wallSeconds)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(environment, forKey: .environment)
        try c.encode(rule, forKey: .rule); try c.encode(shape, forKey: .shape)
        try c.encode(steps, forKey: .steps); try c.encode(seconds, forKey: .seconds)
        try c.encode(nanosecondsPerStep, forKey: .nsPerStep); try c.encode(stepsPerSecond, forKey: .stepsPerSecond)
        try c.encodeIfPresent(episodes, forKey: .episodes); try c.encodeIfPresent(relativeToNative, forKey: .relativeToNative)
        try c.encodeIfPresent(threads, forKey: .threads); try c.encodeIfPresent(wallSeconds, forKey: .wallSeconds)
        try c.encodeIfPresent(machineStepsPerSecond, forKey: .machineStepsPerSecond)
    }
}

public enum Benchmark {
    /// The environment alone: random actions (from a seeded stream, so every measurement of an
    /// environment and of its Lua twin takes the same steps), reset at every episode end. Runs for
    /// `seconds`, or exactly `steps` steps when given.
    public static func environment(_ name: String, plugins: Plugins, seconds: Double, steps fixedSteps: Int? = nil,
                                   label: String? = nil) throws -> BenchmarkResult {
        let env = try plugins.environments.make(name, seed: 1)
        let info = env.info
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: info.observationSize)
        defer { observation.deallocate() }
        var random = RandomStream.actions.generator(seed: 1)
        try env.reset(observation: observation)
        var steps = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let budget = UInt64(seconds * 1e9)
        var sink: Float = 0
        while fixedSteps.map({ steps < $0 }) ?? (DispatchTime.now().uptimeNanoseconds - start < budget) {
            for _ in 0..<min(10_000, fixedSteps.map { $0 - steps } ?? 10_000) {
                let action = Int(random.next() % UInt64(info.actionCount))
                let outcome = try env.step(action, observation: observation)
                sink += observation[0]
                if outcome.terminated || outcome.truncated { try env.reset(observation: observation) }
                steps += 1
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if sink.isNaN { print("", terminator: "") }  // keeps the observation reads alive
        return BenchmarkResult(name: "\(label ?? name) env", environment: name, rule: "env", shape: "-", steps: steps, seconds: elapsed)
    }

    /// The whole training loop (rule.act, env.step, learning) at the paper's settings for `rule` × `environment`,
    /// for `seconds`, or for exactly `episodes` episodes when given (a rule and its bit-identical Lua twin
    /// then take the very same steps).
    public static func training(rule: String, environment: String, plugins: Plugins, seconds: Double,
                                episodes: Int? = nil, label: String? = nil) throws -> BenchmarkResult {
        var spec = try RunRequest(rule: rule, environment: environment, seed: 1).resolve(in: plugins)
        spec.episodes = episodes ?? Int.max / 2
        let session = try Session(spec: spec, plugins: plugins)
        let trainer = Trainer(session: session)
        let start = Date()
        if episodes == nil { trainer.shouldStop = { Date().timeIntervalSince(start) >= seconds } }
        let summary = try trainer.run { _ in }
        var result = BenchmarkResult(name: "\(label ?? rule) on \(environment)", environment: environment, rule: label ?? rule,
                                     shape: session.network.shape.description, steps: summary.steps, seconds: summary.seconds)
        result.episodes = summary.episodesCompleted
        return result
    }
}

extension Benchmark {
    /// Training in SIMD lanes (`LaneSweep`) at the paper's settings with `layers` hidden layers: `width` runs per thread (seeds 1, 2, …)
    /// on `threads` threads for `seconds`. `steps` counts the env steps of finished episodes of all runs;
    /// `seconds` is the CPU time of the process (all threads), so `nanosecondsPerStep` is per core and does
    /// not count time the threads waited for a core another program held; `machineStepsPerSecond` is
    /// steps over wall-clock time.
    /// With `episodes`, the work is fixed instead: 16 runs per thread (seeds 1, 2, …) of `episodes` episodes
    /// each, whatever the width — every width then takes the very same steps.
    public static func lanes(rule: String, environment: String, layers: Int = 1, plugins: Plugins, width: Int, threads: Int,
                             seconds: Double, episodes: Int? = nil) throws -> BenchmarkResult {
        let template = try RunRequest(rule: rule, environment: environment, seed: 1, layers: layers).resolve(in: plugins)
        let info = try plugins.environments.registration(environment).info
        let shape = NetworkShape(inputs: info.observationSize, hidden: template.hidden, layers: template.layers, outputs: info.actionCount)
        let runs = (episodes == nil ? max(1, width) : 16) * threads
        let specs = (0..<runs).map { i -> RunSpec in
            var spec = template
            spec.seed = UInt64(1 + i)
            spec.initSeed = spec.seed
            spec.episodes = episodes ?? Int.max / 2
            return spec
        }
        let steps = Locked(0)
        let cpuStart = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let budget = UInt64(seconds * 1e9)
        try LaneSweep(specs: specs, width: width, threads: threads, plugins: plugins).run(
            onEpisode: { _, record in steps.withValue { $0 += record.length } },
            onFinish: { _, _ in },
            shouldStop: { episodes == nil && DispatchTime.now().uptimeNanoseconds - start >= budget })
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = processCPUSeconds() - cpuStart
        let label = width == 1 ? "scalar" : "\(width) lanes"
        var result = BenchmarkResult(name: "\(rule) on \(environment), \(label) ×\(threads)", environment: environment,
                                     rule: rule, shape: shape.description,
                                     steps: steps.withValue { $0 }, seconds: cpu)
        result.threads = threads
        result.wallSeconds = wall
        return result
    }

    /// A bridged Gymnasium task against Gymnasium itself, in one run: the bridged environment alone
    /// (random actions, one request and one answer per step), Gymnasium's own `step` timed inside
    /// the same worker over the same number of steps (numpy's random actions), `rounds` times each in
    /// turn with the fastest of each kept (this machine's speed drifts by ±20% between seconds), and
    /// nrl's training loop on the bridged task. The bridge's overhead per step is the first minus the second.
    public static func bridge(_ name: String = "gym:CartPole-v1", python: String, plugins: Plugins, seconds: Double, rounds: Int = 1)
        throws -> (environment: BenchmarkResult, python: BenchmarkResult, training: BenchmarkResult) {
        guard let (family, id) = BridgeEnvironments.parse(name) else { throw UsageError("'\(name)' is not gym:ID or neurogym:ID") }
        let env = try BridgeEnvironment(python: python, family: family, id: id, kwargs: [], random: RandomStream.environment.generator(seed: 1), timeout: 0)
        var bridged: BenchmarkResult?, inner: BenchmarkResult?
        for _ in 0..<max(1, rounds) {
            let b = try environment(name, plugins: plugins, seconds: seconds)
            if bridged.map({ b.nanosecondsPerStep < $0.nanosecondsPerStep }) ?? true { bridged = b }
            let own = try env.pythonStepSeconds(steps: b.steps, seed: 1)
            var i = BenchmarkResult(name: "\(name) Gymnasium's own step", environment: name, rule: "python", shape: "-",
                                    steps: b.steps, seconds: own.seconds)
            i.relativeToNative = nil
            if inner.map({ i.nanosecondsPerStep < $0.nanosecondsPerStep }) ?? true { inner = i }
        }
        let trained = try training(rule: "nrl", environment: name, plugins: plugins, seconds: seconds)
        return (bridged!, inner!, trained)
    }
}

/// CPU seconds this process has used, all threads together.
private func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

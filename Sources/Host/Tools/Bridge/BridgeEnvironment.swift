import Foundation
import NRLCore
import LuaBridge

/// A Gymnasium or NeuroGym task run in a Python worker (`PythonWorker`), one environment per worker at a
/// time; a thread's next environment reuses its worker (`IdleWorkers`).
///
/// Seeds (documented in docs/bridge.md): at MAKE the worker seeds the action space with the first u64
/// of the run's environment stream masked to 63 bits; every `reset` passes `reset(seed=s)` with the
/// next u64 of that stream masked to 63 bits. A run is thus reproducible bit for bit.
/// Spaces: `Discrete` actions; `Box` observations flattened to Float32, `Discrete` observations one-hot;
/// the worker refuses anything else, naming the space. The step limit is Gymnasium's own (gym.make's
/// TimeLimit, inside the worker).
public final class BridgeEnvironment: Environment {
    public let info: EnvironmentInfo
    public let worker: PythonWorker
    /// What MAKE said about the task (its spec, the space kinds).
    public let reply: MakeReply
    /// Seconds per call (0: no limit).
    public let timeout: Double
    private var random: Xoshiro256
    private let observationBytes: Int

    public struct MakeReply: Decodable, Sendable {
        public var observation_size: Int
        public var observation: String
        public var actions: Int
        public var continuing: Bool
        public var max_episode_steps: Int?
        public var reward: String
        public var spec: String?
        /// Steps go through the shared-memory channel.
        public var channel: Bool?
    }

    /// Starts a worker with `python` and makes `family`'s task `id` with `kwargs` (each value JSON text).
    public init(python: String, family: String, id: String, kwargs: [(String, String)], reward: RewardTiming? = nil,
                name: String? = nil, random: Xoshiro256, timeout: Double, setupTimeout: Double = 120) throws {
        let label = name ?? "\(family):\(id)"
        let worker = try IdleWorkers.take(python: python, label: label)
        self.worker = worker
        var random = random
        self.timeout = timeout
        let actionSeed = random.next() & Self.seedMask
        self.random = random
        func quoted(_ s: String) -> String { String(decoding: try! JSONEncoder().encode(s), as: UTF8.self) }
        let arguments = kwargs.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ")
        let make = "{\"id\": \(quoted(id)), \"family\": \(quoted(family)), \"kwargs\": {\(arguments)}, \"action_seed\": \(actionSeed)}"
        let payload = try Data(make.utf8).withUnsafeBytes {
            try worker.call(.make, payload: $0, timeout: timeout > 0 ? max(timeout, setupTimeout) : 0)
        }
        let r: MakeReply
        do { r = try JSONDecoder().decode(MakeReply.self, from: Data(payload)) } catch {
            throw worker.refuse("frame: its MAKE answer is not the agreed JSON")
        }
        guard (1...(FrameReader.maxLength / 4 - 4)).contains(r.observation_size), (1...(1 << 20)).contains(r.actions) else {
            worker.kill()
            throw BridgeError("\(label): the task's spaces are out of range (observation size \(r.observation_size), \(r.actions) actions)")
        }
        reply = r
        if r.channel == true { worker.useChannel() }
        observationBytes = 4 * r.observation_size
        let timing = reward ?? (r.reward == "step" ? .immediate : .delayed)
        info = EnvironmentInfo(name: label, observationSize: r.observation_size, actionCount: r.actions, rewardTiming: timing,
                               continuing: r.continuing, maxEpisodeSteps: r.max_episode_steps)
    }

    deinit { IdleWorkers.giveBack(worker) }

    static let seedMask: UInt64 = (1 << 63) - 1

    /// `reset(seed=s)` with s the next u64 of the environment stream masked to 63 bits.
    public func reset(observation: UnsafeMutablePointer<Float>) throws {
        try reset(seed: random.next() & Self.seedMask, observation: observation)
    }

    /// `reset(seed=seed)` (nil: `reset()`, the task's own generator goes on).
    public func reset(seed: UInt64?, observation: UnsafeMutablePointer<Float>) throws {
        let answer = try worker.reset(seed: seed, observationBytes: observationBytes, timeout: timeout)
        UnsafeMutableRawPointer(observation).copyMemory(from: answer, byteCount: observationBytes)
    }

    @inline(__always)
    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) throws -> StepOutcome {
        let answer = try worker.step(UInt32(truncatingIfNeeded: action), observationBytes: observationBytes, timeout: timeout)
        UnsafeMutableRawPointer(observation).copyMemory(from: answer.observation, byteCount: observationBytes)
        let flags = answer.flags
        return StepOutcome(reward: answer.reward, terminated: flags & 1 != 0, truncated: flags & 2 != 0, trialEnded: flags & 4 != 0)
    }

    /// Gymnasium's own step time, measured inside the worker: `steps` steps with uniformly random actions
    /// (numpy's default_rng(seed)), resetting at every episode end. Seconds spent and resets made.
    public func pythonStepSeconds(steps: Int, seed: UInt64) throws -> (seconds: Double, resets: Int) {
        var payload = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt32(clamping: steps).littleEndian) { for k in 0..<4 { payload[k] = $0[k] } }
        withUnsafeBytes(of: seed.littleEndian) { for k in 0..<8 { payload[4 + k] = $0[k] } }
        let answer = try payload.withUnsafeBytes { try worker.call(.bench, payload: $0, timeout: 0) }
        guard answer.count == 12 else { throw worker.refuse("frame: a bench answer of \(answer.count) bytes, not 12") }
        let seconds = Double(bitPattern: UInt64(littleEndian: answer.loadUnaligned(as: UInt64.self)))
        let resets = Int(UInt32(littleEndian: answer.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        return (seconds, resets)
    }
}

/// The `gym:ID` and `neurogym:ID` environments: an `EnvironmentProvider` claiming those names.
public enum BridgeEnvironments {
    public static func parse(_ name: String) -> (family: String, id: String)? { PythonTaskName.parse(name) }

    public static func claims(_ name: String) -> Bool { parse(name) != nil }

    /// `env.reward=step|episode` overrides the task's reward timing; every other `env.KEY=VALUE` is a keyword
    /// argument of the task's constructor, its value read as JSON (numbers, booleans, objects such as
    /// `timing={"stimulus":500}`), else as a string.
    public static let rewardParameter = ParameterSpec("reward", .choice(["task", "step", "episode"]), default: .choice("task"),
                                                      help: "when the reward is learned from: step (every step), episode (the return at the end), task (the task's own: step for NeuroGym, episode for Gymnasium)")

    /// Environments named "gym:ID" / "neurogym:ID", run by the interpreter `python` finds (`PythonLocation.find`),
    /// every call within `limits.secondsPerCall` (setting the task up: at least 120 s, for imports).
    public static func provider(python: @escaping @Sendable () throws -> String = { try PythonLocation.find() },
                                limits: ScriptLimits = .standard) -> EnvironmentProvider {
        EnvironmentProvider(description: PythonTaskName.description, claims: claims) { name in
            guard let (family, id) = parse(name) else { throw UsageError("'\(name)' is not gym:ID or neurogym:ID") }
            _ = try python()  // says `make python` now rather than when the run starts
            let native = try? EnvironmentRegistry.builtin.registration(id)
            let placeholder = EnvironmentInfo(name: name, observationSize: 0, actionCount: 0,
                                              rewardTiming: family == "neurogym" ? .immediate : .delayed, continuing: family == "neurogym")
            return EnvironmentRegistration(
                id: name, summary: "\(family == "gym" ? "Gymnasium" : "NeuroGym") task \(id) in a Python worker (sizes known once it starts)",
                info: placeholder, defaults: native?.defaults ?? EnvironmentDefaults(), parameters: [rewardParameter],
                acceptsUndeclaredParameters: true,
                build: { random, parameters in
                    var kwargs: [(String, String)] = []
                    for key in parameters.values.keys.sorted() where key != "reward" {
                        kwargs.append((key, jsonText(parameters.values[key]!)))
                    }
                    let reward: RewardTiming?
                    switch parameters.values["reward"] {
                    case .choice("step")?: reward = .immediate
                    case .choice("episode")?: reward = .delayed
                    default: reward = nil
                    }
                    return try BridgeEnvironment(python: try python(), family: family, id: id, kwargs: kwargs, reward: reward,
                                                 name: name, random: random, timeout: limits.secondsPerCall)
                })
        }
    }

    /// A keyword argument's value as JSON text: text that is JSON already stays as typed; other text becomes a string.
    static func jsonText(_ value: ParameterValue) -> String {
        switch value {
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .real(let d): return d.isFinite ? "\(d)" : "null"
        case .choice(let text):
            if let data = text.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                return text
            }
            return String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
        }
    }
}

extension Plugins {
    /// Adds the `gym:ID` and `neurogym:ID` environments (a Python worker each).
    public mutating func addBridgeEnvironments(limits: ScriptLimits) {
        environments.add(BridgeEnvironments.provider(limits: limits))
    }
}

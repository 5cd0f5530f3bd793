/// The environment of every lane: one builtin environment per lane, made and seeded exactly as `Session`
/// makes a run's (`EnvironmentRegistry.make`, TimeLimit included), so every lane's trajectory has the
/// single run's bits whatever the environment. Each observation is copied into its lane of the
/// lane-major input. An episode ends when terminated or truncated; a continuing task's "episode" is a trial.
final class LaneEnvironments<L: LaneWidth> {
    let info: EnvironmentInfo
    private let registration: EnvironmentRegistration
    private let parameters: Parameters?
    // Raw per-lane storage: Swift arrays in a class would cost a uniqueness and an exclusivity check per access.
    private let environments: UnsafeMutablePointer<Environment>
    private let scratch: UnsafeMutablePointer<Float>

    /// Every lane gets an environment of `registration` with `parameters` (seeded for real by `start`).
    init(_ registration: EnvironmentRegistration, parameters: Parameters?) throws {
        self.registration = registration
        self.parameters = parameters
        let idle = try EnvironmentRegistry.builtin.make(registration, seed: 0, parameters: parameters)
        info = idle.info
        environments = .allocate(capacity: L.count)
        environments.initialize(repeating: idle, count: L.count)
        scratch = .allocate(capacity: info.observationSize)
        scratch.initialize(repeating: 0, count: info.observationSize)
    }

    deinit {
        environments.deinitialize(count: L.count)
        environments.deallocate()
        scratch.deallocate()
    }

    /// Lane k starts a new run: a fresh environment on the environment stream of `seed`.
    func start(lane k: Int, seed: UInt64) throws {
        environments[k] = try EnvironmentRegistry.builtin.make(registration, seed: seed, parameters: parameters)
    }

    /// A new episode of lane k; its first observation into lane k of `observation`.
    func reset(lane k: Int, observation: UnsafeMutablePointer<L.Floats>) throws {
        try environments[k].reset(observation: scratch)
        copy(into: k, of: observation)
    }

    /// One step of lane k: the reward, and whether the episode ends (terminated or truncated; a continuing task's
    /// trial ended).
    @inline(__always)
    func step(lane k: Int, action: Int, observation: UnsafeMutablePointer<L.Floats>) throws -> (reward: Double, ends: Bool) {
        let outcome = try environments[k].step(action, observation: scratch)
        copy(into: k, of: observation)
        return (outcome.reward, info.continuing ? outcome.trialEnded : outcome.terminated || outcome.truncated)
    }

    @inline(__always)
    private func copy(into k: Int, of observation: UnsafeMutablePointer<L.Floats>) {
        for i in 0..<info.observationSize { observation.setLane(i, k, scratch[i]) }
    }
}

/// CartPole-v1 (with its 500-step TimeLimit) for every lane: each lane its own state, its own
/// environment stream and its own episode clock. Physics go through `CartPole.advance`, the very
/// function the single environment uses, so every lane's trajectory has the single run's bits.
/// Only the default reward (+1 per step) is supported; `LaneSupport` sends other settings to the scalar path.
final class LaneCartPole<L: LaneWidth> {
    static var observationSize: Int { 4 }
    static var maxEpisodeSteps: Int { CartPole.info.maxEpisodeSteps ?? 500 }

    // Raw per-lane storage: Swift arrays in a class would cost a uniqueness and an exclusivity check per access.
    private let states: UnsafeMutablePointer<(Double, Double, Double, Double)>
    private let random: UnsafeMutablePointer<Xoshiro256>
    /// Steps since the lane's last reset (TimeLimit's clock).
    private let elapsed: UnsafeMutablePointer<Int>

    init() {
        states = .allocate(capacity: L.count)
        states.initialize(repeating: (0, 0, 0, 0), count: L.count)
        random = .allocate(capacity: L.count)
        random.initialize(repeating: Xoshiro256(seed: 0), count: L.count)
        elapsed = .allocate(capacity: L.count)
        elapsed.initialize(repeating: 0, count: L.count)
    }

    deinit { states.deallocate(); random.deallocate(); elapsed.deallocate() }

    /// Lane k starts a new run: its environment stream as `EnvironmentRegistry.make` seeds it.
    func start(lane k: Int, seed: UInt64) {
        random[k] = RandomStream.environment.generator(seed: seed)
    }

    /// `CartPole.reset`: a state from U[−0.05, 0.05)⁴, observation into lane k of `observation`.
    func reset(lane k: Int, observation: UnsafeMutablePointer<L.Floats>) {
        let x = random[k].uniform(-0.05, 0.05)
        let xDot = random[k].uniform(-0.05, 0.05)
        let theta = random[k].uniform(-0.05, 0.05)
        let thetaDot = random[k].uniform(-0.05, 0.05)
        states[k] = (x, xDot, theta, thetaDot)
        elapsed[k] = 0
        observe(lane: k, observation)
    }

    /// One step of lane k: the reward, and whether the episode ends (terminated or truncated).
    @inline(__always)
    func step(lane k: Int, action: Int, observation: UnsafeMutablePointer<L.Floats>) -> (reward: Double, ends: Bool) {
        let terminated = CartPole.advance(&states[k], action: action)
        elapsed[k] &+= 1
        observe(lane: k, observation)
        // Training ends an episode at its first terminal step, so the reward is always +1 here.
        return (1.0, terminated || elapsed[k] >= Self.maxEpisodeSteps)
    }

    @inline(__always)
    private func observe(lane k: Int, _ observation: UnsafeMutablePointer<L.Floats>) {
        let s = states[k]
        observation.setLane(0, k, Float(s.0))
        observation.setLane(1, k, Float(s.1))
        observation.setLane(2, k, Float(s.2))
        observation.setLane(3, k, Float(s.3))
    }
}

/// CartPole-v1 (with its 500-step TimeLimit) for every lane: each lane its own state, its own
/// environment stream and its own episode clock. Physics go through `CartPole.advance`, the very
/// function the single environment uses, so every lane's trajectory has the single run's bits.
/// Only the default reward (+1 per step) is supported; `LaneSupport` sends other settings to the scalar path.
struct LaneCartPole<L: LaneWidth> {
    static var observationSize: Int { 4 }
    static var maxEpisodeSteps: Int { CartPole.info.maxEpisodeSteps ?? 500 }

    private var states: [(Double, Double, Double, Double)]
    private var random: [Xoshiro256]
    /// Steps since the lane's last reset (TimeLimit's clock).
    private var elapsed: [Int]

    init() {
        states = Array(repeating: (0, 0, 0, 0), count: L.count)
        random = Array(repeating: Xoshiro256(seed: 0), count: L.count)
        elapsed = Array(repeating: 0, count: L.count)
    }

    /// Lane k starts a new run: its environment stream as `EnvironmentRegistry.make` seeds it.
    mutating func start(lane k: Int, seed: UInt64) {
        random[k] = RandomStream.environment.generator(seed: seed)
    }

    /// `CartPole.reset`: a state from U[−0.05, 0.05)⁴, observation into lane k of `observation`.
    mutating func reset(lane k: Int, observation: UnsafeMutablePointer<L.Floats>) {
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
    mutating func step(lane k: Int, action: Int, observation: UnsafeMutablePointer<L.Floats>) -> (reward: Double, ends: Bool) {
        let terminated = CartPole.advance(&states[k], action: action)
        elapsed[k] &+= 1
        observe(lane: k, observation)
        // Training ends an episode at its first terminal step, so the reward is always +1 here.
        return (1.0, terminated || elapsed[k] >= Self.maxEpisodeSteps)
    }

    @inline(__always)
    private func observe(lane k: Int, _ observation: UnsafeMutablePointer<L.Floats>) {
        let s = states[k]
        observation[0][k] = Float(s.0)
        observation[1][k] = Float(s.1)
        observation[2][k] = Float(s.2)
        observation[3][k] = Float(s.3)
    }
}

import Foundation

/// CartPole-v1 as in Gymnasium 0.29.1, bit for bit (docs/spec/environments.md §2).
///
/// The state is binary64 and never quantised; only the observation is rounded to Float.
/// Every expression below keeps the reference's operation order and unfolded constants,
/// because the system is open-loop unstable: a 1-ulp difference grows to O(1) within an
/// episode (docs/spec/environments.md §6.2). The 500-step limit is applied by `TimeLimit`, not here.
public final class CartPole: Environment {
    public static let info = EnvironmentInfo(
        name: "cartpole", observationSize: 4, actionCount: 2,
        rewardTiming: .delayed, maxEpisodeSteps: 500)
    public var info: EnvironmentInfo { Self.info }

    /// θ_max computed as ((12·2)·π)/360 in the reference, which is 1 ulp below `radians(12)` (docs/spec/environments.md §2).
    static let thetaThreshold = 0.20943951023931953
    static let xThreshold = 2.4

    private var rng: Xoshiro256
    private var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
    /// Gymnasium's `steps_beyond_terminated`: nil until the first terminating step (docs/spec/environments.md §2, reward table).
    public private(set) var stepsBeyondTerminated: Int?

    /// Gymnasium 1.x's `sutton_barto_reward`: 0 per step and −1 on (and after) the terminating step,
    /// instead of +1 per step (docs/spec/environments.md §0). Off by default, as there.
    public let suttonBartoReward: Bool

    /// The keyword arguments of `gym.make("CartPole-v1", …)` this port has.
    public static let parameters = [
        ParameterSpec("sutton_barto_reward", .boolean, default: .boolean(false),
                      help: "Gymnasium's sutton_barto_reward: reward 0 per step and -1 when the pole falls (instead of +1 per step)"),
    ]

    public init(rng: Xoshiro256, suttonBartoReward: Bool = false) {
        self.rng = rng
        self.suttonBartoReward = suttonBartoReward
    }

    /// Draws the state from U[−0.05, 0.05)⁴ (low + (high − low)·u, as numpy's Generator).
    public func reset(observation: UnsafeMutablePointer<Float>) {
        x = rng.uniform(-0.05, 0.05)
        xDot = rng.uniform(-0.05, 0.05)
        theta = rng.uniform(-0.05, 0.05)
        thetaDot = rng.uniform(-0.05, 0.05)
        stepsBeyondTerminated = nil
        observe(into: observation)
    }

    /// Test hook (docs/spec/environments.md §5): starts an episode from a given state instead of a draw.
    public func reset(state: [Double], observation: UnsafeMutablePointer<Float>) {
        self.state = state
        stepsBeyondTerminated = nil
        observe(into: observation)
    }

    /// (x, ẋ, θ, θ̇). Setting it leaves `stepsBeyondTerminated` alone, so a replay can
    /// overwrite the state before every step and still follow the reward bookkeeping.
    public var state: [Double] {
        get { [x, xDot, theta, thetaDot] }
        set {
            precondition(newValue.count == 4, "CartPole state has 4 components, got \(newValue.count)")
            x = newValue[0]; xDot = newValue[1]; theta = newValue[2]; thetaDot = newValue[3]
        }
    }

    /// The observation of the current state: each component rounded to Float.
    public func observe(into observation: UnsafeMutablePointer<Float>) {
        observation[0] = Float(x)
        observation[1] = Float(xDot)
        observation[2] = Float(theta)
        observation[3] = Float(thetaDot)
    }

    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) -> StepOutcome {
        var state = (x, xDot, theta, thetaDot)
        let terminated = Self.advance(&state, action: action)
        (x, xDot, theta, thetaDot) = state

        let reward: Double
        if !terminated {
            reward = suttonBartoReward ? 0.0 : 1.0
        } else if let beyond = stepsBeyondTerminated {
            stepsBeyondTerminated = beyond + 1
            reward = suttonBartoReward ? -1.0 : 0.0
        } else {
            stepsBeyondTerminated = 0
            reward = suttonBartoReward ? -1.0 : 1.0
        }

        observe(into: observation)
        return StepOutcome(reward: reward, terminated: terminated)
    }

    /// One step of the dynamics from (x, ẋ, θ, θ̇); true when the new state is terminal.
    /// The environment and the lanes engine both step through here, so they compute the same bits.
    @inline(__always)
    static func advance(_ state: inout (Double, Double, Double, Double), action: Int) -> Bool {
        let (x, xDot, theta, thetaDot) = state
        let force = action == 1 ? 10.0 : -10.0
        let c = cos(theta)
        let s = sin(theta)
        // Gymnasium writes θ̇**2 and cos**2, which CPython evaluates with libm pow (docs/spec/environments.md §1).
        let temp = (force + ((0.05 * libmSquare(thetaDot)) * s)) / 1.1
        let thetaAcc = ((9.8 * s) - (c * temp)) / (0.5 * ((4.0 / 3.0) - ((0.1 * libmSquare(c)) / 1.1)))
        let xAcc = temp - (((0.05 * thetaAcc) * c) / 1.1)

        // Explicit Euler; all four updates use the old values.
        let newX = x + 0.02 * xDot
        let newXDot = xDot + 0.02 * xAcc
        let newTheta = theta + 0.02 * thetaDot
        let newThetaDot = thetaDot + 0.02 * thetaAcc
        state = (newX, newXDot, newTheta, newThetaDot)

        // Recomputed from the state every step: it can turn false again (docs/spec/environments.md §6.6).
        return newX < -xThreshold || newX > xThreshold
            || newTheta < -thetaThreshold || newTheta > thetaThreshold
    }
}

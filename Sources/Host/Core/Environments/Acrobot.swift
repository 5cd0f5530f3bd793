import Foundation

/// Acrobot-v1 as in Gymnasium 0.29.1 ("book" dynamics, no torque noise), bit for bit
/// (docs/spec/environments.md §3).
///
/// The state (θ1, θ2, ω1, ω2) is binary64, except that a reset draw is quantised to Float
/// as the reference does. The system is chaotic, so every expression keeps the reference's
/// operation order and unfolded constants (docs/spec/environments.md §6.2). The 500-step limit is `TimeLimit`'s job.
public final class Acrobot: Environment {
    public static let info = EnvironmentInfo(
        name: "acrobot", observationSize: 6, actionCount: 3,
        rewardTiming: .delayed, maxEpisodeSteps: 500)
    public var info: EnvironmentInfo { Self.info }

    /// Velocity limits 4π and 9π.
    static let maxVelocity1 = 4 * Double.pi
    static let maxVelocity2 = 9 * Double.pi
    /// π/2.0; the reference writes cos(x − π/2) where one would expect sin x (docs/spec/environments.md §6.2).
    static let halfPi = Double.pi / 2.0
    /// The wrap interval's width, π − (−π).
    static let twoPi = Double.pi - (-Double.pi)

    private var rng: Xoshiro256
    private var theta1 = 0.0, theta2 = 0.0, omega1 = 0.0, omega2 = 0.0

    public init(rng: Xoshiro256) {
        self.rng = rng
    }

    /// Draws U[−0.1, 0.1)⁴ and rounds it to Float: the reference holds the reset state as
    /// float32 until the first step promotes it exactly to float64 (docs/spec/environments.md §3, Reset).
    public func reset(observation: UnsafeMutablePointer<Float>) {
        theta1 = Double(Float(rng.uniform(-0.1, 0.1)))
        theta2 = Double(Float(rng.uniform(-0.1, 0.1)))
        omega1 = Double(Float(rng.uniform(-0.1, 0.1)))
        omega2 = Double(Float(rng.uniform(-0.1, 0.1)))
        // The reference takes numpy's float32 cos/sin of the float32 angles here; we take the
        // correctly rounded f32(cos(double)). They agree except for rare 1-ulp cases (docs/spec/environments.md §3).
        observe(into: observation)
    }

    /// Test hook (docs/spec/environments.md §5): starts an episode from a given state instead of a draw.
    public func reset(state: [Double], observation: UnsafeMutablePointer<Float>) {
        self.state = state
        observe(into: observation)
    }

    /// (θ1, θ2, ω1, ω2).
    public var state: [Double] {
        get { [theta1, theta2, omega1, omega2] }
        set {
            precondition(newValue.count == 4, "Acrobot state has 4 components, got \(newValue.count)")
            theta1 = newValue[0]; theta2 = newValue[1]; omega1 = newValue[2]; omega2 = newValue[3]
        }
    }

    /// [cos θ1, sin θ1, cos θ2, sin θ2, ω1, ω2]: float64 trig, then rounded to Float.
    public func observe(into observation: UnsafeMutablePointer<Float>) {
        observation[0] = Float(cos(theta1))
        observation[1] = Float(sin(theta1))
        observation[2] = Float(cos(theta2))
        observation[3] = Float(sin(theta2))
        observation[4] = Float(omega1)
        observation[5] = Float(omega2)
    }

    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) -> StepOutcome {
        let torque: Double = action == 0 ? -1.0 : (action == 2 ? 1.0 : 0.0)

        // One classic RK4 step over [0, 0.2] on (θ1, θ2, ω1, ω2, torque); the torque's
        // derivative is 0, so it stays `torque` in every stage. No wrapping inside the stages.
        let (t1, t2, w1, w2) = (theta1, theta2, omega1, omega2)
        let k1 = Self.derivative(t1, t2, w1, w2, torque)
        let k2 = Self.derivative(t1 + 0.1 * k1.0, t2 + 0.1 * k1.1, w1 + 0.1 * k1.2, w2 + 0.1 * k1.3, torque)
        let k3 = Self.derivative(t1 + 0.1 * k2.0, t2 + 0.1 * k2.1, w1 + 0.1 * k2.2, w2 + 0.1 * k2.3, torque)
        let k4 = Self.derivative(t1 + 0.2 * k3.0, t2 + 0.2 * k3.1, w1 + 0.2 * k3.2, w2 + 0.2 * k3.3, torque)
        let h6 = 0.2 / 6.0
        var n1 = t1 + h6 * (((k1.0 + 2 * k2.0) + 2 * k3.0) + k4.0)
        var n2 = t2 + h6 * (((k1.1 + 2 * k2.1) + 2 * k3.1) + k4.1)
        let m1 = w1 + h6 * (((k1.2 + 2 * k2.2) + 2 * k3.2) + k4.2)
        let m2 = w2 + h6 * (((k1.3 + 2 * k2.3) + 2 * k3.3) + k4.3)

        // Wrap the angles and clip the velocities only after the whole step (docs/spec/environments.md §6.5).
        while n1 > Double.pi { n1 = n1 - Self.twoPi }
        while n1 < -Double.pi { n1 = n1 + Self.twoPi }
        while n2 > Double.pi { n2 = n2 - Self.twoPi }
        while n2 < -Double.pi { n2 = n2 + Self.twoPi }
        theta1 = n1
        theta2 = n2
        omega1 = min(max(m1, -Self.maxVelocity1), Self.maxVelocity1)
        omega2 = min(max(m2, -Self.maxVelocity2), Self.maxVelocity2)

        let terminated = (-cos(theta1) - cos(theta2 + theta1)) > 1.0
        observe(into: observation)
        return StepOutcome(reward: terminated ? 0.0 : -1.0, terminated: terminated)
    }

    /// The "book" equations of motion with the masses, lengths and inertias (all 1 or 0.5)
    /// already multiplied in exactly as the reference's evaluation order leaves them (docs/spec/environments.md §3).
    /// Returns (ω1, ω2, ω̇1, ω̇2).
    @inline(__always)
    static func derivative(_ t1: Double, _ t2: Double, _ w1: Double, _ w2: Double,
                           _ torque: Double) -> (Double, Double, Double, Double) {
        let c2 = cos(t2)
        let s2 = sin(t2)
        // A chain of additions, not 3.5 + c2 (docs/spec/environments.md §6.2).
        let d1 = ((0.25 + (1.25 + c2)) + 1.0) + 1.0
        let d2 = (0.25 + 0.5 * c2) + 1.0
        let phi2 = 4.9 * cos((t1 + t2) - halfPi)
        let a = (-0.5 * libmSquare(w2)) * s2
        let b = (w2 * w1) * s2
        // fl(1.5 · 9.8), not 14.7.
        let c = 14.700000000000001 * cos(t1 - halfPi)
        let phi1 = ((a - b) + c) + phi2
        let numerator = ((torque + ((d2 / d1) * phi1)) - ((0.5 * libmSquare(w1)) * s2)) - phi2
        let omega2Dot = numerator / (1.25 - (libmSquare(d2) / d1))
        let omega1Dot = -((d2 * omega2Dot) + phi1) / d1
        return (w1, w2, omega1Dot, omega2Dot)
    }
}

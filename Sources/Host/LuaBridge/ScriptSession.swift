import NRLCore

/// What the host functions a script calls share during one run: the run's random streams, its
/// network, and reusable workspaces. The Lua machine (`LuaState`) stays generic; the bridge attaches
/// one of these to every state it makes (`ScriptSession.makeState`), and API functions reach it
/// through their arguments (`LuaArguments.session`).
final class ScriptSession {
    /// The streams node noise and actions are drawn from (a rule sets them from its context).
    let noise = RandomSource(Xoshiro256(seed: 0))
    let actions = RandomSource(Xoshiro256(seed: 0))
    /// Their generators, for the per-step paths: a pointer read from the session needs no reference
    /// counting, where drawing through `noise` retains that object around the draw.
    let noiseGenerator: UnsafeMutablePointer<Xoshiro256>
    let actionGenerator: UnsafeMutablePointer<Xoshiro256>
    /// The stream behind `ctx.rng`, `self.rng` and `math.random`.
    var scriptRandom = RandomSource(Xoshiro256(seed: 0))
    /// The run's network, the default weights for `add_gradient`.
    var network: Network?
    /// Metrics a script logged with `log(name, value)` in the current episode: name → running mean.
    var loggedMetrics: [String: (mean: Double, count: Int)] = [:]
    /// Backprop workspaces for `add_gradient`, one per network shape a script uses (usually one): found
    /// by comparing sizes, which for objects of one network is an identity check of one array, where
    /// hashing a shape costs more than a step.
    private var backprops: [Backprop] = []
    private var scratchBuffer: UnsafeMutablePointer<Float>?
    private var scratchCapacity = 0

    init() {
        noiseGenerator = noise.generator
        actionGenerator = actions.generator
    }

    deinit { scratchBuffer?.deallocate() }

    /// A sandboxed state with the nrlhost API, its host types and this session attached.
    static func makeState(limits: ScriptLimits, session: ScriptSession = ScriptSession()) -> LuaState {
        LuaState(limits: limits, context: session, types: HostType.all, globals: { ScriptGlobals.install($0, into: $1) })
    }

    /// A Float buffer of at least `count` elements for argument conversions (reused).
    func scratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > scratchCapacity {
            scratchBuffer?.deallocate()
            scratchBuffer = .allocate(capacity: count)
            scratchCapacity = count
        }
        return scratchBuffer!
    }

    /// The backprop workspace for networks of `shape`.
    func backprop(for shape: NetworkShape) -> Backprop {
        for b in backprops where b.shape.sizes == shape.sizes { return b }
        let b = Backprop(shape: shape)
        backprops.append(b)
        return b
    }
}

/// A random stream shared between the host and scripts (`ctx.rng`, `self.rng`, noise, actions).
/// The generator lives in memory this object owns and is drawn from through the pointer: a class
/// property passed `inout` would cost a run-time exclusivity check at every draw.
public final class RandomSource {
    public let generator: UnsafeMutablePointer<Xoshiro256>

    public init(_ generator: Xoshiro256) {
        self.generator = .allocate(capacity: 1)
        self.generator.initialize(to: generator)
    }

    deinit { generator.deallocate() }
}

import NRLCore
import CLua
import CLuaShim

/// `pass`: one forward pass — the policy it gives, its node noise, each layer's input and
/// pre-activation. Vectors it hands out are read-only views, made once per pass and reused.
enum LuaPassAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("sample", { L in LuaAPI.run(L) { try sample($0) } }),
        ("logp", { L in LuaAPI.run(L) { try logp($0) } }),
        ("prob", { L in LuaAPI.run(L) { try prob($0) } }),
        ("probs", { L in LuaAPI.run(L) { try view($0, .probabilities) } }),
        ("noise", { L in LuaAPI.run(L) { try view($0, .noise) } }),
        ("input", { L in LuaAPI.run(L) { try view($0, .input) } }),
        ("pre", { L in LuaAPI.run(L) { try view($0, .preActivation) } }),
        ("output", { L in LuaAPI.run(L) { try view($0, .output) } }),
        ("noise_sqnorm", { L in LuaAPI.run(L) { try noiseSquaredNorm($0) } }),
        ("noisy", { L in LuaAPI.run(L) { a in a.push(try a.pass(1).isNoisy); return 1 } }),
    ]

    /// p:sample() → an action (1…n) drawn from π with the run's action stream.
    static func sample(_ a: LuaArguments) throws -> Int32 {
        let generator = a.withSession { $0.actionGenerator }
        let action = try a.withPass(1) { p in p.sample(&generator.pointee) }
        a.push(action + 1)
        return 1
    }

    /// p:logp(action [, reference]) → log π(action), or log π(action) − log π_reference(action):
    /// NRL's Δ in one call.
    static func logp(_ a: LuaArguments) throws -> Int32 {
        a.push(try a.withPass(1) { p in
            let action = try a.action(2, count: p.shape.outputSize)
            if a.isNone(3) { return p.logProbability(of: action) }
            return try a.withPass(3) { reference in
                guard reference.shape.outputSize == p.shape.outputSize else {
                    throw LuaCallFailure.argument(3, "pass of the same network expected")
                }
                return p.logProbability(of: action) - reference.logProbability(of: action)
            }
        })
        return 1
    }

    /// p:prob(action) → π(action).
    static func prob(_ a: LuaArguments) throws -> Int32 {
        a.push(try a.withPass(1) { p in p.probabilities[try a.action(2, count: p.shape.outputSize)] })
        return 1
    }

    /// p:noise_sqnorm([layer]) → ‖ξ‖² of the whole network, or of one layer.
    static func noiseSquaredNorm(_ a: LuaArguments) throws -> Int32 {
        let p = try a.pass(1)
        if a.isNone(2) {
            a.push(p.noiseSquaredNorm)
        } else {
            a.push(p.noiseSquaredNorm(layer: try layer(a, 2, p.shape)))
        }
        return 1
    }

    enum ViewKind: String { case probabilities = "probs", noise, input, preActivation = "pre", output }

    /// A 0-based layer from a 1-based argument.
    static func layer(_ a: LuaArguments, _ i: Int32, _ shape: NetworkShape) throws -> Int {
        let l = try a.integer(i)
        guard l >= 1 && l <= shape.layerCount else { throw LuaCallFailure.argument(i, "layer in 1..\(shape.layerCount) expected, got \(l)") }
        return l - 1
    }

    /// p:probs(), p:noise([layer]), p:input(layer), p:pre(layer), p:output(layer) → a read-only vector view, cached
    /// in the pass userdata's user value so that asking every step allocates nothing.
    static func view(_ a: LuaArguments, _ kind: ViewKind) throws -> Int32 {
        let p = try a.pass(1)
        let shape = p.shape
        let layerIndex: Int? = (kind == .probabilities || (kind == .noise && a.isNone(2))) ? nil : try layer(a, 2, shape)
        let key = kind.rawValue + (layerIndex.map { String($0 + 1) } ?? "")
        let s = a.state
        lua_getiuservalue(a.L, 1, 1)
        if s.rawField(-1, key) == LUA_TUSERDATA, let v = nrl_to_vector(a.L, -1), v.pointee.object != nil {
            nrl_lua_remove(a.L, -2)
            return 1
        }
        s.pop()
        let pass = p
        let data: UnsafeMutableRawPointer, count: Int, isDouble: Bool
        switch (kind, layerIndex) {
        case (.probabilities, _):
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.probabilities), shape.outputSize, true)
        case (.noise, nil):
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.noise), shape.unitCount, false)
        case (.noise, let l?):
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.noise(l)), shape.outputs(l), false)
        case (.input, let l?):
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.input(l)), shape.inputs(l), false)
        case (.preActivation, let l?):
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.preActivation(l)), shape.outputs(l), false)
        case (.output, let l?) where l == shape.layerCount - 1:
            // x_L = f(a_L) is the policy π.
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.probabilities), shape.outputSize, true)
        case (.output, let l?):
            // A hidden layer's output x_l = LeakyReLU(a_l) is the next layer's input.
            (data, count, isDouble) = (UnsafeMutableRawPointer(pass.input(l + 1)), shape.outputs(l), false)
        default:
            preconditionFailure("layer index resolved above")
        }
        LuaAPI.pushVector(s, owner: p, data: data, count: count, isDouble: isDouble, writable: false)
        lua_pushvalue(a.L, -1)
        s.setRawField(-3, key)
        nrl_lua_remove(a.L, -2)
        return 1
    }
}

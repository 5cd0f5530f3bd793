import NRLCore
import CLua
import CLuaShim

/// `matrices`: the network's weights (`ctx.net`) and anything shaped like them — eligibility traces,
/// gradient sums, weight perturbations. One row-major n_l × n_{l−1} matrix per layer.
enum LuaMatricesAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("forward", { L in LuaAPI.run(L) { try forward($0) } }),
        ("forward_noisy", { L in LuaAPI.run(L) { try forwardNoisy($0) } }),
        ("pass", { L in LuaAPI.run(L) { try newPass($0) } }),
        ("zeros", { L in LuaAPI.run(L) { try zeros($0) } }),
        ("add", { L in LuaAPI.run(L) { try add($0) } }),
        ("add_noise_outer", { L in LuaAPI.run(L) { try addNoiseOuter($0) } }),
        ("add_gradient", { L in LuaAPI.run(L) { try addGradient($0) } }),
        ("sizes", { L in LuaAPI.run(L) { try sizes($0) } }),
        ("get", { L in LuaAPI.run(L) { try get($0) } }),
        ("put", { L in LuaAPI.run(L) { try put($0) } }),
    ]

    @inline(__always)
    private static func sameShape(_ a: LuaArguments, _ i: Int32, _ shape: NetworkShape, _ other: NetworkShape) throws {
        guard shape.sizes == other.sizes else {
            throw LuaCallFailure.argument(i, "shapes differ: \(other) where \(shape) was expected")
        }
    }

    /// m:forward(obs, clean [, noisy, sigma]) → clean: the clean pass with these weights; with
    /// `noisy` and `sigma`, also a noisy pass of the same observation (fresh node noise N(0, σ²) on
    /// every layer from the run's noise stream), reusing the clean pass's first-layer W x.
    static func forward(_ a: LuaArguments) throws -> Int32 {
        try a.withMatrices(1) { m in
            let obs = try a.observation(2, size: m.shape.inputSize)
            try a.withPass(3) { clean in
                try sameShape(a, 3, m.shape, clean.shape)
                clean.compute(m, observation: obs, noisy: false)
                if a.isNone(4) { return }
                let sigma = try a.finiteNumber(5)
                guard sigma > 0 else { throw LuaCallFailure.argument(5, "noise level sigma must be > 0, got \(sigma)") }
                try a.withPass(4) { noisy in
                    try sameShape(a, 4, m.shape, noisy.shape)
                    a.withSession { noisy.drawNoise(sigma: sigma, &$0.noise.generator.pointee) }
                    noisy.computeNoisy(sharingFirstLayerWith: clean, m)
                }
            }
        }
        a.pushCopy(3)
        return 1
    }

    /// m:forward_noisy(obs, pass, sigma [, clean]) → pass: fresh node noise N(0, σ²) on every layer
    /// from the run's noise stream. With `clean` (a clean pass of the same observation with these
    /// weights) the first layer's W x is reused: the same numbers, at less cost.
    static func forwardNoisy(_ a: LuaArguments) throws -> Int32 {
        try a.withMatrices(1) { m in
            let obs = try a.observation(2, size: m.shape.inputSize)
            let sigma = try a.finiteNumber(4)
            guard sigma > 0 else { throw LuaCallFailure.argument(4, "noise level sigma must be > 0, got \(sigma)") }
            try a.withPass(3) { p in
                try sameShape(a, 3, m.shape, p.shape)
                a.withSession { p.drawNoise(sigma: sigma, &$0.noise.generator.pointee) }
                if a.isNone(5) {
                    p.compute(m, observation: obs, noisy: true)
                    return
                }
                try a.withPass(5) { clean in
                    try sameShape(a, 5, m.shape, clean.shape)
                    let x0 = clean.input(0)
                    for k in 0..<m.shape.inputSize where x0[k] != obs[k] || clean.isNoisy {
                        throw LuaCallFailure.argument(5, "clean pass of this observation expected (from forward(obs, pass))")
                    }
                    p.computeNoisy(sharingFirstLayerWith: clean, m)
                }
            }
        }
        a.pushCopy(3)
        return 1
    }

    /// m:pass() → a new pass for networks of this shape (make passes once, in setup).
    static func newPass(_ a: LuaArguments) throws -> Int32 {
        let shape = try a.matrices(1).shape
        let bytes = (shape.inputCount + 2 * shape.unitCount) * 4 + shape.outputSize * 16
        try LuaAPI.charge(a.state, bytes: bytes)
        LuaAPI.push(a.state, ForwardPass(shape: shape), type: .pass, userValues: 1, bytes: bytes)
        return 1
    }

    /// m:zeros() → new matrices of this shape, all zero (a trace).
    static func zeros(_ a: LuaArguments) throws -> Int32 {
        try LuaAPI.pushNewMatrices(a.state, try a.matrices(1).shape)
        return 1
    }

    /// m:add(other [, scale [, scaling]]) → m: m_l += Float(scale · k_l) · other_l (scale 1 by default).
    static func add(_ a: LuaArguments) throws -> Int32 {
        let scale = a.isNone(3) ? 1 : try a.finiteNumber(3)
        let scaling = try a.choice(4, StepScaling.paper)
        try a.withMatrices(1) { m in
            try a.withMatrices(2) { o in
                try sameShape(a, 2, m.shape, o.shape)
                m.add(o, scale: scale, scaling: scaling)
            }
        }
        a.pushCopy(1)
        return 1
    }

    /// m:add_noise_outer(noisy [, scale [, inputs [, norm [, scaling]]]]):
    /// m_l += Float(scale · k_l / norm_l) · ξ_l x_{l−1}ᵀ, ξ from `noisy`, x from `inputs` (default `noisy`).
    static func addNoiseOuter(_ a: LuaArguments) throws -> Int32 {
        let scale = a.isNone(3) ? 1 : try a.finiteNumber(3)
        let norm = try a.choice(5, NoiseNormalization.none)
        let scaling = try a.choice(6, StepScaling.paper)
        try a.withMatrices(1) { m in
            try a.withPass(2) { noisy in
                try sameShape(a, 2, m.shape, noisy.shape)
                guard noisy.isNoisy else { throw LuaCallFailure.argument(2, "noisy pass expected (from forward_noisy), got a clean one") }
                try a.withPass(a.isNone(4) ? 2 : 4) { inputs in
                    try sameShape(a, 4, m.shape, inputs.shape)
                    m.addNoiseOuterProducts(noiseOf: noisy, inputsOf: inputs, scale: scale, normalization: norm, scaling: scaling)
                }
            }
        }
        return 0
    }

    /// m:add_gradient(pass, action [, scale [, weights]]): m += Float(scale) · ∇_W log π(action), by
    /// backpropagation through `pass`, made with `weights` (default: the run's network).
    static func addGradient(_ a: LuaArguments) throws -> Int32 {
        let m = try a.matrices(1)
        let p = try a.pass(2)
        try sameShape(a, 2, m.shape, p.shape)
        let action = try a.action(3, count: m.shape.outputSize)
        let scale = a.isNone(4) ? 1 : try a.finiteNumber(4)
        let session = a.session
        let weights: LayerMatrices
        if a.isNone(5) {
            guard let network = session.network else { throw LuaCallFailure.message("add_gradient needs the weights the pass was made with") }
            weights = network.weights
        } else {
            weights = try a.matrices(5)
        }
        try sameShape(a, 5, m.shape, weights.shape)
        session.backprop(for: m.shape).addLogProbabilityGradient(p, weights: weights, action: action, into: m, scale: scale)
        return 0
    }

    /// m:sizes() → {n_0, n_1, …, n_L}.
    static func sizes(_ a: LuaArguments) throws -> Int32 {
        let sizes = try a.matrices(1).shape.sizes
        lua_createtable(a.L, Int32(sizes.count), 0)
        for (k, n) in sizes.enumerated() {
            a.push(n)
            lua_rawseti(a.L, -2, lua_Integer(k + 1))
        }
        return 1
    }

    /// (layer, row, column), 1-based, checked.
    private static func element(_ a: LuaArguments, _ m: LayerMatrices) throws -> Int {
        let l = try a.integer(2), i = try a.integer(3), j = try a.integer(4)
        let shape = m.shape
        guard l >= 1 && l <= shape.layerCount else { throw LuaCallFailure.argument(2, "layer in 1..\(shape.layerCount) expected, got \(l)") }
        guard i >= 1 && i <= shape.outputs(l - 1) else { throw LuaCallFailure.argument(3, "row in 1..\(shape.outputs(l - 1)) expected, got \(i)") }
        guard j >= 1 && j <= shape.inputs(l - 1) else { throw LuaCallFailure.argument(4, "column in 1..\(shape.inputs(l - 1)) expected, got \(j)") }
        return shape.weightOffsets[l - 1] + (i - 1) * shape.inputs(l - 1) + (j - 1)
    }

    /// m:get(layer, row, column) → number.
    static func get(_ a: LuaArguments) throws -> Int32 {
        let m = try a.matrices(1)
        a.push(Double(m.values[try element(a, m)]))
        return 1
    }

    /// m:put(layer, row, column, value).
    static func put(_ a: LuaArguments) throws -> Int32 {
        let m = try a.matrices(1)
        m.values[try element(a, m)] = Float(try a.finiteNumber(5))
        return 0
    }
}

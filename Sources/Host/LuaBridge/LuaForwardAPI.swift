import NRLCore
import CLua
import CLuaShim

/// The matrices methods that compute passes and apply node noise, with named options:
/// `m:forward(obs, pass [, opts])`, `m:add_noise_outer(noisy [, c [, opts]])`, `m:add(other [, c [, opts]])`.
enum LuaForwardAPI {
    static let forwardOptions = LuaOptions.Names(["sigma", "layers", "noise", "clean", "noisy"])
    private static let sigmaOption = 0, layersOption = 1, noiseOption = 2, cleanOption = 3, noisyOption = 4

    @inline(__always)
    private static func sameShape(_ fail: (String) -> LuaCallFailure, _ shape: NetworkShape, _ other: NetworkShape) throws {
        try LuaAPI.requireSameShape(shape, other, fail)
    }

    /// m:forward(obs, pass [, opts]) → pass. Without options: the clean pass. Options (read raw):
    /// `sigma` (σ ≥ 0, or one σ_l per layer), `layers` (noise only there), `noise` (ξ supplied as a
    /// vector of n_1+…+n_L numbers), `clean` (a clean pass of obs with m: its W_1 x is reused), `noisy`
    /// (another pass: `pass` becomes the clean pass and `noisy` the noisy one, in one call).
    static func forward(_ a: LuaArguments) throws -> Int32 {
        try a.withMatrices(1) { m in
            let obs = try a.observation(2, size: m.shape.inputSize)
            try a.withPass(3) { pass in
                try sameShape({ .argument(3, $0) }, m.shape, pass.shape)
                let o = try LuaOptions(a, 4, forwardOptions)
                if o.isEmpty {
                    pass.compute(m, observation: obs, noisy: false)
                    return
                }
                let hasSigma = o.has(sigmaOption), hasLayers = o.has(layersOption), hasNoise = o.has(noiseOption)
                if hasNoise && (hasSigma || hasLayers) {
                    throw LuaCallFailure.argument(4, "option 'noise' excludes 'sigma' and 'layers' (ξ is supplied, not drawn)")
                }
                if hasLayers && !hasSigma { throw LuaCallFailure.argument(4, "option 'layers' needs 'sigma'") }
                let noisy = hasSigma || hasNoise
                if o.has(noisyOption) {
                    if o.has(cleanOption) {
                        throw LuaCallFailure.argument(4, "options 'clean' and 'noisy' exclude each other (with 'noisy', the pass itself is the clean pass)")
                    }
                    guard noisy else { throw LuaCallFailure.argument(4, "option 'noisy' needs 'sigma' or 'noise'") }
                    try o.withPass(noisyOption) { target in
                        try sameShape({ o.fail(noisyOption, $0) }, m.shape, target.shape)
                        guard target !== pass else { throw o.fail(noisyOption, "a pass other than the clean one expected") }
                        try setNoise(a, o, target)
                        pass.compute(m, observation: obs, noisy: false)
                        target.compute(sharingFirstLayerWith: pass, m, noisy: true)
                    }
                } else if o.has(cleanOption) {
                    try o.withPass(cleanOption) { clean in
                        try sameShape({ o.fail(cleanOption, $0) }, m.shape, clean.shape)
                        guard !clean.isNoisy else { throw o.fail(cleanOption, "clean pass expected, got a noisy one") }
                        let x0 = clean.input(0)
                        for k in 0..<m.shape.inputSize where x0[k] != obs[k] {
                            throw o.fail(cleanOption, "clean pass of this observation expected, got one of another (input \(k + 1) is \(x0[k]), not \(obs[k]))")
                        }
                        if noisy { try setNoise(a, o, pass) }
                        pass.compute(sharingFirstLayerWith: clean, m, noisy: noisy)
                    }
                } else {
                    if noisy { try setNoise(a, o, pass) }
                    pass.compute(m, observation: obs, noisy: noisy)
                }
            }
        }
        a.pushCopy(3)
        return 1
    }

    /// Sets `p`'s ξ from the options: drawn (`sigma`, `layers`) from the noise stream, or supplied
    /// (`noise`). Every option is checked before anything is drawn or written.
    private static func setNoise(_ a: LuaArguments, _ o: LuaOptions, _ p: ForwardPass) throws {
        let L = a.L, layerCount = p.shape.layerCount
        if o.has(noiseOption) {
            let i = o.slot(noiseOption)
            guard let v = nrl_to_vector(L, i), v.pointee.object != nil else { throw o.expected(noiseOption, "vector") }
            let n = p.shape.unitCount
            guard Int(v.pointee.count) == n else {
                throw o.fail(noiseOption, "vector of \(n) numbers (n_1+…+n_L) expected, got one of \(v.pointee.count)")
            }
            if v.pointee.is_double != 0 {
                let d = v.pointee.data.assumingMemoryBound(to: Double.self)
                for k in 0..<n where !Float(d[k]).isFinite {
                    throw o.fail(noiseOption, "noise[\(k + 1)] is not a finite Float32 (\(d[k]))")
                }
                p.setNoise(d)
            } else {
                let f = v.pointee.data.assumingMemoryBound(to: Float.self)
                for k in 0..<n where !f[k].isFinite { throw o.fail(noiseOption, "noise[\(k + 1)] is not finite (\(f[k]))") }
                p.setNoise(f)
            }
            return
        }
        // sigma: a number, or one per layer
        let sigmaSlot = o.slot(sigmaOption)
        var uniform = 0.0
        let perLayer: Bool
        switch lua_type(L, sigmaSlot) {
        case LUA_TNUMBER:
            perLayer = false
            uniform = nrl_lua_tonumber(L, sigmaSlot)
            guard uniform.isFinite && uniform >= 0 else { throw o.fail(sigmaOption, "finite number ≥ 0 expected, got \(a.state.describe(sigmaSlot))") }
        case LUA_TTABLE:
            perLayer = true
            let count = Int(lua_rawlen(L, sigmaSlot))
            guard count == layerCount else {
                throw o.fail(sigmaOption, "table of \(layerCount) numbers (one σ per layer) expected, got \(count)")
            }
            for l in 1...layerCount {
                lua_rawgeti(L, sigmaSlot, lua_Integer(l))
                defer { nrl_lua_pop(L, 1) }
                let s = lua_type(L, -1) == LUA_TNUMBER ? nrl_lua_tonumber(L, -1) : -1
                guard lua_type(L, -1) == LUA_TNUMBER, s.isFinite, s >= 0 else {
                    throw o.fail(sigmaOption, "sigma[\(l)] must be a finite number ≥ 0, got \(a.state.describe(-1))")
                }
            }
        default:
            throw o.expected(sigmaOption, "number or table of \(layerCount) numbers")
        }
        // layers: a list of distinct layer numbers
        let layersSlot = o.has(layersOption) ? o.slot(layersOption) : 0
        var listed = 0
        if layersSlot != 0 {
            guard lua_type(L, layersSlot) == LUA_TTABLE else { throw o.expected(layersOption, "table of layer numbers") }
            listed = Int(lua_rawlen(L, layersSlot))
            for k in 1...max(listed, 1) where k <= listed {
                let l = layerEntry(L, layersSlot, k)
                guard l >= 1 && l <= layerCount else {
                    lua_rawgeti(L, layersSlot, lua_Integer(k))
                    defer { nrl_lua_pop(L, 1) }
                    throw o.fail(layersOption, "layers[\(k)] must be a layer in 1..\(layerCount), got \(a.state.describe(-1))")
                }
                for j in 1..<k where layerEntry(L, layersSlot, j) == l {
                    throw o.fail(layersOption, "layer \(l) is listed twice")
                }
            }
        }
        if !perLayer && layersSlot == 0 {
            // today's draw: every layer, unit by unit
            if uniform > 0 {
                let generator = a.withSession { $0.noiseGenerator }  // no closure around the draw: it would retain p
                p.drawNoise(sigma: uniform, &generator.pointee)
            } else {
                p.zeroNoise()
            }
            return
        }
        a.withSession { session in
            for l in 1...layerCount {
                var sigma = uniform
                if perLayer {
                    lua_rawgeti(L, sigmaSlot, lua_Integer(l))
                    sigma = nrl_lua_tonumber(L, -1)
                    nrl_lua_pop(L, 1)
                }
                if layersSlot != 0 {
                    var isListed = false
                    for k in 1...max(listed, 1) where k <= listed && layerEntry(L, layersSlot, k) == l { isListed = true }
                    if !isListed { sigma = 0 }
                }
                p.drawNoise(layer: l - 1, sigma: sigma, &session.noiseGenerator.pointee)
            }
        }
    }

    /// layers[k] as a layer number, or 0 when it is not an integer.
    @inline(__always)
    private static func layerEntry(_ L: OpaquePointer, _ table: Int32, _ k: Int) -> Int {
        lua_rawgeti(L, table, lua_Integer(k))
        defer { nrl_lua_pop(L, 1) }
        var isInteger: Int32 = 0
        let v = nrl_lua_tointeger(L, -1, &isInteger)
        return lua_type(L, -1) == LUA_TNUMBER && isInteger != 0 && v >= 1 && v <= Int32.max ? Int(v) : 0
    }

    static let addNoiseOuterOptions = LuaOptions.Names(["inputs", "norm", "scaling"])

    /// m:add_noise_outer(noisy [, c [, { inputs =, norm =, scaling = }]]) → m:
    /// m_l += Float(c · k_l / norm_l) · ξ_l x_{l−1}ᵀ, ξ from `noisy`, x from `inputs` (default `noisy`).
    static func addNoiseOuter(_ a: LuaArguments) throws -> Int32 {
        let scale = a.isNone(3) ? 1 : try a.finiteNumber(3)
        let o = try LuaOptions(a, 4, addNoiseOuterOptions)
        let norm = try o.choice(1, NoiseNormalization.none, LuaOptions.normalizations)
        let scaling = try o.choice(2, StepScaling.paper, LuaOptions.scalings)
        try a.withMatrices(1) { m in
            try a.withPass(2) { noisy in
                try sameShape({ .argument(2, $0) }, m.shape, noisy.shape)
                guard noisy.isNoisy else {
                    throw LuaCallFailure.argument(2, "noisy pass expected (from forward with sigma or noise), got a clean one")
                }
                if o.has(0) {
                    try o.withPass(0) { inputs in
                        try sameShape({ o.fail(0, $0) }, m.shape, inputs.shape)
                        m.addNoiseOuterProducts(noiseOf: noisy, inputsOf: inputs, scale: scale, normalization: norm, scaling: scaling)
                    }
                } else {
                    m.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: scale, normalization: norm, scaling: scaling)
                }
            }
        }
        a.pushCopy(1)
        return 1
    }

    static let addOptions = LuaOptions.Names(["scaling"])

    /// m:add(other [, c [, { scaling = }]]) → m: m_l += Float(c · k_l) · other_l (c default 1).
    static func add(_ a: LuaArguments) throws -> Int32 {
        let scale = a.isNone(3) ? 1 : try a.finiteNumber(3)
        let scaling = try LuaOptions(a, 4, addOptions).choice(0, StepScaling.paper, LuaOptions.scalings)
        try a.withMatrices(1) { m in
            try a.withMatrices(2) { other in
                try sameShape({ .argument(2, $0) }, m.shape, other.shape)
                m.add(other, scale: scale, scaling: scaling)
            }
        }
        a.pushCopy(1)
        return 1
    }
}

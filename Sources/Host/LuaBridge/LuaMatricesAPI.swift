import NRLCore
import CLua
import CLuaShim

/// `matrices`: the network's weights (`ctx.net`) and anything shaped like them — eligibility traces,
/// gradient sums, weight perturbations. One row-major n_l × n_{l−1} matrix per layer.
enum LuaMatricesAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("forward", { L in LuaAPI.run(L) { try LuaForwardAPI.forward($0) } }),
        ("pass", { L in LuaAPI.run(L) { try newPass($0) } }),
        ("zeros", { L in LuaAPI.run(L) { try zeros($0) } }),
        ("add", { L in LuaAPI.run(L) { try LuaForwardAPI.add($0) } }),
        ("add_noise_outer", { L in LuaAPI.run(L) { try LuaForwardAPI.addNoiseOuter($0) } }),
        ("add_gradient", { L in LuaAPI.run(L) { try addGradient($0) } }),
        ("sizes", { L in LuaAPI.run(L) { try sizes($0) } }),
        ("get", { L in LuaAPI.run(L) { try get($0) } }),
        ("put", { L in LuaAPI.run(L) { try put($0) } }),
    ]

    @inline(__always)
    private static func sameShape(_ a: LuaArguments, _ i: Int32, _ shape: NetworkShape, _ other: NetworkShape) throws {
        try LuaAPI.requireSameShape(shape, other) { .argument(i, $0) }
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

    /// m:add_gradient(pass, action [, scale [, weights]]) → m: m += Float(scale) · ∇_W log π(action), by
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
        a.pushCopy(1)
        return 1
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

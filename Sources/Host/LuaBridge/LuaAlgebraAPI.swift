import NRLCore
import CLua
import CLuaShim

/// Element-wise algebra on "sets": matrices (one Float32 buffer for all layers), Float32 vector
/// views (a layer of a matrices object, an observation, a pass's views) and Double script vectors.
/// The same names work on matrices and on vectors, and one implementation serves both: every set
/// is an `ElementRun` (a pointer, a count, Float or Double), and the kernels below are generic over
/// the element type. A Float32 set computes in Float32, element by element (a number argument is
/// rounded to Float32 first); a Double set in Double; reductions accumulate in Double, in order.
/// Mutators work in place on the receiver and return it, so calls chain. Nothing allocates, except
/// `copy` (a new set, by definition) and a layer view the first time it is asked for.
enum LuaAlgebraAPI {
    /// Appended to `LuaMatricesAPI.methods`.
    static let matricesMethods: [(String, nrl_native_fn)] = [
        ("set", { L in LuaAPI.run(L) { try set($0, .matrices) } }),
        ("fill", { L in LuaAPI.run(L) { a in try map(a, .matrices, .fill(try a.finiteNumber(2))) } }),
        ("zero", { L in LuaAPI.run(L) { try map($0, .matrices, .fill(0)) } }),
        ("copy", { L in LuaAPI.run(L) { try copy($0, .matrices) } }),
        ("scale", { L in LuaAPI.run(L) { a in try map(a, .matrices, .scale(try a.finiteNumber(2))) } }),
        ("shift", { L in LuaAPI.run(L) { a in try map(a, .matrices, .shift(try a.finiteNumber(2))) } }),
        ("mul", { L in LuaAPI.run(L) { try zip($0, .matrices, .mul) } }),
        ("div", { L in LuaAPI.run(L) { try zip($0, .matrices, .div) } }),
        ("square", { L in LuaAPI.run(L) { try map($0, .matrices, .square) } }),
        ("sqrt", { L in LuaAPI.run(L) { try map($0, .matrices, .sqrt) } }),
        ("abs", { L in LuaAPI.run(L) { try map($0, .matrices, .abs) } }),
        ("sign", { L in LuaAPI.run(L) { try map($0, .matrices, .sign) } }),
        ("clamp", { L in LuaAPI.run(L) { try clamp($0, .matrices) } }),
        ("clip_norm", { L in LuaAPI.run(L) { try clipNorm($0, .matrices) } }),
        ("clip_layer_norm", { L in LuaAPI.run(L) { try clipLayerNorm($0) } }),
        ("sum", { L in LuaAPI.run(L) { try reduce($0, .matrices, .sum) } }),
        ("norm", { L in LuaAPI.run(L) { try reduce($0, .matrices, .norm) } }),
        ("sqnorm", { L in LuaAPI.run(L) { try reduce($0, .matrices, .sqnorm) } }),
        ("max", { L in LuaAPI.run(L) { try reduce($0, .matrices, .max) } }),
        ("min", { L in LuaAPI.run(L) { try reduce($0, .matrices, .min) } }),
        ("dot", { L in LuaAPI.run(L) { try dot($0, .matrices) } }),
        ("finite", { L in LuaAPI.run(L) { try finite($0, .matrices) } }),
        ("fill_normal", { L in LuaAPI.run(L) { try fillNormal($0, .matrices) } }),
        ("layer", { L in LuaAPI.run(L) { try layerView($0) } }),
        ("add_outer", { L in LuaAPI.run(L) { try addOuter($0) } }),
    ]

    /// Appended to `LuaVectorAPI.methods`.
    static let vectorMethods: [(String, nrl_native_fn)] = [
        ("set", { L in LuaAPI.run(L) { try set($0, .vector) } }),
        ("fill", { L in LuaAPI.run(L) { a in try map(a, .vector, .fill(try a.finiteNumber(2))) } }),
        ("zero", { L in LuaAPI.run(L) { try map($0, .vector, .fill(0)) } }),
        ("copy", { L in LuaAPI.run(L) { try copy($0, .vector) } }),
        ("scale", { L in LuaAPI.run(L) { a in try map(a, .vector, .scale(try a.finiteNumber(2))) } }),
        ("shift", { L in LuaAPI.run(L) { a in try map(a, .vector, .shift(try a.finiteNumber(2))) } }),
        ("add", { L in LuaAPI.run(L) { try add($0) } }),
        ("mul", { L in LuaAPI.run(L) { try zip($0, .vector, .mul) } }),
        ("div", { L in LuaAPI.run(L) { try zip($0, .vector, .div) } }),
        ("square", { L in LuaAPI.run(L) { try map($0, .vector, .square) } }),
        ("sqrt", { L in LuaAPI.run(L) { try map($0, .vector, .sqrt) } }),
        ("abs", { L in LuaAPI.run(L) { try map($0, .vector, .abs) } }),
        ("sign", { L in LuaAPI.run(L) { try map($0, .vector, .sign) } }),
        ("clamp", { L in LuaAPI.run(L) { try clamp($0, .vector) } }),
        ("clip_norm", { L in LuaAPI.run(L) { try clipNorm($0, .vector) } }),
        ("sum", { L in LuaAPI.run(L) { try reduce($0, .vector, .sum) } }),
        ("norm", { L in LuaAPI.run(L) { try reduce($0, .vector, .norm) } }),
        ("sqnorm", { L in LuaAPI.run(L) { try reduce($0, .vector, .sqnorm) } }),
        ("max", { L in LuaAPI.run(L) { try reduce($0, .vector, .max) } }),
        ("min", { L in LuaAPI.run(L) { try reduce($0, .vector, .min) } }),
        ("dot", { L in LuaAPI.run(L) { try dot($0, .vector) } }),
        ("finite", { L in LuaAPI.run(L) { try finite($0, .vector) } }),
        ("fill_normal", { L in LuaAPI.run(L) { try fillNormal($0, .vector) } }),
    ]

    // MARK: Sets as runs of elements

    /// Which host type a method was called on: its receiver and its other sets are of this type.
    enum SetKind { case matrices, vector }

    /// One set's elements: all of a matrices object, or a vector's.
    struct ElementRun {
        let data: UnsafeMutableRawPointer
        let count: Int
        let isDouble: Bool
        /// The matrices object (not retained: the userdata on the Lua stack keeps it for the call).
        let matrices: Unmanaged<LayerMatrices>?

        var floats: UnsafeMutablePointer<Float> { data.assumingMemoryBound(to: Float.self) }
        var doubles: UnsafeMutablePointer<Double> { data.assumingMemoryBound(to: Double.self) }

        /// Layer l (0-based) of a matrices run.
        func layer(_ l: Int) -> ElementRun {
            matrices!._withUnsafeGuaranteedRef { m in
                ElementRun(data: UnsafeMutableRawPointer(m.layer(l)), count: m.shape.inputs(l) * m.shape.outputs(l),
                           isDouble: false, matrices: matrices)
            }
        }
    }

    /// The set at argument `i`; a vector receiver of a mutator must be writable.
    @inline(__always)
    static func elements(_ a: LuaArguments, _ i: Int32, _ kind: SetKind, writable: Bool = false) throws -> ElementRun {
        switch kind {
        case .matrices:
            guard let raw = nrl_object_at(a.L, i, HostTag.matrices.rawValue) else { throw a.expected(i, "matrices") }
            let m = Unmanaged<LayerMatrices>.fromOpaque(raw)
            return m._withUnsafeGuaranteedRef {
                ElementRun(data: UnsafeMutableRawPointer($0.values), count: $0.count, isDouble: false, matrices: m)
            }
        case .vector:
            let v = try a.vector(i)
            if writable && v.pointee.writable == 0 {
                throw LuaCallFailure.argument(i, "writable vector expected, got a read-only view (copy it first)")
            }
            return ElementRun(data: v.pointee.data, count: Int(v.pointee.count), isDouble: v.pointee.is_double != 0, matrices: nil)
        }
    }

    /// The set at argument `i`, which must have x's shape (matrices) or length (vectors).
    @inline(__always)
    static func operand(_ a: LuaArguments, _ i: Int32, like x: ElementRun, _ kind: SetKind) throws -> ElementRun {
        let y = try elements(a, i, kind)
        if let xm = x.matrices, let ym = y.matrices {
            if xm.toOpaque() != ym.toOpaque() {
                try xm._withUnsafeGuaranteedRef { m in
                    try ym._withUnsafeGuaranteedRef { o in
                        try LuaAPI.requireSameShape(m.shape, o.shape) { .argument(i, $0) }
                    }
                }
            }
        } else if y.count != x.count {
            throw LuaCallFailure.argument(i, "vector of \(x.count) expected, got one of \(y.count)")
        }
        return y
    }

    /// The optional layer argument `i` of a reduction: the layer's run on matrices, the whole run
    /// when absent. Vectors have no layers.
    static func optionalLayer(_ a: LuaArguments, _ i: Int32, _ x: ElementRun) throws -> ElementRun {
        if a.isNone(i) { return x }
        guard let m = x.matrices else {
            throw LuaCallFailure.argument(i, "no argument expected (a layer is for matrices), got \(a.state.typeName(i))")
        }
        let l = try m._withUnsafeGuaranteedRef { try LuaPassAPI.layer(a, i, $0.shape) }
        return x.layer(l)
    }

    /// Leaves the receiver (argument 1) as the call's result.
    @inline(__always)
    static func receiver(_ a: LuaArguments) -> Int32 {
        a.pushCopy(1)
        return 1
    }

    // MARK: Kernels, generic over Float and Double

    enum MapOp { case fill(Double), scale(Double), shift(Double), square, sqrt, abs, sign, clamp(Double, Double) }
    enum ZipOp { case set, add(Double), mul, div }
    enum ReduceOp { case sum, sqnorm, norm, max, min }

    @inline(__always)
    static func map<T: BinaryFloatingPoint>(_ op: MapOp, _ x: UnsafeMutablePointer<T>, _ n: Int) {
        switch op {
        case .fill(let c):
            x.update(repeating: T(c), count: n)
        case .scale(let c):
            let k = T(c)
            for i in 0..<n { x[i] = x[i] * k }
        case .shift(let c):
            let k = T(c)
            for i in 0..<n { x[i] = x[i] + k }
        case .square:
            for i in 0..<n { x[i] = x[i] * x[i] }
        case .sqrt:
            for i in 0..<n { x[i] = x[i].squareRoot() }
        case .abs:
            for i in 0..<n { x[i] = x[i].magnitude }
        case .sign:
            // −1, 0 or +1; NaN stays NaN.
            for i in 0..<n { let v = x[i]; x[i] = v > 0 ? 1 : v < 0 ? -1 : v == 0 ? 0 : v }
        case .clamp(let lo, let hi):
            // NaN stays NaN.
            let l = T(lo), h = T(hi)
            for i in 0..<n { let v = x[i]; x[i] = v < l ? l : v > h ? h : v }
        }
    }

    static func map(_ op: MapOp, _ x: ElementRun) {
        if x.isDouble { map(op, x.doubles, x.count) } else { map(op, x.floats, x.count) }
    }

    /// x ← x op y element by element, y's elements converted to x's type first.
    @inline(__always)
    static func zip<T: BinaryFloatingPoint, U: BinaryFloatingPoint>(_ op: ZipOp, _ x: UnsafeMutablePointer<T>,
                                                                    _ y: UnsafeMutablePointer<U>, _ n: Int) {
        switch op {
        case .set:
            for i in 0..<n { x[i] = T(y[i]) }
        case .add(let c):
            let k = T(c)
            for i in 0..<n { x[i] = x[i] + k * T(y[i]) }
        case .mul:
            for i in 0..<n { x[i] = x[i] * T(y[i]) }
        case .div:
            for i in 0..<n { x[i] = x[i] / T(y[i]) }
        }
    }

    static func zip(_ op: ZipOp, _ x: ElementRun, _ y: ElementRun) {
        switch (x.isDouble, y.isDouble) {
        case (false, false): zip(op, x.floats, y.floats, x.count)
        case (false, true): zip(op, x.floats, y.doubles, x.count)
        case (true, false): zip(op, x.doubles, y.floats, x.count)
        case (true, true): zip(op, x.doubles, y.doubles, x.count)
        }
    }

    /// A reduction in Double, in index order. max and min are NaN if any element is.
    @inline(__always)
    static func reduce<T: BinaryFloatingPoint>(_ op: ReduceOp, _ x: UnsafeMutablePointer<T>, _ n: Int) -> Double {
        switch op {
        case .sum:
            var s = 0.0
            for i in 0..<n { s += Double(x[i]) }
            return s
        case .sqnorm, .norm:
            var s = 0.0
            for i in 0..<n { let v = Double(x[i]); s += v * v }
            return op == .norm ? s.squareRoot() : s
        case .max, .min:
            var m = Double(x[0]), nan = false
            for i in 0..<n {
                let v = Double(x[i])
                if v.isNaN { nan = true } else if op == .max ? v > m : v < m { m = v }
            }
            return nan ? .nan : m
        }
    }

    static func reduce(_ op: ReduceOp, _ x: ElementRun) -> Double {
        x.isDouble ? reduce(op, x.doubles, x.count) : reduce(op, x.floats, x.count)
    }

    @inline(__always)
    static func dot<T: BinaryFloatingPoint, U: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<U>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s += Double(x[i]) * Double(y[i]) }
        return s
    }

    @inline(__always)
    static func allFinite<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ n: Int) -> Bool {
        var ok = true
        for i in 0..<n where !x[i].isFinite { ok = false }
        return ok
    }

    // MARK: The methods

    /// x:fill(c), x:zero(), x:scale(c), x:shift(c), x:square(), x:sqrt(), x:abs(), x:sign() → x.
    static func map(_ a: LuaArguments, _ kind: SetKind, _ op: MapOp) throws -> Int32 {
        map(op, try elements(a, 1, kind, writable: true))
        return receiver(a)
    }

    /// x:set(y) → x: x ← y.
    static func set(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind, writable: true)
        zip(.set, x, try operand(a, 2, like: x, kind))
        return receiver(a)
    }

    /// v:add(w [, c]) → v: v ← v + c·w (c = 1 by default). (Matrices keep their own `add`, with
    /// the layer factor k_l: LuaMatricesAPI.)
    static func add(_ a: LuaArguments) throws -> Int32 {
        let x = try elements(a, 1, .vector, writable: true)
        let y = try operand(a, 2, like: x, .vector)
        zip(.add(a.isNone(3) ? 1 : try a.finiteNumber(3)), x, y)
        return receiver(a)
    }

    /// x:mul(y), x:div(y) → x: element-wise product or quotient.
    static func zip(_ a: LuaArguments, _ kind: SetKind, _ op: ZipOp) throws -> Int32 {
        let x = try elements(a, 1, kind, writable: true)
        zip(op, x, try operand(a, 2, like: x, kind))
        return receiver(a)
    }

    /// x:clamp(lo, hi) → x: every element into [lo, hi]; lo ≤ hi, neither NaN (±math.huge is fine).
    static func clamp(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind, writable: true)
        let lo = try a.number(2), hi = try a.number(3)
        guard !lo.isNaN else { throw LuaCallFailure.argument(2, "non-NaN number expected, got nan") }
        guard !hi.isNaN else { throw LuaCallFailure.argument(3, "non-NaN number expected, got nan") }
        guard lo <= hi else { throw LuaCallFailure.argument(3, "hi ≥ lo expected, got lo = \(lo), hi = \(hi)") }
        map(.clamp(lo, hi), x)
        return receiver(a)
    }

    /// A norm bound: a number ≥ 0 (math.huge allowed), not NaN.
    private static func bound(_ a: LuaArguments, _ i: Int32) throws -> Double {
        let b = try a.number(i)
        guard b >= 0 else { throw LuaCallFailure.argument(i, "max ≥ 0 expected, got \(b.isNaN ? "nan" : "\(b)")") }
        return b
    }

    /// Scales x so that ‖x‖₂ ≤ max; returns the norm before.
    private static func clip(_ x: ElementRun, _ max: Double) -> Double {
        let norm = reduce(.norm, x)
        if norm > max { map(.scale(max / norm), x) }
        return norm
    }

    /// x:clip_norm(max) → x, ‖x‖₂ before: x scaled by max/‖x‖₂ when its norm exceeds max.
    static func clipNorm(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind, writable: true)
        let norm = clip(x, try bound(a, 2))
        a.pushCopy(1)
        a.push(norm)
        return 2
    }

    /// m:clip_layer_norm(max) → m: every layer clipped to norm max on its own.
    static func clipLayerNorm(_ a: LuaArguments) throws -> Int32 {
        let x = try elements(a, 1, .matrices, writable: true)
        let max = try bound(a, 2)
        let layers = x.matrices!._withUnsafeGuaranteedRef { $0.shape.layerCount }
        for l in 0..<layers { _ = clip(x.layer(l), max) }
        return receiver(a)
    }

    /// x:sum([layer]), x:norm([layer]), x:sqnorm([layer]), x:max([layer]), x:min([layer]) → number.
    static func reduce(_ a: LuaArguments, _ kind: SetKind, _ op: ReduceOp) throws -> Int32 {
        let x = try optionalLayer(a, 2, try elements(a, 1, kind))
        if x.count == 0 && (op == .max || op == .min) {
            throw LuaCallFailure.argument(1, "non-empty vector expected")
        }
        a.push(reduce(op, x))
        return 1
    }

    /// x:dot(y) → Σ x_i y_i (in Double).
    static func dot(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind)
        let y = try operand(a, 2, like: x, kind)
        let d: Double
        switch (x.isDouble, y.isDouble) {
        case (false, false): d = dot(x.floats, y.floats, x.count)
        case (false, true): d = dot(x.floats, y.doubles, x.count)
        case (true, false): d = dot(x.doubles, y.floats, x.count)
        case (true, true): d = dot(x.doubles, y.doubles, x.count)
        }
        a.push(d)
        return 1
    }

    /// x:finite() → false if any element is NaN or infinite.
    static func finite(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind)
        a.push(x.isDouble ? allFinite(x.doubles, x.count) : allFinite(x.floats, x.count))
        return 1
    }

    /// x:copy() → a new set with x's values: matrices of x's shape, or a writable Double vector.
    static func copy(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        switch kind {
        case .matrices:
            let m = try a.matrices(1)
            try LuaAPI.pushNewMatrices(a.state, m.shape, copying: m)
        case .vector:
            let x = try elements(a, 1, .vector)
            try LuaAPI.pushNewVector(a.state, count: x.count)
            let c = nrl_to_vector(a.L, -1)!.pointee
            zip(.set, ElementRun(data: c.data, count: x.count, isDouble: true, matrices: nil), x)
        }
        return 1
    }

    /// x:fill_normal(sigma) → x: every element Float(σ · N(0, 1)) from the run's noise stream, in
    /// order — the very numbers `Gaussian.fill` gives node noise (`ForwardPass.drawNoise`), so a
    /// vector of N elements filled with σ is, element for element, the ξ a noisy pass with σ would
    /// have drawn from the same stream state. A Double vector holds those Float32 values exactly.
    static func fillNormal(_ a: LuaArguments, _ kind: SetKind) throws -> Int32 {
        let x = try elements(a, 1, kind, writable: true)
        let sigma = try a.finiteNumber(2)
        guard sigma >= 0 else { throw LuaCallFailure.argument(2, "sigma must be ≥ 0, got \(sigma)") }
        a.withSession { s in
            if x.isDouble {
                let d = x.doubles
                for i in 0..<x.count { d[i] = Double(Float(sigma * Gaussian.sample(&s.noiseGenerator.pointee))) }
            } else {
                Gaussian.fill(x.floats, count: x.count, sigma: sigma, &s.noiseGenerator.pointee)
            }
        }
        return receiver(a)
    }

    /// m:layer(l) → a writable Float32 vector over layer l's n_l·n_{l−1} weights, row-major (element
    /// (i−1)·n_{l−1}+j is row i, column j). It keeps m's storage alive; made once per layer and
    /// cached in m's user value, so asking every step allocates nothing.
    static func layerView(_ a: LuaArguments) throws -> Int32 {
        let m = try a.matrices(1)
        let l = try LuaPassAPI.layer(a, 2, m.shape)
        let L = a.L
        let cached = lua_getiuservalue(L, 1, 1) == LUA_TTABLE
        if cached {
            if lua_rawgeti(L, -1, lua_Integer(l + 1)) == LUA_TUSERDATA, let v = nrl_to_vector(L, -1), v.pointee.object != nil {
                nrl_lua_remove(L, -2)
                return 1
            }
            a.state.pop()
        } else {
            a.state.pop()
        }
        LuaAPI.pushVector(a.state, owner: m, data: UnsafeMutableRawPointer(m.layer(l)),
                          count: m.shape.inputs(l) * m.shape.outputs(l), isDouble: false, writable: true)
        if cached {
            lua_pushvalue(L, -1)
            lua_rawseti(L, -3, lua_Integer(l + 1))
            nrl_lua_remove(L, -2)
        }
        return 1
    }

    /// m:add_outer(l, post, pre [, c]) → m: m_l += c · post preᵀ, i.e. element (i, j) +=
    /// (Float(c)·post_i)·pre_j in Float32 — the arithmetic of the native outer products.
    static func addOuter(_ a: LuaArguments) throws -> Int32 {
        let x = try elements(a, 1, .matrices, writable: true)
        let (l, rows, cols, w) = try x.matrices!._withUnsafeGuaranteedRef { m in
            let l = try LuaPassAPI.layer(a, 2, m.shape)
            return (l, m.shape.outputs(l), m.shape.inputs(l), m.layer(l))
        }
        let post = try elements(a, 3, .vector), pre = try elements(a, 4, .vector)
        guard post.count == rows else {
            throw LuaCallFailure.argument(3, "vector of \(rows) expected (n_\(l + 1), the rows of layer \(l + 1)), got one of \(post.count)")
        }
        guard pre.count == cols else {
            throw LuaCallFailure.argument(4, "vector of \(cols) expected (n_\(l), the columns of layer \(l + 1)), got one of \(pre.count)")
        }
        let scale = Float(a.isNone(5) ? 1 : try a.finiteNumber(5))
        for i in 0..<rows {
            let u = scale * (post.isDouble ? Float(post.doubles[i]) : post.floats[i])
            let row = w + i &* cols
            if pre.isDouble {
                let v = pre.doubles
                for j in 0..<cols { row[j] += u * Float(v[j]) }
            } else {
                Kernels.axpy(u, pre.floats, row, cols)
            }
        }
        return receiver(a)
    }
}

import NRLCore
import CLua
import CLuaShim

/// `vector`: a run of numbers, Float32 (observations, views of passes) or Double (probabilities,
/// vectors scripts make). Indexing `v[i]`, `#v` and `tostring(v)` are done in C (CLua/Shim/vector.c);
/// the methods below do the arithmetic natively, in Double.
enum LuaVectorAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("zero", { L in LuaAPI.run(L) { try fill($0, 0) } }),
        ("fill", { L in LuaAPI.run(L) { a in try fill(a, try a.finiteNumber(2)) } }),
        ("add", { L in LuaAPI.run(L) { try add($0) } }),
        ("mul", { L in LuaAPI.run(L) { a in let x = try a.finiteNumber(2); return try map(a) { $0 * x } } }),
        ("div", { L in LuaAPI.run(L) { a in let x = try a.finiteNumber(2); return try map(a) { $0 / x } } }),
        ("set", { L in LuaAPI.run(L) { try set($0) } }),
        ("sum", { L in LuaAPI.run(L) { try reduce($0) { v in (0..<v.count).reduce(0.0) { $0 + v[$1] } } } }),
        ("dot", { L in LuaAPI.run(L) { try dot($0) } }),
        ("argmax", { L in LuaAPI.run(L) { try argmax($0) } }),
        ("sample", { L in LuaAPI.run(L) { try sample($0) } }),
        ("clone", { L in LuaAPI.run(L) { try clone($0) } }),
        ("totable", { L in LuaAPI.run(L) { try toTable($0) } }),
    ]

    /// Element access for either storage.
    struct Elements {
        let v: nrl_vector
        var count: Int { Int(v.count) }
        subscript(i: Int) -> Double {
            get { v.is_double != 0 ? v.data.assumingMemoryBound(to: Double.self)[i] : Double(v.data.assumingMemoryBound(to: Float.self)[i]) }
            nonmutating set {
                if v.is_double != 0 { v.data.assumingMemoryBound(to: Double.self)[i] = newValue }
                else { v.data.assumingMemoryBound(to: Float.self)[i] = Float(newValue) }
            }
        }
    }

    private static func writable(_ a: LuaArguments, _ i: Int32) throws -> Elements {
        let v = try a.vector(i)
        guard v.pointee.writable != 0 else { throw LuaCallFailure.argument(i, "writable vector expected, got a read-only view (clone it first)") }
        return Elements(v: v.pointee)
    }

    private static func sameLength(_ a: LuaArguments, _ i: Int32, _ v: Elements) throws -> Elements {
        let w = Elements(v: try a.vector(i).pointee)
        guard w.count == v.count else { throw LuaCallFailure.argument(i, "vector of \(v.count) expected, got one of \(w.count)") }
        return w
    }

    static func fill(_ a: LuaArguments, _ x: Double) throws -> Int32 {
        let v = try writable(a, 1)
        for i in 0..<v.count { v[i] = x }
        return 0
    }

    /// v:add(w [, scale]): v[i] += w[i] (or scale · w[i]).
    static func add(_ a: LuaArguments) throws -> Int32 {
        let v = try writable(a, 1)
        let w = try sameLength(a, 2, v)
        if a.isNone(3) {
            for i in 0..<v.count { v[i] += w[i] }
        } else {
            let scale = try a.finiteNumber(3)
            for i in 0..<v.count { v[i] += scale * w[i] }
        }
        return 0
    }

    static func map(_ a: LuaArguments, _ f: (Double) throws -> Double) throws -> Int32 {
        let v = try writable(a, 1)
        for i in 0..<v.count { v[i] = try f(v[i]) }
        return 0
    }

    /// v:set(w): v[i] = w[i].
    static func set(_ a: LuaArguments) throws -> Int32 {
        let v = try writable(a, 1)
        let w = try sameLength(a, 2, v)
        for i in 0..<v.count { v[i] = w[i] }
        return 0
    }

    static func reduce(_ a: LuaArguments, _ f: (Elements) -> Double) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        guard v.count > 0 else { throw LuaCallFailure.argument(1, "non-empty vector expected") }
        a.push(f(v))
        return 1
    }

    /// v:argmax() → the index (1…#v) of the largest element (the first, on ties).
    static func argmax(_ a: LuaArguments) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        guard v.count > 0 else { throw LuaCallFailure.argument(1, "non-empty vector expected") }
        var best = 0
        for i in 1..<v.count where v[i] > v[best] { best = i }
        a.push(best + 1)
        return 1
    }

    static func dot(_ a: LuaArguments) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        let w = try sameLength(a, 2, v)
        a.push((0..<v.count).reduce(0.0) { $0 + v[$1] * w[$1] })
        return 1
    }

    /// v:sample() → an index (1…#v) drawn with probabilities v from the run's action stream.
    static func sample(_ a: LuaArguments) throws -> Int32 {
        let v = try a.vector(1).pointee
        guard v.count > 0 else { throw LuaCallFailure.argument(1, "non-empty vector expected") }
        let s = a.session
        if v.is_double != 0 {
            a.push(Categorical.sample(v.data.assumingMemoryBound(to: Double.self), count: Int(v.count), &s.actions.generator.pointee) + 1)
        } else {
            let e = Elements(v: v)
            let d = (0..<e.count).map { e[$0] }
            a.push(d.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, count: e.count, &s.actions.generator.pointee) } + 1)
        }
        return 1
    }

    /// v:clone() → a new writable Double vector with v's values.
    static func clone(_ a: LuaArguments) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        try LuaAPI.pushNewVector(a.state, count: v.count)
        let c = Elements(v: nrl_to_vector(a.L, -1).pointee)
        for i in 0..<v.count { c[i] = v[i] }
        return 1
    }

    static func toTable(_ a: LuaArguments) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        lua_createtable(a.L, Int32(v.count), 0)
        for i in 0..<v.count {
            a.push(v[i])
            lua_rawseti(a.L, -2, lua_Integer(i + 1))
        }
        return 1
    }
}

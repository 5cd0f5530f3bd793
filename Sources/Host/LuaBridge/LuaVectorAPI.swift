import NRLCore
import CLua
import CLuaShim

/// `vector`: a run of numbers, Float32 (observations, views of passes) or Double (probabilities,
/// vectors scripts make). Indexing `v[i]`, `#v` and `tostring(v)` are done in C (CLua/Shim/vector.c);
/// the methods below and the element-wise algebra (LuaAlgebraAPI) run natively.
enum LuaVectorAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("argmax", { L in LuaAPI.run(L) { try argmax($0) } }),
        ("sample", { L in LuaAPI.run(L) { try sample($0) } }),
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

    /// v:argmax() → the index (1…#v) of the largest element (the first, on ties).
    static func argmax(_ a: LuaArguments) throws -> Int32 {
        let v = Elements(v: try a.vector(1).pointee)
        guard v.count > 0 else { throw LuaCallFailure.argument(1, "non-empty vector expected") }
        var best = 0
        for i in 1..<v.count where v[i] > v[best] { best = i }
        a.push(best + 1)
        return 1
    }

    /// v:sample() → an index (1…#v) drawn with probabilities v from the run's action stream.
    static func sample(_ a: LuaArguments) throws -> Int32 {
        let v = try a.vector(1).pointee
        guard v.count > 0 else { throw LuaCallFailure.argument(1, "non-empty vector expected") }
        let s = a.session
        if v.is_double != 0 {
            a.push(Categorical.sample(v.data.assumingMemoryBound(to: Double.self), count: Int(v.count), &s.actionGenerator.pointee) + 1)
        } else {
            let e = Elements(v: v)
            let d = (0..<e.count).map { e[$0] }
            a.push(d.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, count: e.count, &s.actionGenerator.pointee) } + 1)
        }
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

import NRLCore
import CLua
import CLuaShim
import Foundation

/// A failure inside a Swift function called from Lua; `LuaAPI.run` hands it to the C trampoline,
/// which raises the Lua error once the Swift frame has returned.
enum LuaCallFailure: Error {
    /// "bad argument #n to 'f' (detail)"
    case argument(Int32, String)
    case message(String)
}

/// Registration of the host types and the plumbing every API function shares.
enum LuaAPI {
    /// Runs a Swift API function body and converts failures to the trampoline's return codes.
    @inline(__always)
    static func run(_ L: OpaquePointer?, _ body: (LuaArguments) throws -> Int32) -> Int32 {
        let args = LuaArguments(L: L!, stateReference: LuaState.unmanagedOwner(of: L!))
        do {
            return try body(args)
        } catch LuaCallFailure.argument(let index, let detail) {
            args.state.pushString(detail)
            return Int32(NRL_NATIVE_ARG_ERROR) - index
        } catch LuaCallFailure.message(let message) {
            args.state.pushString(message)
            return Int32(NRL_NATIVE_ERROR)
        } catch {
            args.state.pushString("\(error)")
            return Int32(NRL_NATIVE_ERROR)
        }
    }

    /// The metatable of a host type (methods, `__gc`, `__name`, a locked `__metatable`), as a
    /// registry reference.
    static func makeMetatable(_ s: LuaState, _ type: HostType) -> Int32 {
        let L = s.L
        lua_createtable(L, 0, Int32(type.methods.count))
        for (name, function) in type.methods {
            nrl_push_native(L, function)
            s.setRawField(-2, name)
        }
        let methodsIndex = s.top
        lua_createtable(L, 0, 6)
        if type.indexedInC {
            nrl_set_vector_metamethods(L, methodsIndex)
        } else {
            nrl_set_object_metamethods(L, methodsIndex)
        }
        nrl_push_native(L, { L in LuaAPI.collect(L!) })
        s.setRawField(-2, "__gc")
        s.pushString(type.name)
        s.setRawField(-2, "__name")
        // getmetatable(obj) returns this string, and setmetatable(obj, …) is refused.
        s.pushString("locked")
        s.setRawField(-2, "__metatable")
        let metatable = s.ref()
        s.pop()  // methods
        return metatable
    }

    /// `__gc`: releases the Swift object the userdata holds.
    private static func collect(_ L: OpaquePointer) -> Int32 {
        guard nrl_tag(L, 1) != 0, let p = lua_touserdata(L, 1) else { return 0 }
        let o = p.assumingMemoryBound(to: nrl_object.self)
        if let raw = o.pointee.object {
            Unmanaged<AnyObject>.fromOpaque(raw).release()
            o.pointee.object = nil
            nrl_release_host(L, o.pointee.bytes)
        }
        return 0
    }

    /// Charges a new host object's memory to the script's cap (a memory stop when it does not fit).
    static func charge(_ s: LuaState, bytes: Int) throws {
        guard nrl_charge_host(s.L, bytes) != 0 else {
            throw LuaCallFailure.message("memory limit exceeded (a new host object of \(bytes) bytes)")
        }
    }

    /// Pushes `object` as a new userdata of `type`, with `userValues` user values (each an empty
    /// table). `bytes`: host memory it holds, already charged with `charge`, released by `__gc`.
    static func push(_ s: LuaState, _ object: AnyObject, type: HostTag, userValues: Int32 = 0, bytes: Int = 0) {
        let tag = type.rawValue
        let p = lua_newuserdatauv(s.L, MemoryLayout<nrl_object>.size, userValues)!
        p.assumingMemoryBound(to: nrl_object.self).pointee =
            nrl_object(tag: tag, object: Unmanaged.passRetained(object).toOpaque(), bytes: bytes)
        for i in 0..<userValues {
            lua_createtable(s.L, 0, 4)
            lua_setiuservalue(s.L, -2, i + 1)
        }
        s.pushRef(s.types[tag]!.metatable)
        lua_setmetatable(s.L, -2)
    }

    /// Pushes a vector userdata over `count` elements at `data`, kept alive by `owner`.
    static func pushVector(_ s: LuaState, owner: AnyObject, data: UnsafeMutableRawPointer, count: Int,
                           isDouble: Bool, writable: Bool, bytes: Int = 0) {
        let p = lua_newuserdatauv(s.L, MemoryLayout<nrl_vector>.size, 0)!
        p.assumingMemoryBound(to: nrl_vector.self).pointee = nrl_vector(
            tag: HostTag.vector.rawValue, object: Unmanaged.passRetained(owner).toOpaque(), bytes: bytes, data: data,
            count: Int32(count), is_double: isDouble ? 1 : 0, writable: writable ? 1 : 0)
        s.pushRef(s.types[HostTag.vector.rawValue]!.metatable)
        lua_setmetatable(s.L, -2)
    }

    /// Pushes a fresh writable Double vector of `count` elements, all `fill` (charged to the cap).
    static func pushNewVector(_ s: LuaState, count: Int, fill: Double = 0) throws {
        try charge(s, bytes: count * 8)
        let storage = VectorStorage(count: count, fill: fill)
        pushVector(s, owner: storage, data: UnsafeMutableRawPointer(storage.values), count: count, isDouble: true,
                   writable: true, bytes: count * 8)
    }

    /// Pushes new matrices shaped like `shape` (charged to the cap), zero or a copy of `source`.
    static func pushNewMatrices(_ s: LuaState, _ shape: NetworkShape, copying source: LayerMatrices? = nil) throws {
        try charge(s, bytes: shape.weightCount * 4)
        let m = LayerMatrices(shape: shape)
        if let source { m.copy(from: source) }
        push(s, m, type: .matrices, userValues: 1, bytes: shape.weightCount * 4)  // user value: layer views
    }

    /// The Swift object of a userdata of `hostType` at `index`, or nil.
    @inline(__always)
    static func object<T: AnyObject>(_ L: OpaquePointer, _ index: Int32, _ tag: HostTag, as type: T.Type) -> T? {
        guard let raw = nrl_object_at(L, index, tag.rawValue) else { return nil }
        return Unmanaged<T>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Refuses `other` unless it has `shape`'s layer sizes (two matrices, or matrices and a pass);
    /// `fail` turns the detail into the argument's or the option's error.
    @inline(__always)
    static func requireSameShape(_ shape: NetworkShape, _ other: NetworkShape, _ fail: (String) -> LuaCallFailure) throws {
        guard shape.sizes == other.sizes else { throw fail("shapes differ: \(other) where \(shape) was expected") }
    }

    /// "a collected matrices object was used …": a host object whose `__gc` has run, reached again
    /// through a weak table (see NRL_COLLECTED_FORMAT in shim.h).
    static func collectedMessage(_ name: String) -> String {
        NRL_COLLECTED_FORMAT.replacingOccurrences(of: "%s", with: name)
    }
}

/// Storage of a vector made by a script (`nrl.vector(n)`, `v:copy()`).
final class VectorStorage {
    let values: UnsafeMutablePointer<Double>
    let count: Int
    init(count: Int, fill: Double) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: fill, count: max(count, 1))
    }
    deinit { values.deallocate() }
}

/// The arguments of one call from Lua into Swift, with type-checked accessors. Every accessor
/// throws `LuaCallFailure.argument` with Lua's usual wording ("vector expected, got nil").
struct LuaArguments {
    let L: OpaquePointer
    let stateReference: Unmanaged<LuaState>

    var state: LuaState { stateReference.takeUnretainedValue() }

    /// The run's shared state (every state the bridge makes carries one).
    var session: ScriptSession { stateReference._withUnsafeGuaranteedRef { unsafeDowncast($0.context, to: ScriptSession.self) } }

    /// Runs `body` with the session, without reference counting (the state holds it for every call).
    @inline(__always)
    func withSession<R>(_ body: (ScriptSession) throws -> R) rethrows -> R {
        try stateReference._withUnsafeGuaranteedRef { try body(unsafeDowncast($0.context, to: ScriptSession.self)) }
    }

    /// Runs `body` with the state, without reference counting (the state outlives every call into it).
    @inline(__always)
    func withState<R>(_ body: (LuaState) throws -> R) rethrows -> R {
        try stateReference._withUnsafeGuaranteedRef(body)
    }

    /// Runs `body` with the host object at `i` (checked), without reference counting: the userdata
    /// on the Lua stack keeps it alive for the whole call.
    @inline(__always)
    func with<T: AnyObject, R>(_ i: Int32, _ tag: HostTag, _ type: T.Type, _ body: (T) throws -> R) throws -> R {
        guard let raw = nrl_object_at(L, i, tag.rawValue) else { throw expected(i, HostType.name(of: tag)) }
        return try Unmanaged<T>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    func withMatrices<R>(_ i: Int32, _ body: (LayerMatrices) throws -> R) throws -> R {
        try with(i, .matrices, LayerMatrices.self, body)
    }

    @inline(__always)
    func withPass<R>(_ i: Int32, _ body: (ForwardPass) throws -> R) throws -> R {
        try with(i, .pass, ForwardPass.self, body)
    }

    var count: Int32 { lua_gettop(L) }

    func isNone(_ i: Int32) -> Bool { lua_type(L, i) <= LUA_TNIL }

    func expected(_ i: Int32, _ what: String) -> LuaCallFailure {
        if nrl_tag(L, i) != 0, let o = lua_touserdata(L, i), o.assumingMemoryBound(to: nrl_object.self).pointee.object == nil {
            return collected(i)
        }
        return .argument(i, "\(what) expected, got \(isNone(i) && i > count ? "no value" : state.typeName(i))")
    }

    /// The error for a collected host object at `i` (the script line of the call is added).
    func collected(_ i: Int32) -> LuaCallFailure {
        .message(LuaAPI.collectedMessage(state.typeName(i)))
    }

    func matrices(_ i: Int32) throws -> LayerMatrices {
        guard let m = LuaAPI.object(L, i, .matrices, as: LayerMatrices.self) else { throw expected(i, "matrices") }
        return m
    }

    func pass(_ i: Int32) throws -> ForwardPass {
        guard let p = LuaAPI.object(L, i, .pass, as: ForwardPass.self) else { throw expected(i, "pass") }
        return p
    }

    func random(_ i: Int32) throws -> RandomSource {
        guard let r = LuaAPI.object(L, i, .rng, as: RandomSource.self) else { throw expected(i, "rng") }
        return r
    }

    func vector(_ i: Int32) throws -> UnsafeMutablePointer<nrl_vector> {
        guard let v = nrl_to_vector(L, i), v.pointee.object != nil else { throw expected(i, "vector") }
        return v
    }

    func number(_ i: Int32) throws -> Double {
        guard lua_type(L, i) == LUA_TNUMBER else { throw expected(i, "number") }
        return nrl_lua_tonumber(L, i)
    }

    func finiteNumber(_ i: Int32) throws -> Double {
        let v = try number(i)
        // 0/0 is −NaN on most machines: say "nan" whatever its sign bit.
        guard v.isFinite else { throw LuaCallFailure.argument(i, "finite number expected, got \(v.isNaN ? "nan" : "\(v)")") }
        return v
    }

    func optionalNumber(_ i: Int32, _ fallback: Double) throws -> Double {
        isNone(i) ? fallback : try number(i)
    }

    func integer(_ i: Int32) throws -> Int {
        var isInteger: Int32 = 0
        let v = nrl_lua_tointeger(L, i, &isInteger)
        guard lua_type(L, i) == LUA_TNUMBER, isInteger != 0 else { throw expected(i, "integer") }
        return Int(v)
    }

    func string(_ i: Int32) throws -> String {
        guard lua_type(L, i) == LUA_TSTRING, let s = nrl_lua_tostring(L, i) else { throw expected(i, "string") }
        return String(cString: s)
    }

    /// One of a few names, or `fallback` when absent. Compares the Lua string's bytes in place:
    /// this runs every step, so no Swift string is made unless the name is wrong.
    func choice<T: RawRepresentable & CaseIterable>(_ i: Int32, _ fallback: T) throws -> T where T.RawValue == String {
        if isNone(i) { return fallback }
        guard lua_type(L, i) == LUA_TSTRING, let text = nrl_lua_tostring(L, i) else { throw expected(i, "string") }
        for option in T.allCases where option.rawValue.withCString({ strcmp($0, text) == 0 }) { return option }
        throw LuaCallFailure.argument(i, "one of " + T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + " expected, got '\(String(cString: text))'")
    }

    /// An action in Lua's convention (1…count); returns it 0-based.
    func action(_ i: Int32, count: Int) throws -> Int {
        let a = try integer(i)
        guard a >= 1 && a <= count else { throw LuaCallFailure.argument(i, "action in 1..\(count) expected, got \(a)") }
        return a - 1
    }

    /// An observation for a network with `size` inputs: a vector or a table of numbers.
    /// Float32 vectors of the right length are used in place; anything else is converted.
    func observation(_ i: Int32, size: Int) throws -> UnsafePointer<Float> {
        if let v = nrl_to_vector(L, i) {
            guard v.pointee.object != nil else { throw collected(i) }
            guard Int(v.pointee.count) == size else {
                throw LuaCallFailure.argument(i, "observation of \(size) numbers expected, got a vector of \(v.pointee.count)")
            }
            if v.pointee.is_double == 0 { return UnsafePointer(v.pointee.data.assumingMemoryBound(to: Float.self)) }
            let d = v.pointee.data.assumingMemoryBound(to: Double.self)
            let scratch = session.scratch(size)
            for k in 0..<size { scratch[k] = Float(d[k]) }
            return UnsafePointer(scratch)
        }
        guard lua_type(L, i) == LUA_TTABLE else { throw expected(i, "vector or table") }
        guard Int(lua_rawlen(L, i)) == size else {
            throw LuaCallFailure.argument(i, "observation of \(size) numbers expected, got a table of \(lua_rawlen(L, i))")
        }
        let scratch = session.scratch(size)
        for k in 0..<size {
            lua_rawgeti(L, i, lua_Integer(k + 1))
            defer { nrl_lua_pop(L, 1) }
            guard lua_type(L, -1) == LUA_TNUMBER else {
                throw LuaCallFailure.argument(i, "observation[\(k + 1)] must be a number, got \(state.typeName(-1))")
            }
            scratch[k] = Float(nrl_lua_tonumber(L, -1))
        }
        return UnsafePointer(scratch)
    }

    func push(_ value: Double) { lua_pushnumber(L, value) }
    func push(_ value: Int) { lua_pushinteger(L, lua_Integer(value)) }
    func push(_ value: Bool) { lua_pushboolean(L, value ? 1 : 0) }
    func pushCopy(_ i: Int32) { lua_pushvalue(L, i) }
}

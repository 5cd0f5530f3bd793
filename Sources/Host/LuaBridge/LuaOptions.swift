import NRLCore
import CLua
import CLuaShim
import Foundation

/// A table of named options at one argument (`m:forward(obs, p, { sigma = 0.1 })`), read raw: no
/// metamethod of the table runs. Each known name's value is copied to a stack slot of its own, so the
/// table is walked once; a key that is not a known name is an error listing the valid ones. Errors
/// about an option's value name it: "bad argument #3 to 'forward' (option 'sigma': …)".
struct LuaOptions {
    /// The names a function accepts, as C strings with their lengths (made once, compared in place:
    /// a key is matched with one length test and one memcmp, no string made).
    final class Names: @unchecked Sendable {
        let names: [String]
        let count: Int
        private let bytes: UnsafeMutablePointer<UnsafeMutablePointer<CChar>>
        private let lengths: UnsafeMutablePointer<Int>

        init(_ names: [String]) {
            precondition(names.count <= 32)
            self.names = names
            count = names.count
            bytes = .allocate(capacity: names.count)
            lengths = .allocate(capacity: names.count)
            for (k, name) in names.enumerated() {
                bytes[k] = strdup(name)!
                lengths[k] = name.utf8.count
            }
        }

        /// The index of the name with these `length` bytes at `key`, or −1 (names are a few bytes:
        /// compared here rather than through a call to memcmp).
        @inline(__always)
        func index(of key: UnsafePointer<CChar>, length: Int) -> Int {
            for k in 0..<count where lengths[k] == length {
                let name = bytes[k]
                var i = 0
                while i < length && name[i] == key[i] { i += 1 }
                if i == length { return k }
            }
            return -1
        }

        subscript(k: Int) -> String { names[k] }
    }

    let a: LuaArguments
    /// The argument the table is.
    let arg: Int32
    unowned(unsafe) let names: Names
    /// Stack index of `names[0]`'s slot (the others follow); 0 when no table was given.
    let base: Int32
    /// Bit k set: option k was given (a table never holds nil values).
    private(set) var given: UInt32 = 0

    /// Reads the table at `arg` (absent or nil: no options).
    init(_ a: LuaArguments, _ arg: Int32, _ names: Names) throws {
        self.a = a
        self.arg = arg
        self.names = names
        let L = a.L
        if a.isNone(arg) {
            base = 0
            return
        }
        guard lua_type(L, arg) == LUA_TTABLE else { throw a.expected(arg, "options table") }
        let count = Int32(names.count)
        guard lua_checkstack(L, count + 4) != 0 else { throw LuaCallFailure.message("stack overflow") }
        for _ in 0..<count { lua_pushnil(L) }
        base = lua_gettop(L) - count + 1
        lua_pushnil(L)
        while lua_next(L, arg) != 0 {
            var found = -1
            if lua_type(L, -2) == LUA_TSTRING {
                var length = 0
                if let key = lua_tolstring(L, -2, &length) { found = names.index(of: key, length: length) }
            }
            guard found >= 0 else { throw unknownKey() }
            given |= 1 << UInt32(found)
            lua_copy(L, -1, base + Int32(found))
            nrl_lua_pop(L, 1)
        }
    }

    /// The error for the key at -2 (only on the failing path: makes strings).
    private func unknownKey() -> LuaCallFailure {
        let L = a.L
        let key: String
        switch lua_type(L, -2) {
        case LUA_TSTRING: key = "'" + String(cString: nrl_lua_tostring(L, -2)) + "'"
        case LUA_TNUMBER: key = "[" + a.state.describe(-2) + "]"
        default: key = "with a \(a.state.typeName(-2)) key"
        }
        return .argument(arg, "unknown option \(key); valid options are \(names.names.joined(separator: ", "))")
    }

    /// No table, or an empty one.
    var isEmpty: Bool { given == 0 }

    /// The stack slot of option `k`.
    @inline(__always) func slot(_ k: Int) -> Int32 { base + Int32(k) }

    /// Whether option `k` was given (not nil).
    @inline(__always) func has(_ k: Int) -> Bool { given & (1 << UInt32(k)) != 0 }

    /// "bad argument #arg (option 'name': detail)".
    func fail(_ k: Int, _ detail: String) -> LuaCallFailure { .argument(arg, "option '\(names[k])': \(detail)") }

    /// "option 'name': what expected, got <type>" (or the collected-object error).
    func expected(_ k: Int, _ what: String) -> LuaCallFailure {
        let i = slot(k), L = a.L
        if nrl_tag(L, i) != 0, let o = lua_touserdata(L, i), o.assumingMemoryBound(to: nrl_object.self).pointee.object == nil {
            return a.collected(i)
        }
        return fail(k, "\(what) expected, got \(a.state.typeName(i))")
    }

    func number(_ k: Int) throws -> Double {
        guard lua_type(a.L, slot(k)) == LUA_TNUMBER else { throw expected(k, "number") }
        return nrl_lua_tonumber(a.L, slot(k))
    }

    /// A pass option, without reference counting (the slot keeps the userdata alive).
    @inline(__always)
    func withPass<R>(_ k: Int, _ body: (ForwardPass) throws -> R) throws -> R {
        guard let raw = nrl_object_at(a.L, slot(k), HostTag.pass.rawValue) else { throw expected(k, "pass") }
        return try Unmanaged<ForwardPass>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// A fixed set of string values of an option, and the cases they stand for (made once).
    final class Choices<T>: @unchecked Sendable {
        let names: Names
        let cases: [T]
        init(_ cases: [T], _ name: (T) -> String) {
            self.cases = cases
            names = Names(cases.map(name))
        }
    }

    /// One of a few names, or `fallback` when the option is absent (compared in place, nothing made).
    func choice<T>(_ k: Int, _ fallback: T, _ choices: Choices<T>) throws -> T {
        if !has(k) { return fallback }
        let i = slot(k)
        var length = 0
        guard lua_type(a.L, i) == LUA_TSTRING, let text = lua_tolstring(a.L, i, &length) else { throw expected(k, "string") }
        let index = choices.names.index(of: text, length: length)
        if index >= 0 { return choices.cases[index] }
        throw fail(k, "one of " + choices.names.names.map { "'\($0)'" }.joined(separator: ", ")
                   + " expected, got '\(String(cString: text))'")
    }

    static let normalizations = Choices(NoiseNormalization.allCases) { $0.rawValue }
    static let scalings = Choices(StepScaling.allCases) { $0.rawValue }
}

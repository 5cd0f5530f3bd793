import NRLCore
import CLua
import CLuaShim

/// A plain Lua value copied out of a state: what declarations are read as (`LuaValueDecoder`), so
/// that their checking is ordinary Swift.
public indirect enum LuaValue: Equatable, Sendable, CustomStringConvertible {
    case boolean(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    /// The array part (1…n) and the named fields.
    case table([LuaValue], [String: LuaValue])
    /// Something that is not data, by its type name: "function", a host object's "matrices", or
    /// "nil" for a hole in a list.
    case other(String)

    public var description: String {
        switch self {
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .table: return "a table"
        case .other("nil"): return "nil"
        case .other(let t): return "a \(t)"
        }
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var integer: Int? {
        switch self {
        case .integer(let i): return i
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }
    public var number: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
    public var array: [LuaValue]? { if case .table(let a, _) = self { return a }; return nil }
    public var fields: [String: LuaValue]? { if case .table(_, let f) = self { return f }; return nil }
    public subscript(_ key: String) -> LuaValue? { fields?[key] }
}

extension LuaState {
    /// The most values (tables, numbers, strings… counted as a tree) one copy may hold: a
    /// declaration is a few hundred. A table reached twice counts each time, so a small web of
    /// shared sub-tables that would expand into billions of copies is refused, not copied.
    static let maximumCopiedValues = 100_000

    /// Copies the value at `index` (tables recursively, at most `depth` levels). A table reached
    /// again (shared, not nested in itself) is copied once and shared (`LuaValue` is a value); a
    /// copy of more than `maximumCopiedValues` values is refused with a `ScriptError` (no location:
    /// the caller adds the declaration's). Reads only raw (no metamethod runs) and never raises.
    func value(at index: Int32, depth: Int = 16) throws -> LuaValue {
        var copier = LuaValueCopier(state: self)
        return try copier.copy(lua_absindex(L, index), depth: depth)
    }
}

/// One copy of a Lua value: the tables copied so far (by identity) and how many values the copy
/// holds as a tree.
private struct LuaValueCopier {
    let state: LuaState
    var copied: [UnsafeRawPointer: (value: LuaValue, size: Int)] = [:]
    var size = 0

    mutating func count(_ n: Int) throws {
        size += n
        guard size <= LuaState.maximumCopiedValues else {
            throw ScriptError(location: nil, message: "the declaration holds more than \(LuaState.maximumCopiedValues) values (counting a table once for every place it appears); shared or generated sub-tables this large are not read")
        }
    }

    mutating func copy(_ i: Int32, depth: Int) throws -> LuaValue {
        let L = state.L
        switch lua_type(L, i) {
        case LUA_TBOOLEAN: try count(1); return .boolean(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            try count(1)
            var isInteger: Int32 = 0
            let v = nrl_lua_tointeger(L, i, &isInteger)
            return isInteger != 0 && nrl_lua_isinteger_value(L, i) != 0 ? .integer(Int(v)) : .number(nrl_lua_tonumber(L, i))
        case LUA_TSTRING: try count(1); return .string(String(cString: nrl_lua_tostring(L, i)))
        case LUA_TTABLE:
            guard depth > 0 else { try count(1); return .other("table nested too deep") }
            let identity = lua_topointer(L, i)!
            if let seen = copied[identity] {
                try count(seen.size)
                return seen.value
            }
            let before = size
            try count(1)
            // Two slots per level (key and value); outside a protected call nothing checks the stack.
            guard lua_checkstack(L, 4) != 0 else { return .other("table nested too deep") }
            let n = Int(lua_rawlen(L, i))
            try count(n)  // refuses a huge list before reading it
            size -= n
            var array: [LuaValue] = []
            for k in 0..<n {
                lua_rawgeti(L, i, lua_Integer(k + 1))
                defer { nrl_lua_pop(L, 1) }
                array.append(try copy(lua_absindex(L, -1), depth: depth - 1))
            }
            var fields: [String: LuaValue] = [:]
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                if lua_type(L, -2) == LUA_TSTRING {
                    do {
                        fields[String(cString: nrl_lua_tostring(L, -2))] = try copy(lua_absindex(L, -1), depth: depth - 1)
                    } catch {
                        nrl_lua_pop(L, 2)
                        throw error
                    }
                }
                nrl_lua_pop(L, 1)
            }
            let value = LuaValue.table(array, fields)
            copied[identity] = (value, size - before)
            return value
        default:
            try count(1)
            return .other(state.typeName(i))
        }
    }
}

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
    /// Copies the value at `index` (tables recursively, at most `depth` levels).
    func value(at index: Int32, depth: Int = 16) -> LuaValue {
        let i = lua_absindex(L, index)
        switch lua_type(L, i) {
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            var isInteger: Int32 = 0
            let v = nrl_lua_tointeger(L, i, &isInteger)
            return isInteger != 0 && nrl_lua_isinteger_value(L, i) != 0 ? .integer(Int(v)) : .number(nrl_lua_tonumber(L, i))
        case LUA_TSTRING: return .string(String(cString: nrl_lua_tostring(L, i)))
        case LUA_TTABLE:
            guard depth > 0 else { return .other("table nested too deep") }
            let n = Int(lua_rawlen(L, i))
            var array: [LuaValue] = []
            for k in 0..<n {
                lua_rawgeti(L, i, lua_Integer(k + 1))
                array.append(value(at: -1, depth: depth - 1))
                pop()
            }
            var fields: [String: LuaValue] = [:]
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                if lua_type(L, -2) == LUA_TSTRING {
                    fields[String(cString: nrl_lua_tostring(L, -2))] = value(at: -1, depth: depth - 1)
                }
                pop()
            }
            return .table(array, fields)
        default:
            return .other(typeName(i))
        }
    }
}

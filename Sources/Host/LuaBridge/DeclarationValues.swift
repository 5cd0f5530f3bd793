// Small Decodable types for the shapes declarations share, so that no declaration parses them by hand.

/// A field that must hold a Lua function (a rule's `act`, an environment's `step`). Decoding only
/// checks that it is one; the function itself is taken from the Lua table (`Declaration.function`).
public struct LuaFunctionMarker: Decodable, Sendable, Equatable, DeclarationDescribed {
    public static var expected: String { "a function" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        guard case .other("function")? = decoder.luaValue else { throw decoder.mismatch(expected: Self.expected) }
    }
}

/// One value or a list of them: `layers = 2` or `layers = { 2, 3 }`.
public struct OneOrMany<Element: Decodable>: Decodable {
    public var values: [Element]
    /// Whether the script wrote a list (so that messages can point at its items).
    public var isList: Bool

    public init(_ values: [Element]) {
        self.values = values
        isList = values.count != 1
    }

    public init(from decoder: any Decoder) throws {
        let expected = DecodingSession.expected(Self.self)
        if case .table? = decoder.luaValue {
            isList = true
            values = try decoder.expecting(expected) { try [Element](from: decoder) }
        } else {
            isList = false
            values = [try decoder.expecting(expected) { try decoder.singleValueContainer().decode(Element.self) }]
        }
    }
}

extension OneOrMany: DeclarationDescribed where Element: DeclarationDescribed {
    public static var expected: String { "\(Element.expected) or a list of \(Element.plural)" }
}

extension OneOrMany: Sendable where Element: Sendable {}
extension OneOrMany: Equatable where Element: Equatable {}

/// One value for every environment, or a table keyed by environment:
/// `episodes = 300` or `episodes = { reaching = 300, acrobot = 800 }`. The keys are names as written;
/// `DeclarationResolver.values(_:for:at:)` matches them with the declaration's environments.
public enum PerEnvironment<Value: Decodable>: Decodable {
    case all(Value)
    case each([String: Value])

    public init(from decoder: any Decoder) throws {
        let expected = DecodingSession.expected(Self.self)
        if case .table(let items, _)? = decoder.luaValue {
            guard items.isEmpty else { throw decoder.mismatch(expected: expected ?? "a table { environment = value }") }
            self = .each(try [String: Value](from: decoder))
        } else {
            self = .all(try decoder.expecting(expected) { try decoder.singleValueContainer().decode(Value.self) })
        }
    }
}

extension PerEnvironment: DeclarationDescribed where Value: DeclarationDescribed {
    public static var expected: String { "\(Value.expected) or a table { environment = \(Value.expected), … }" }
}

extension PerEnvironment: Sendable where Value: Sendable {}
extension PerEnvironment: Equatable where Value: Equatable {}

/// A number, a string or a boolean as a script wrote it: a parameter's value (`lr = 5e-2`,
/// `scaling = "paper"`, `sutton_barto_reward = true`). Integers and floats stay apart (`2` makes an
/// integer parameter, `2.0` a real one).
public enum LuaScalar: Decodable, Sendable, Equatable, DeclarationDescribed {
    case integer(Int)
    case real(Double)
    case string(String)
    case boolean(Bool)

    public static var expected: String { "a number, a string or a boolean" }

    public init(from decoder: any Decoder) throws {
        switch decoder.luaValue {
        case .boolean(let b)?: self = .boolean(b)
        case .integer(let i)?: self = .integer(i)
        case .number(let d)?: self = .real(d)
        case .string(let s)?: self = .string(s)
        default: throw decoder.mismatch(expected: Self.expected)
        }
    }

    /// As `--set key=value` would write it: the string itself, a number without a needless ".0".
    public var text: String {
        switch self {
        case .integer(let i): return String(i)
        case .real(let d): return LuaValue.number(d).integer.map(String.init) ?? String(d)
        case .string(let s): return s
        case .boolean(let b): return b ? "true" : "false"
        }
    }
}

/// A coding key for tables whose keys are data (environment names, parameter names).
public struct FieldKey: CodingKey, Hashable, Sendable, ExpressibleByStringLiteral {
    public let stringValue: String
    public var intValue: Int? { nil }

    public init(_ name: String) { stringValue = name }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
    public init(stringLiteral value: String) { stringValue = value }
}

import NRLCore

// One decoder for every declaration (rules, environments, experiments, assignments): a Lua table,
// copied as a `LuaValue`, decoded into a Swift `Decodable` struct. Every mistake is a
// `DeclarationError` whose message starts with the value's path as the script writes it:
//
//     experiment.groups[1].layers must be an integer, got "two"
//     rule needs act = function(ctx, obs) returning an action
//     unknown field 'episode' in experiment; valid fields: envs, episodes, groups, hidden, …
//
// Unknown fields: every table a keyed container reads records the keys the `Decodable` asked for
// (synthesized `Decodable` asks for every coding key, through `decodeIfPresent` for optionals); once
// the whole value is decoded, a key nobody asked for is an error listing the valid ones. Then each
// decoded value that is `DeclarationValidating` checks itself (ranges, fields that exclude each other).

// MARK: Paths and errors

/// Where a value sits in a declaration, written as in Lua: `experiment.groups[2].layers`,
/// `rule.defaults["CartPole-v1"]`. List items count from 1.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// The path of a whole declaration: "rule", "env", "experiment", "assignment".
    public init(_ root: String) { description = root }

    /// The field `name` of the table at this path (`.name`, or `["name"]` when it is not a Lua name).
    public func field(_ name: String) -> FieldPath {
        FieldPath(Self.isName(name) ? "\(description).\(name)" : "\(description)[\"\(name)\"]")
    }

    /// Item `index` (1-based) of the list at this path.
    public func item(_ index: Int) -> FieldPath { FieldPath("\(description)[\(index)]") }

    /// "`path` `text`": `path.error("must be at least 1, got 0")`.
    public func error(_ text: String) -> DeclarationError { DeclarationError("\(description) \(text)") }

    /// "`path`: `text`": `path.problem("unknown rule 'nlr'")`.
    public func problem(_ text: String) -> DeclarationError { DeclarationError("\(description): \(text)") }

    /// "`path` must be `expected`, got `value`".
    public func mismatch(expected: String, got value: LuaValue) -> DeclarationError {
        var error = DeclarationError("\(description) must be \(expected), got \(value)")
        error.mismatchAt = self
        return error
    }

    /// "unknown field 'episode' in experiment; valid fields: envs, episodes, …".
    public func unknownFields(_ keys: [String], valid: [String]) -> DeclarationError {
        let names = keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
        let list = valid.isEmpty ? "it has no fields" : "valid fields: " + valid.sorted().joined(separator: ", ")
        return DeclarationError("unknown field\(keys.count == 1 ? "" : "s") \(names) in \(description); \(list)")
    }

    /// Checks that `value`, when given, is in `range`: "rule.hidden must be an integer in 1...65536, got 0".
    public func check(_ value: Int?, in range: ClosedRange<Int>) throws {
        guard let value, !range.contains(value) else { return }
        let accepted = range.upperBound == .max ? "an integer ≥ \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        throw mismatch(expected: accepted, got: .integer(value))
    }

    /// Checks each of `values` (the list at this path) with `check(_:in:)`.
    public func check(_ values: [Int]?, in range: ClosedRange<Int>) throws {
        for (k, value) in (values ?? []).enumerated() { try item(k + 1).check(value, in: range) }
    }

    /// Checks each of `values` (one value at this path, or the list at this path) with `check(_:in:)`.
    public func check(_ values: OneOrMany<Int>?, in range: ClosedRange<Int>) throws {
        guard let values else { return }
        if values.isList { try check(values.values, in: range) } else { try check(values.values.first, in: range) }
    }

    /// Checks the value, or every value of the table, with `check(_:in:)`.
    public func check(_ values: PerEnvironment<Int>?, in range: ClosedRange<Int>) throws {
        switch values {
        case nil: return
        case .all(let n)?: try check(n, in: range)
        case .each(let table)?: for key in table.keys.sorted() { try field(key).check(table[key], in: range) }
        }
    }

    /// The path of a `codingPath` (for errors that come from outside this decoder).
    public init(root: String, codingPath: [any CodingKey]) {
        var path = FieldPath(root)
        for key in codingPath {
            path = key is IndexKey ? path.item((key.intValue ?? 0) + 1) : path.field(key.stringValue)
        }
        self = path
    }

    private static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// Whether `s` can follow a dot in Lua.
    static func isName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(48...57).contains(first), !keywords.contains(s) else { return false }
        return s.utf8.allSatisfy { $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}

/// A mistake in a declaration: its message names the value's path. `located(at:)` makes it the
/// `ScriptError` a user sees, at the declaration's line.
public struct DeclarationError: Error, Equatable, CustomStringConvertible {
    public var message: String
    /// For a value of the wrong type, its path (so that a field can say how it is written instead).
    var mismatchAt: FieldPath?

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The error located at `site` ("file:line" of the `rule {` / `experiment {` call).
    public func located(at site: String) -> ScriptError { ScriptError(location: site, message: message) }
}

// MARK: What a type says about itself

/// A type that says what a declaration must hold for it, for "… must be an integer, got "two"".
public protocol DeclarationDescribed {
    /// "an integer", "a string", "a list of integers".
    static var expected: String { get }
    /// "integers": what a list of them holds (by default `expected` without its article, plus "s").
    static var plural: String { get }
}

extension DeclarationDescribed {
    public static var plural: String {
        for article in ["a ", "an "] where expected.hasPrefix(article) { return String(expected.dropFirst(article.count)) + "s" }
        return expected
    }
}

/// A declaration table that says how some of its fields are written, for "rule needs act = …":
/// field name → usage ("function(ctx, obs) returning an action").
public protocol DeclarationFieldUsage {
    static var usage: [String: String] { get }
}

/// A decoded table with checks decoding cannot make: ranges, fields that exclude each other.
/// `LuaValueDecoder` runs them after the whole declaration is decoded and has no unknown field,
/// outermost first, each with its value's path for messages.
public protocol DeclarationValidating {
    func validate(at path: FieldPath) throws
}

extension String: DeclarationDescribed { public static var expected: String { "a string" } }
extension Int: DeclarationDescribed { public static var expected: String { "an integer" } }
extension Double: DeclarationDescribed { public static var expected: String { "a number" } }
extension Bool: DeclarationDescribed {
    public static var expected: String { "true or false" }
    public static var plural: String { "true or false values" }
}
extension Array: DeclarationDescribed where Element: DeclarationDescribed {
    public static var expected: String { "a list of \(Element.plural)" }
}
extension Dictionary: DeclarationDescribed where Key == String, Value: DeclarationDescribed {
    public static var expected: String { "a table { name = \(Value.expected), … }" }
}

// MARK: The decoder

/// Decodes any `Decodable` from a `LuaValue`: strings, booleans, integers (Lua integers, and floats
/// with an integral value), numbers, lists (a table's array part), tables (named fields), optionals,
/// enums with String raw values (the error lists the choices) and dictionaries keyed by String.
/// Throws `DeclarationError`.
public struct LuaValueDecoder: Sendable {
    /// Keys the host adds to declared tables itself; never unknown, never listed.
    public var ignoredKeys: Set<String> = ["__kind", "__declared_at"]

    public init() {}

    /// `value` decoded as `T`, its unknown fields rejected, then validated. `root` names the value in
    /// messages ("experiment").
    public func decode<T: Decodable>(_ type: T.Type, from value: LuaValue, root: String) throws -> T {
        let session = DecodingSession(ignoredKeys: ignoredKeys)
        let result: T
        do {
            result = try session.decode(T.self, value, at: FieldPath(root), codingPath: [])
        } catch let error as DecodingError {
            throw DeclarationError(error, root: root)
        }
        try session.checkUnaskedFields()
        try session.validate()
        return result
    }
}

extension DeclarationError {
    /// A `DecodingError` thrown by a `Decodable` itself (not by this decoder).
    init(_ error: DecodingError, root: String) {
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            self.init("\(FieldPath(root: root, codingPath: c.codingPath)): \(c.debugDescription)")
        @unknown default:
            self.init("\(root): \(error)")
        }
    }
}

extension Decoder {
    /// The Lua value being decoded (nil when this is not a `LuaValueDecoder`).
    public var luaValue: LuaValue? { (self as? LuaDecoder)?.value }

    /// Where the value being decoded is, for messages.
    public var fieldPath: FieldPath { (self as? LuaDecoder)?.path ?? FieldPath(root: "value", codingPath: codingPath) }

    /// "`path` must be `expected`, got `value`" for the value being decoded.
    public func mismatch(expected: String) -> DeclarationError {
        guard let d = self as? LuaDecoder else { return fieldPath.error("must be \(expected)") }
        return d.path.mismatch(expected: expected, got: d.value)
    }

    /// Runs `body`, which decodes this value; if it finds this very value of the wrong type, the
    /// error says `expected` instead (a type of several shapes says all of them).
    public func expecting<T>(_ expected: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DeclarationError where error.mismatchAt == fieldPath {
            guard let expected else { throw error }
            throw mismatch(expected: expected)
        }
    }
}

/// An index in a list, as a coding key.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}

/// The state of one `decode` call: which tables were read and how, and what to validate.
final class DecodingSession {
    let ignoredKeys: Set<String>

    private struct Visit {
        var fields: Set<String>
        var items: Int
        /// Keys a keyed container asked for; nil if the table was read only as a list.
        var asked: Set<String>?
        /// List items read; nil if the table was read only through named fields.
        var consumed: Int?
    }

    private var visits: [FieldPath: Visit] = [:]
    private var order: [FieldPath] = []
    private var validations: [(rank: Int, path: FieldPath, value: any DeclarationValidating)] = []
    private var rank = 0

    init(ignoredKeys: Set<String>) { self.ignoredKeys = ignoredKeys }

    // MARK: Values

    func decode<T: Decodable>(_ type: T.Type, _ value: LuaValue, at path: FieldPath, codingPath: [any CodingKey]) throws -> T {
        if let v = try primitive(type, value, path) { return v }
        if let options = Self.choices(type) {
            guard case .string(let s) = value, let choice = options.first(where: { $0.raw == s })?.value as? T else {
                throw path.mismatch(expected: Self.oneOf(options.map(\.raw)), got: value)
            }
            return choice
        }
        rank += 1
        let myRank = rank
        let decoder = LuaDecoder(value: value, path: path, codingPath: codingPath, session: self,
                                 expected: Self.expected(type), usage: (type as? any DeclarationFieldUsage.Type)?.usage ?? [:])
        let result = try T(from: decoder)
        if let checked = result as? any DeclarationValidating { validations.append((myRank, path, checked)) }
        return result
    }

    private func primitive<T>(_ type: T.Type, _ value: LuaValue, _ path: FieldPath) throws -> T? {
        if type == String.self {
            guard case .string(let s) = value else { throw path.mismatch(expected: String.expected, got: value) }
            return s as? T
        }
        if type == Bool.self {
            guard case .boolean(let b) = value else { throw path.mismatch(expected: Bool.expected, got: value) }
            return b as? T
        }
        if let integer = type as? any FixedWidthInteger.Type { return try Self.integer(integer, value, path) as? T }
        if let real = type as? any BinaryFloatingPoint.Type { return try Self.real(real, value, path) as? T }
        return nil
    }

    private static func integer<I: FixedWidthInteger>(_: I.Type, _ value: LuaValue, _ path: FieldPath) throws -> I {
        guard let i = value.integer else { throw path.mismatch(expected: "an integer", got: value) }
        guard let v = I(exactly: i) else { throw path.mismatch(expected: "an integer in \(I.min)...\(I.max)", got: value) }
        return v
    }

    private static func real<F: BinaryFloatingPoint>(_: F.Type, _ value: LuaValue, _ path: FieldPath) throws -> F {
        guard let d = value.number else { throw path.mismatch(expected: "a number", got: value) }
        return F(d)
    }

    /// The raw values and cases of an enum with String raw values that lists its cases; nil otherwise.
    static func choices(_ type: Any.Type) -> [(raw: String, value: Any)]? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        return cases(iterable)
    }

    private static func cases<C: CaseIterable>(_: C.Type) -> [(raw: String, value: Any)]? {
        var result: [(raw: String, value: Any)] = []
        for c in C.allCases {
            guard let raw = (c as? any RawRepresentable)?.rawValue as? String else { return nil }
            result.append((raw, c))
        }
        return result
    }

    static func oneOf(_ options: [String]) -> String {
        "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// What a value of `type` looks like, for messages; nil when the type does not say.
    static func expected(_ type: Any.Type) -> String? {
        if let described = type as? any DeclarationDescribed.Type { return described.expected }
        if let options = choices(type) { return oneOf(options.map(\.raw)) }
        return nil
    }

    // MARK: Tables

    func openKeyed(_ path: FieldPath, items: Int, fields: [String: LuaValue]) {
        visit(path, items: items, fields: fields) { if $0.asked == nil { $0.asked = [] } }
    }

    func openList(_ path: FieldPath, items: Int, fields: [String: LuaValue]) {
        visit(path, items: items, fields: fields) { if $0.consumed == nil { $0.consumed = 0 } }
    }

    func ask(_ path: FieldPath, _ key: String) { visits[path]?.asked?.insert(key) }

    func wasAsked(_ path: FieldPath, _ key: String) -> Bool { visits[path]?.asked?.contains(key) ?? false }

    func consume(_ path: FieldPath, upTo count: Int) {
        let consumed = visits[path]?.consumed ?? 0
        visits[path]?.consumed = max(consumed, count)
    }

    private func visit(_ path: FieldPath, items: Int, fields: [String: LuaValue], _ update: (inout Visit) -> Void) {
        if visits[path] == nil {
            visits[path] = Visit(fields: Set(fields.keys).subtracting(ignoredKeys), items: items)
            order.append(path)
        }
        update(&visits[path]!)
    }

    /// Fields no container asked for, and list items nobody read, in the order the tables were read.
    func checkUnaskedFields() throws {
        for path in order {
            guard let visit = visits[path] else { continue }
            let valid = visit.asked.map { Array($0.subtracting(ignoredKeys)) }
            if let valid {
                let unknown = visit.fields.subtracting(valid)
                if !unknown.isEmpty { throw path.unknownFields(Array(unknown), valid: valid) }
            } else if !visit.fields.isEmpty {
                let names = visit.fields.sorted().map { "'\($0)'" }.joined(separator: ", ")
                throw DeclarationError("unknown field\(visit.fields.count == 1 ? "" : "s") \(names) in \(path), which is a list")
            }
            let consumed = visit.consumed ?? 0
            if visit.items > consumed {
                var message = "unexpected list item \(consumed + 1) in \(path)"
                if let valid, !valid.isEmpty { message += "; valid fields: " + valid.sorted().joined(separator: ", ") }
                throw DeclarationError(message)
            }
        }
    }

    func validate() throws {
        for (_, path, value) in validations.sorted(by: { $0.rank < $1.rank }) { try value.validate(at: path) }
    }
}

/// The `Decoder` of one value.
struct LuaDecoder: Decoder {
    let value: LuaValue
    let path: FieldPath
    let codingPath: [any CodingKey]
    let session: DecodingSession
    /// What the type being decoded expects, when it says.
    let expected: String?
    let usage: [String: String]

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let items, let fields) = value else { throw path.mismatch(expected: expected ?? "a table", got: value) }
        session.openKeyed(path, items: items.count, fields: fields)
        return KeyedDecodingContainer(LuaKeyedContainer<Key>(decoder: self, fields: fields))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .table(let items, let fields) = value else { throw path.mismatch(expected: expected ?? "a list", got: value) }
        session.openList(path, items: items.count, fields: fields)
        return LuaUnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { LuaSingleValueContainer(decoder: self) }

    /// The decoder of `value` at `path` below this one.
    func child(_ value: LuaValue, _ path: FieldPath, _ key: any CodingKey) -> LuaDecoder {
        LuaDecoder(value: value, path: path, codingPath: codingPath + [key], session: session, expected: nil, usage: [:])
    }
}

struct LuaKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: LuaDecoder
    let fields: [String: LuaValue]

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        fields.keys.filter { !decoder.session.ignoredKeys.contains($0) }.sorted().compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        decoder.session.ask(decoder.path, key.stringValue)
        return fields[key.stringValue] != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

    /// Field `key` decoded as `T`; a missing field or a value of the wrong type says how the field is
    /// written when the table's type says so.
    private func value<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let name = key.stringValue
        decoder.session.ask(decoder.path, name)
        let path = decoder.path.field(name)
        guard let value = fields[name] else { throw missing(name, type) }
        do {
            return try decoder.session.decode(T.self, value, at: path, codingPath: codingPath + [key])
        } catch let error as DeclarationError where error.mismatchAt == path && decoder.usage[name] != nil {
            var rewritten = DeclarationError("\(decoder.path) needs \(name) = \(decoder.usage[name] ?? ""), got \(value)")
            rewritten.mismatchAt = path
            throw rewritten
        }
    }

    /// "rule needs act = function(ctx, obs) returning an action", with a hint when a field nobody
    /// asked for is spelled almost like it.
    private func missing<T>(_ name: String, _ type: T.Type) -> DeclarationError {
        let session = decoder.session
        let how = decoder.usage[name] ?? DecodingSession.expected(type) ?? "{ … }"
        var message = "\(decoder.path) needs \(name) = \(how)"
        let near = fields.keys.filter {
            !session.ignoredKeys.contains($0) && !session.wasAsked(decoder.path, $0) && editDistance($0, name) <= 2
        }
        if let near = near.sorted().first { message += "; is '\(near)' meant to be \(name)?" }
        return DeclarationError(message)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value(type, key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try childDecoder(key).unkeyedContainer() }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { try childDecoder(key) }

    private func childDecoder(_ key: Key) throws -> LuaDecoder {
        let name = key.stringValue
        decoder.session.ask(decoder.path, name)
        guard let value = fields[name] else { throw missing(name, Any.self) }
        return decoder.child(value, decoder.path.field(name), key)
    }
}

struct LuaUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: LuaDecoder
    let items: [LuaValue]
    var currentIndex = 0

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The next item, counted as read.
    private mutating func next() throws -> (LuaValue, FieldPath, IndexKey) {
        guard !isAtEnd else { throw decoder.path.error("has no item \(currentIndex + 1)") }
        let item = (items[currentIndex], decoder.path.item(currentIndex + 1), IndexKey(currentIndex))
        currentIndex += 1
        decoder.session.consume(decoder.path, upTo: currentIndex)
        return item
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .other("nil") = items[currentIndex] else { return false }
        _ = try next()
        return true
    }

    private mutating func value<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path, key) = try next()
        return try decoder.session.decode(T.self, value, at: path, codingPath: codingPath + [key])
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    mutating func decode(_ type: String.Type) throws -> String { try value(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try value(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try value(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try value(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path, key) = try next()
        return try decoder.child(value, path, key).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path, key) = try next()
        return try decoder.child(value, path, key).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path, key) = try next()
        return decoder.child(value, path, key)
    }
}

struct LuaSingleValueContainer: SingleValueDecodingContainer {
    let decoder: LuaDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .other("nil") = decoder.value { return true }
        return false
    }

    private func value<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.session.decode(T.self, decoder.value, at: decoder.path, codingPath: codingPath)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    func decode(_ type: String.Type) throws -> String { try value(type) }
    func decode(_ type: Double.Type) throws -> Double { try value(type) }
    func decode(_ type: Float.Type) throws -> Float { try value(type) }
    func decode(_ type: Int.Type) throws -> Int { try value(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }
}

/// Levenshtein distance, for "is 'seed' meant to be seeds?".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var diagonal = row[0]
        row[0] = i
        for j in 1...b.count {
            let above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
            diagonal = above
        }
    }
    return row[b.count]
}

/// A rule parameter's value: a real number, an integer, or one of a few named choices.
public enum ParameterValue: Equatable, Sendable, Codable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case choice(String)
    case boolean(Bool)

    public var description: String {
        switch self {
        case .boolean(let v): return v ? "true" : "false"
        case .real(let v): return "\(v)"
        case .integer(let v): return "\(v)"
        case .choice(let v): return v
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .boolean(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .real(d) }
        else { self = .choice(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .real(let v): try c.encode(v)
        case .integer(let v): try c.encode(v)
        case .choice(let v): try c.encode(v)
        case .boolean(let v): try c.encode(v)
        }
    }
}

/// The accepted range of a real parameter: each end inclusive (`min`/`max`), exclusive
/// (`above`/`below`) or open. Every accepted value is also finite.
public struct RealBounds: Sendable, Equatable {
    public var lower: Double?
    public var lowerExclusive: Bool
    public var upper: Double?
    public var upperExclusive: Bool

    /// `min`/`max` inclusive, `above`/`below` exclusive; give at most one of each pair.
    public init(min: Double? = nil, max: Double? = nil, above: Double? = nil, below: Double? = nil) {
        lower = above ?? min
        lowerExclusive = above != nil
        upper = below ?? max
        upperExclusive = below != nil
    }

    /// Any finite number.
    public static let any = RealBounds()

    /// The bound `v` breaks (as "> 0", "≤ 1"), or nil when it lies inside.
    public func violation(_ v: Double) -> String? {
        if let lower, lowerExclusive ? !(v > lower) : !(v >= lower) { return (lowerExclusive ? "> " : "≥ ") + Self.format(lower) }
        if let upper, upperExclusive ? !(v < upper) : !(v <= upper) { return (upperExclusive ? "< " : "≤ ") + Self.format(upper) }
        return nil
    }

    public func contains(_ v: Double) -> Bool { v.isFinite && violation(v) == nil }

    /// Whether some finite number lies inside.
    public var isEmpty: Bool {
        guard let lower, let upper else { return false }
        return lower > upper || (lower == upper && (lowerExclusive || upperExclusive))
    }

    /// "≥ 0", "> 0 and ≤ 1", "in [0, 1]", "in (0, 1)"; nil when there is no bound.
    public var text: String? {
        switch (lower, upper) {
        case (nil, nil): return nil
        case (let l?, nil): return (lowerExclusive ? "> " : "≥ ") + Self.format(l)
        case (nil, let u?): return (upperExclusive ? "< " : "≤ ") + Self.format(u)
        case (let l?, let u?):
            return "in " + (lowerExclusive ? "(" : "[") + Self.format(l) + ", " + Self.format(u) + (upperExclusive ? ")" : "]")
        }
    }

    /// A bound as a script writes it: 0, 1, 0.5, 1e-08.
    public static func format(_ v: Double) -> String {
        if v.rounded() == v, abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }
}

/// A parameter a rule (or an environment) declares: its name, what values it accepts, its default
/// and what it means.
public struct ParameterSpec: Sendable {
    public enum Kind: Sendable {
        /// A finite real number within the bounds.
        case real(RealBounds)
        case integer(ClosedRange<Int>)
        case choice([String])
        /// Any string.
        case text
        /// true or false.
        case boolean
    }

    /// A real parameter that must be strictly positive (a noise level, say).
    public static let positive = RealBounds(above: 0)
    /// Any finite real number ≥ 0.
    public static let nonNegative = RealBounds(min: 0)

    public let name: String
    public let kind: Kind
    public let defaultValue: ParameterValue
    public let help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: ParameterValue, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// What the parameter accepts, for messages and listings.
    public var accepted: String {
        switch kind {
        case .real(let r): return r.text.map { "a number " + $0 } ?? "a number"
        case .integer(let r):
            let noMinimum = r.lowerBound <= -Int(Int32.max), noMaximum = r.upperBound >= Int(Int32.max)
            if noMinimum && noMaximum { return "an integer" }
            if noMaximum { return "an integer ≥ \(r.lowerBound)" }
            if noMinimum { return "an integer ≤ \(r.upperBound)" }
            return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .choice(let options): return "one of " + options.joined(separator: ", ")
        case .text: return "a string"
        case .boolean: return "true or false"
        }
    }

    /// Parses a command-line value ("5e-2", "3", "fan_out", "true") or explains why it is not
    /// acceptable: a value of the wrong type is told what the parameter accepts, a value out of
    /// range the bound it breaks ("must be > 0").
    public func parse(_ text: String) throws -> ParameterValue {
        let bad = { ParameterError("parameter '\(name)' must be \(accepted), got '\(text)'") }
        let outside = { (bound: String) in ParameterError("parameter '\(name)' must be \(bound), got '\(text)'") }
        switch kind {
        case .real(let r):
            guard let v = Double(text), v.isFinite else { throw bad() }
            if let broken = r.violation(v) { throw outside(broken) }
            return .real(v)
        case .integer(let r):
            guard let v = Int(text) ?? Double(text).flatMap({ $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }) else { throw bad() }
            if v < r.lowerBound { throw outside("≥ \(r.lowerBound)") }
            if v > r.upperBound { throw outside("≤ \(r.upperBound)") }
            return .integer(v)
        case .choice(let options):
            guard options.contains(text) else { throw bad() }
            return .choice(text)
        case .text:
            return .choice(text)
        case .boolean:
            guard text == "true" || text == "false" else { throw bad() }
            return .boolean(text == "true")
        }
    }

    /// Checks a value that came from elsewhere (a defaults table, a file).
    public func validate(_ value: ParameterValue) throws -> ParameterValue {
        switch (kind, value) {
        case (.real, .integer(let i)): return try parse(String(Double(i)))
        case (.real, .real(let d)): return try parse(String(d))
        case (.integer, .integer(let i)): return try parse(String(i))
        case (.choice, .choice(let s)), (.text, .choice(let s)): return try parse(s)
        case (.boolean, .boolean(let b)): return .boolean(b)
        default: throw ParameterError("parameter '\(name)' must be \(accepted), got '\(value)'")
        }
    }
}

public struct ParameterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The resolved parameters of one run, every declared parameter present.
public struct Parameters: Sendable, Equatable, Codable {
    public private(set) var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue]) { self.values = values }

    public subscript(_ name: String) -> ParameterValue? { values[name] }

    /// A real parameter (an integer one widens).
    public func real(_ name: String) -> Double {
        switch values[name] {
        case .real(let v)?: return v
        case .integer(let v)?: return Double(v)
        default: preconditionFailure("rule asked for undeclared real parameter '\(name)'")
        }
    }

    public func integer(_ name: String) -> Int {
        guard case .integer(let v)? = values[name] else { preconditionFailure("rule asked for undeclared integer parameter '\(name)'") }
        return v
    }

    public func boolean(_ name: String) -> Bool {
        guard case .boolean(let v)? = values[name] else { preconditionFailure("asked for undeclared boolean parameter '\(name)'") }
        return v
    }

    public func choice(_ name: String) -> String {
        guard case .choice(let v)? = values[name] else { preconditionFailure("rule asked for undeclared choice parameter '\(name)'") }
        return v
    }
}

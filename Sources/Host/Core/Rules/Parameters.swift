/// A rule parameter's value: a real number, an integer, or one of a few named choices.
public enum ParameterValue: Equatable, Sendable, Codable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case choice(String)

    public var description: String {
        switch self {
        case .real(let v): return "\(v)"
        case .integer(let v): return "\(v)"
        case .choice(let v): return v
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .real(d) }
        else { self = .choice(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .real(let v): try c.encode(v)
        case .integer(let v): try c.encode(v)
        case .choice(let v): try c.encode(v)
        }
    }
}

/// A parameter a rule declares: its name, what values it accepts, its default and what it means.
public struct ParameterSpec: Sendable {
    public enum Kind: Sendable {
        /// A finite real number in the range.
        case real(ClosedRange<Double>)
        case integer(ClosedRange<Int>)
        case choice([String])
        /// Any string.
        case text
    }

    /// The range of a real parameter that must be strictly positive (a noise level, say).
    public static let positive: ClosedRange<Double> = Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude
    /// Any finite real number ≥ 0.
    public static let nonNegative: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude

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
        case .real(let r):
            if r == ParameterSpec.positive { return "a number > 0" }
            let noMinimum = r.lowerBound == -.greatestFiniteMagnitude, noMaximum = r.upperBound == .greatestFiniteMagnitude
            if noMinimum && noMaximum { return "a number" }
            if noMaximum { return "a number ≥ \(r.lowerBound)" }
            if noMinimum { return "a number ≤ \(r.upperBound)" }
            return "a number in [\(r.lowerBound), \(r.upperBound)]"
        case .integer(let r):
            if r.upperBound == .max { return "an integer ≥ \(r.lowerBound)" }
            return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .choice(let options): return "one of " + options.joined(separator: ", ")
        case .text: return "a string"
        }
    }

    /// Parses a command-line value ("5e-2", "3", "fan_out") or explains why it is not acceptable.
    public func parse(_ text: String) throws -> ParameterValue {
        let bad = { ParameterError("parameter '\(name)' must be \(accepted), got '\(text)'") }
        switch kind {
        case .real(let r):
            guard let v = Double(text), v.isFinite, r.contains(v) else { throw bad() }
            return .real(v)
        case .integer(let r):
            guard let v = Int(text), r.contains(v) else { throw bad() }
            return .integer(v)
        case .choice(let options):
            guard options.contains(text) else { throw bad() }
            return .choice(text)
        case .text:
            return .choice(text)
        }
    }

    /// Checks a value that came from elsewhere (a defaults table, a file).
    public func validate(_ value: ParameterValue) throws -> ParameterValue {
        switch (kind, value) {
        case (.real, .integer(let i)): return try parse(String(Double(i)))
        case (.real, .real(let d)): return try parse(String(d))
        case (.integer, .integer(let i)): return try parse(String(i))
        case (.choice, .choice(let s)), (.text, .choice(let s)): return try parse(s)
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

    public func choice(_ name: String) -> String {
        guard case .choice(let v)? = values[name] else { preconditionFailure("rule asked for undeclared choice parameter '\(name)'") }
        return v
    }
}

import Foundation

/// What makes two runs of one label the same configuration, read from a stored run's spec JSON:
/// everything but the seeds, the writing version and the script limits. Runs that differ here are
/// never pooled by a report; `distinguishing` names what differs, for labels and legends.
public struct SpecIdentity: Hashable, Sendable {
    /// The canonical JSON of the identifying fields (sorted keys).
    public let canonical: String
    /// Flattened identifying fields: "lr" → "0.05" (rule parameters), "env.speed" → "2.5"
    /// (environment parameters), "episodes" → "300", "script" → "a3f9c01" (the script's content hash).
    public let fields: [String: String]

    /// Fields of a spec that identify the run's seed or its provenance, not its configuration.
    static let excluded: Set<String> = ["seed", "initSeed", "version", "limits"]

    public init(specJSON: String) {
        let object = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(specJSON.utf8))) ?? [:]
        let kept = object.filter { !Self.excluded.contains($0.key) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        canonical = (try? encoder.encode(kept)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var fields: [String: String] = [:]
        for (key, value) in kept {
            switch (key, value) {
            case ("parameters", let values):
                for (name, v) in Self.parameterValues(values) { fields[name] = v.text }
            case ("environmentParameters", let values):
                for (name, v) in Self.parameterValues(values) { fields["env.\(name)"] = v.text }
            case ("ruleScriptHash", _):
                fields["script"] = String(value.text.prefix(7))
            case ("environmentScriptHash", _):
                fields["env script"] = String(value.text.prefix(7))
            case ("script", _):
                fields["script path"] = value.text
            default:
                fields[key] = value.text
            }
        }
        self.fields = fields
    }

    /// `Parameters` is encoded as { "values": { name: value } }.
    static func parameterValues(_ value: JSONValue) -> [String: JSONValue] {
        guard case .object(let outer) = value, case .object(let values)? = outer["values"] else { return [:] }
        return values
    }

    /// The rule's and the environment's parameters, "lr=0.05 sigma=0.001 env.speed=2.5".
    public var parameterText: String {
        // The rule's parameters first, then the environment's.
        let names = fields.keys.filter { !Self.structural.contains($0) }.sorted { a, b in
            (a.hasPrefix("env.") ? 1 : 0, a) < (b.hasPrefix("env.") ? 1 : 0, b)
        }
        return names.map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
    }

    /// Fields that are not parameters (shown in their own columns, or only when they distinguish).
    static let structural: Set<String> = ["rule", "environment", "episodes", "hidden", "layers", "script", "env script",
                                          "script path"]

    /// What tells `identities` apart, one text per identity in order: "lambda=0.99", "script a3f9c01",
    /// "episodes=300". Fields equal in all of them are left out.
    public static func distinguishing(_ identities: [SpecIdentity]) -> [String] {
        let all: Set<String> = Set(identities.flatMap { $0.fields.keys })
        let differing = all.filter { key in Set(identities.map { $0.fields[key] ?? "—" }).count > 1 }
        // Parameters first, then structural fields (episodes, the script).
        let keys = differing.sorted { a, b in (structural.contains(a) ? 1 : 0, a) < (structural.contains(b) ? 1 : 0, b) }
        return identities.enumerated().map { k, identity in
            let parts = keys.map { key -> String in
                let value = identity.fields[key] ?? "—"
                return key == "script" || key == "env script" ? "\(key) \(value)" : "\(key)=\(value)"
            }
            return parts.isEmpty ? "spec \(k + 1)" : parts.joined(separator: ", ")
        }
    }
}

/// A JSON value that keeps booleans, numbers and strings apart (JSONSerialization's NSNumber does not,
/// portably).
enum JSONValue: Codable, Hashable, Sendable {
    case boolean(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .boolean(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .boolean(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        case .null: try c.encodeNil()
        }
    }

    /// A short text: integral numbers without a decimal point, others as Swift prints them (0.005).
    var text: String {
        switch self {
        case .boolean(let b): return b ? "true" : "false"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .string(let s): return s
        case .null: return "null"
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }
}

import LuaBridge

/// What an assignment file declares (`return assignment { … }`), decoded by `LuaValueDecoder` (a
/// field it does not have is an error) and validated; `Assignment.load` resolves its environments
/// and fills in the defaults.
public struct AssignmentDeclaration: Decodable, Sendable, DeclarationFieldUsage, DeclarationValidating {
    public struct Seeds: Decodable, Sendable, DeclarationFieldUsage, DeclarationValidating {
        public var practice: [Int]
        public var grading: [Int]?

        public static let usage = ["practice": "{ … } (the seeds students try)"]

        public func validate(at path: FieldPath) throws {
            for (key, list) in [("practice", practice), ("grading", grading)] {
                guard let list else { continue }
                let at = path.field(key)
                guard !list.isEmpty else { throw at.error("must not be empty") }
                try at.check(list, in: 0...Int.max)
                if let twice = list.first(where: { s in list.filter { $0 == s }.count > 1 }) {
                    throw at.problem("seed \(twice) is listed twice")
                }
            }
            if let shared = grading?.first(where: practice.contains) {
                throw DeclarationError("seed \(shared) is both a practice and a grading seed; grading seeds must stay private")
            }
        }
    }

    public struct Limits: Decodable, Sendable, DeclarationValidating {
        public var instructions: Int?
        public var memoryMB: Int?
        public var seconds: Double?

        enum CodingKeys: String, CodingKey {
            case instructions
            case memoryMB = "memory_mb"
            case seconds
        }

        public func validate(at path: FieldPath) throws {
            try path.field("instructions").check(instructions, in: 1...Int.max)
            try path.field("memory_mb").check(memoryMB, in: 1...65_536)
            if let seconds, !(seconds > 0 && seconds <= 86_400) {
                throw path.field("seconds").error("must be a number of seconds in (0, 86400], got \(Assignment.format(seconds))")
            }
        }
    }

    /// Scoring thresholds; each may be left to the common ones.
    public struct Thresholds: Decodable, Sendable, DeclarationValidating {
        public var baseline: Double?
        public var pass: Double?
        public var full: Double?

        public func validate(at path: FieldPath) throws {
            for (key, value) in [("baseline", baseline), ("pass", pass), ("full", full)] {
                if let value, !value.isFinite { throw path.field(key).mismatch(expected: "a finite number", got: .number(value)) }
            }
        }
    }

    /// `scoring = { metric =, baseline =, pass =, full = }`, with per-environment thresholds as
    /// tables keyed by environment: `reaching = { baseline =, pass =, full = }`.
    public struct Scoring: Decodable, Sendable, DeclarationValidating {
        public var metric: Assignment.Metric?
        public var common: Thresholds
        /// Keyed by environment as written.
        public var perEnvironment: [String: Thresholds] = [:]

        static let fields: Set<String> = ["metric", "baseline", "pass", "full"]

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            metric = try c.decodeIfPresent(Assignment.Metric.self, forKey: "metric")
            common = Thresholds(baseline: try c.decodeIfPresent(Double.self, forKey: "baseline"),
                                pass: try c.decodeIfPresent(Double.self, forKey: "pass"),
                                full: try c.decodeIfPresent(Double.self, forKey: "full"))
            // A table is an environment's thresholds; anything else is a field scoring does not have.
            var unknown: [String] = []
            for key in c.allKeys where !Self.fields.contains(key.stringValue) {
                guard case .table? = decoder.luaValue?[key.stringValue] else { unknown.append(key.stringValue); continue }
                perEnvironment[key.stringValue] = try c.decode(Thresholds.self, forKey: key)
            }
            guard unknown.isEmpty else {
                var error = decoder.fieldPath.unknownFields(unknown, valid: Self.fields.sorted())
                error.message += ", and environment = { baseline =, pass =, full = }"
                throw error
            }
        }

        public func validate(at path: FieldPath) throws { try common.validate(at: path) }
    }

    public var name: String?
    public var title: String?
    public var env: String?
    public var envs: [String]?
    public var hidden: Int?
    public var layers: Int?
    public var episodes: PerEnvironment<Int>
    public var seeds: Seeds
    public var initSeed: Int?
    public var limits: Limits?
    public var scoring: Scoring
    public var locality: Assignment.Locality?

    enum CodingKeys: String, CodingKey {
        case name, title, env, envs, hidden, layers, episodes, seeds
        case initSeed = "init_seed"
        case limits, scoring, locality
    }

    public static let usage = [
        "episodes": "N (episodes per run; trials on Reaching), or { env = N, … }",
        "seeds": "{ practice = { … }, grading = { … } }",
        "scoring": "{ metric = \"final\", baseline =, pass =, full = }",
    ]

    public func validate(at path: FieldPath) throws {
        switch (env, envs) {
        case (nil, nil): throw path.error("needs env = \"…\" (or envs = { … })")
        case (.some, .some): throw path.problem("give env = \"…\" or envs = { … }, not both")
        default: break
        }
        if envs?.isEmpty == true { throw path.field("envs").error("must not be empty") }
        try path.field("hidden").check(hidden, in: 1...65_536)
        try path.field("layers").check(layers, in: 1...64)
        try path.field("episodes").check(episodes, in: 1...10_000_000)
        try path.field("init_seed").check(initSeed, in: 0...Int.max)
    }
}

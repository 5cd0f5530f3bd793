import LuaBridge

/// What an experiment file declares (`return experiment { … }`), decoded by `LuaValueDecoder` (a
/// field it does not have is an error) and validated; `Experiment.load` then resolves its names and
/// paths and expands it into runs.
///
/// The top level holds the settings of a `Group` and, optionally, `groups`: without them the top
/// level is the one group ("main"); with them, what a group leaves out comes from the top level.
public struct ExperimentDeclaration: Decodable, DeclarationValidating {
    /// Where a run's initial weights come from.
    public enum SeedProtocol: String, Decodable, CaseIterable, Sendable {
        /// Seed 42 in every run, as the paper's authors did.
        case authors
        /// The run's own seed.
        case perRun = "per-run"
    }

    /// A rule as an experiment names it: `"nrl"`, `"rules/mine.lua"` (relative to the experiment
    /// file), or `{ "nrl", label = "…", set = { param = value } }`.
    public struct RuleEntry: Decodable, Sendable, DeclarationDescribed {
        public var rule: String
        public var label: String?
        public var settings: [String: LuaScalar]

        public static var expected: String { "a rule name, a .lua path or { \"rule\", label = …, set = { … } }" }
        public static var plural: String { "rule names, .lua paths or { \"rule\", label = …, set = { … } } tables" }

        enum CodingKeys: String, CodingKey { case label, set }

        public init(from decoder: any Decoder) throws {
            switch decoder.luaValue {
            case .string(let name)?:
                rule = name
                settings = [:]
            case .table?:
                let fields = try decoder.container(keyedBy: CodingKeys.self)
                label = try fields.decodeIfPresent(String.self, forKey: .label)
                settings = try fields.decodeIfPresent([String: LuaScalar].self, forKey: .set) ?? [:]
                var list = try decoder.unkeyedContainer()
                guard !list.isAtEnd else { throw decoder.fieldPath.error("needs the rule first: { \"nrl\", label = …, set = { … } }") }
                rule = try list.decode(String.self)
            default:
                throw decoder.mismatch(expected: Self.expected)
            }
        }

        /// `set` as `key=value` settings, sorted by key.
        public var settingList: [String] { settings.keys.sorted().map { "\($0)=\(settings[$0]!.text)" } }
    }

    /// The settings of a group of runs: every rule on every environment, layer count, seed and protocol.
    public struct Group: Decodable, Sendable, DeclarationValidating, DeclarationDescribed {
        public var name: String?
        public var rules: [RuleEntry]?
        public var envs: [String]?
        public var seeds: [Int]?
        /// Hidden layers: one count or a list of them (default 1).
        public var layers: OneOrMany<Int>?
        public var hidden: Int?
        public var episodes: PerEnvironment<Int>?
        public var protocols: [SeedProtocol]?
        /// Environment parameters by environment: `env_params = { cartpole = { sutton_barto_reward = true } }`.
        public var envParams: [String: [String: LuaScalar]]?

        enum CodingKeys: String, CodingKey {
            case name, rules, envs, seeds, layers, hidden, episodes, protocols
            case envParams = "env_params"
        }

        public static var expected: String { "a table { name =, rules =, envs =, … }" }

        public func validate(at path: FieldPath) throws {
            for (key, count) in [("rules", rules?.count), ("envs", envs?.count), ("seeds", seeds?.count), ("protocols", protocols?.count)]
            where count == 0 {
                throw path.field(key).error("must not be empty")
            }
            try path.field("seeds").check(seeds, in: 0...Int.max)
            try path.field("layers").check(layers, in: 1...64)
            try path.field("hidden").check(hidden, in: 1...65_536)
            try path.field("episodes").check(episodes, in: 1...Int(Int32.max))
            if let protocols, let twice = protocols.first(where: { p in protocols.filter { $0 == p }.count > 1 }) {
                throw path.field("protocols").problem("\"\(twice.rawValue)\" is listed twice")
            }
        }
    }

    /// The top level's settings: the experiment's name, and the defaults of every group.
    public var top: Group
    public var groups: [Group]?

    public var name: String? { top.name }

    public init(from decoder: any Decoder) throws {
        top = try Group(from: decoder)
        groups = try decoder.container(keyedBy: FieldKey.self).decodeIfPresent([Group].self, forKey: "groups")
    }

    /// Each group: its name, its path (for messages), and its own settings.
    public func plannedGroups(_ root: FieldPath) -> [(name: String, path: FieldPath, own: Group)] {
        guard let groups else { return [("main", root, top)] }
        return groups.enumerated().map { k, g in (g.name ?? "group \(k + 1)", root.field("groups").item(k + 1), g) }
    }

    public func validate(at path: FieldPath) throws {
        try top.validate(at: path)
        if let groups, groups.isEmpty { throw path.field("groups").error("must not be empty") }
        var names = Set<String>()
        for (name, groupPath, own) in plannedGroups(path) {
            guard names.insert(name).inserted else { throw groupPath.problem("two groups are named '\(name)'") }
            for (key, what, missing) in [("rules", "the rules to compare", own.rules == nil && top.rules == nil),
                                         ("envs", "the environments", own.envs == nil && top.envs == nil),
                                         ("seeds", "a list of non-negative integers", own.seeds == nil && top.seeds == nil)]
            where missing {
                let also = groups == nil ? "" : " (or the experiment's own \(key) = { … } for every group)"
                throw groupPath.error("needs \(key) = { … }, \(what)\(also)")
            }
        }
    }
}

import LuaBridge
import NRLCore
import Foundation

/// An experiment file (`scripts/experiments/*.lua`) expanded into runs:
///
///     return experiment {
///       name = "paper",
///       seeds = { 42, 101, 300, 482, 708 },
///       protocols = { "authors", "per-run" },   -- initial weights from seed 42 in every run / from the run's seed
///       groups = {
///         { name = "fig1", rules = { "nrl", "bp", "rmhl" }, envs = { "reaching", "acrobot", "cartpole" } },
///         { name = "depth", rules = { "nrl", "bp" }, envs = { "cartpole" }, layers = { 2, 3 } },
///         { name = "variants", envs = { "acrobot" },
///           rules = { { "nrl-noisy", label = "nrl-noisy K=10", set = { passes = 10 } }, "scripts/myrule.lua" } },
///       },
///     }
///
/// Without `groups`, the top level is the one group. A group takes `rules`, `envs`, `layers` (one
/// number or a list), `hidden`, `seeds`, `episodes` (a number, or { env = number }) and `protocols`;
/// what it leaves out comes from the top level, then from the rule's defaults for the environment.
public struct Experiment: Sendable {
    public var name: String
    public var path: String
    public var runs: [PlannedRun]
    /// Rule scripts the runs use.
    public var scripts: [String]
    /// The rules and environments the runs resolve against: the host's plus this experiment's scripts.
    public var plugins: Plugins

    /// Loads and checks the file; every problem is reported with the file and the declaration's line
    /// before any run starts.
    public static func load(path: String, plugins host: Plugins, limits: ScriptLimits = .standard) throws -> Experiment {
        let (top, site) = try DeclarationFile.read(path: path, kind: "experiment", limits: limits)
        func fail(_ message: String) -> ScriptError { ScriptError(location: site, message: message) }

        let name = top["name"]?.string ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var groups: [(String, LuaValue)] = []
        if let list = top["groups"] {
            guard let items = list.array, !items.isEmpty else { throw fail("groups must be a list of { rules = …, envs = … } tables") }
            for (k, g) in items.enumerated() {
                guard g.fields != nil else { throw fail("groups[\(k + 1)] must be a table, got \(g)") }
                groups.append((g["name"]?.string ?? "group \(k + 1)", g))
            }
        } else {
            groups = [("main", top)]
        }
        var seenGroups = Set<String>()
        for (groupName, _) in groups where !seenGroups.insert(groupName).inserted {
            throw fail("two groups are named '\(groupName)'")
        }

        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var scripts: [String] = []
        var plugins = host
        plugins.addScriptEnvironments(limits: limits)
        var runs: [PlannedRun] = []
        for (groupName, group) in groups {
            func value(_ key: String) -> LuaValue? { group[key] ?? top[key] }
            let where_ = "group '\(groupName)'"
            guard let ruleItems = value("rules")?.array, !ruleItems.isEmpty else { throw fail("\(where_): rules = { … } is missing or empty") }
            guard let envItems = value("envs")?.array, !envItems.isEmpty else { throw fail("\(where_): envs = { … } is missing or empty") }
            guard let seeds = value("seeds")?.array?.map(\.integer), !seeds.isEmpty, seeds.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw fail("\(where_): seeds must be a list of non-negative integers")
            }
            let layers: [Int]
            switch value("layers") {
            case nil: layers = [1]
            case .integer(let n)?: layers = [n]
            case .table(let items, _)? where !items.isEmpty && items.allSatisfy({ ($0.integer ?? 0) >= 1 }): layers = items.map { $0.integer! }
            case let other?: throw fail("\(where_): layers must be a positive integer or a list of them, got \(other)")
            }
            var hidden: Int?
            if let h = value("hidden") {
                guard let n = h.integer, n >= 1 else { throw fail("\(where_): hidden must be a positive integer, got \(h)") }
                hidden = n
            }
            let protocols = try (value("protocols")?.array ?? [.string("per-run")]).map { p -> String in
                guard let s = p.string, ["authors", "per-run"].contains(s) else {
                    throw fail("\(where_): protocols are \"authors\" (initial weights from seed 42 in every run) or \"per-run\", got \(p)")
                }
                return s
            }
            // Rules: a name or path, or { rule, label =, set = { … } }.
            var labels = Set<String>()
            var rules: [(rule: String, label: String, settings: [String])] = []
            for item in ruleItems {
                var rule: String, label: String?, settings: [String] = []
                switch item {
                case .string(let s): rule = s
                case .table(let a, let f):
                    guard let r = a.first?.string else { throw fail("\(where_): a rule entry needs its name first: { \"nrl\", label = …, set = { … } }") }
                    rule = r
                    label = f["label"]?.string
                    if let set = f["set"] {
                        guard let fields = set.fields else { throw fail("\(where_): set must be a table of parameter = value") }
                        settings = fields.keys.sorted().map { key in
                            let v = fields[key]!
                            return "\(key)=" + (v.string ?? v.number.map { v.integer.map(String.init) ?? String($0) } ?? "\(v)")
                        }
                    }
                default: throw fail("\(where_): rules must be names, script paths or tables, got \(item)")
                }
                if rule.hasSuffix(".lua") {
                    let resolved = FileManager.default.fileExists(atPath: rule) ? rule : base.appendingPathComponent(rule).path
                    guard FileManager.default.fileExists(atPath: resolved) else { throw fail("\(where_): no rule script at \(rule)") }
                    let descriptor = try ScriptRules.descriptor(path: resolved, options: ScriptRuleOptions(limits: limits))
                    plugins.rules.register(descriptor)
                    if !scripts.contains(resolved) { scripts.append(resolved) }
                    label = label ?? descriptor.name
                    rule = descriptor.name
                } else if plugins.rules.descriptor(named: rule) == nil {
                    throw fail("\(where_): unknown rule '\(rule)'; known rules: \(plugins.rules.names.joined(separator: ", ")), or a .lua script")
                }
                let finalLabel = label ?? (settings.isEmpty ? rule : "\(rule) (\(settings.joined(separator: ", ")))")
                guard labels.insert(finalLabel).inserted else {
                    throw fail("\(where_): two rules are labelled '\(finalLabel)'; give one a label = \"…\"")
                }
                rules.append((rule, finalLabel, settings))
            }
            var envs: [String] = []
            for e in envItems {
                guard let s = e.string else { throw fail("\(where_): envs must be names or .lua paths, got \(e)") }
                var env = s
                if s.hasSuffix(".lua") && !FileManager.default.fileExists(atPath: s) { env = base.appendingPathComponent(s).path }
                guard plugins.environments.canonicalName(env) != nil else {
                    throw fail("\(where_): unknown environment '\(s)'; known: \(plugins.environments.knownNames)")
                }
                guard !envs.contains(env) else { throw fail("\(where_): environment '\(s)' is listed twice") }
                envs.append(env)
            }
            let episodes = value("episodes")
            for rule in rules {
                for env in envs {
                    var count: Int?
                    switch episodes {
                    case nil: count = nil
                    case .integer(let n)?: count = n
                    case .table(_, let perEnv)?: count = perEnv[plugins.environments.canonicalName(env) ?? env]?.integer
                    case let other?: throw fail("\(where_): episodes must be a number or { env = number }, got \(other)")
                    }
                    for layer in layers {
                        for seed in seeds.map({ UInt64($0!) }) {
                            for protocolName in protocols {
                                let request = RunRequest(rule: rule.rule, environment: env, episodes: count, seed: seed,
                                                         initSeed: protocolName == "authors" ? 42 : seed, hidden: hidden,
                                                         layers: layer, settings: rule.settings, limits: limits)
                                do {
                                    let spec = try request.resolve(in: plugins)
                                    runs.append(PlannedRun(experiment: name, group: groupName, label: rule.label, spec: spec,
                                                           protocolName: protocolName))
                                } catch let e as UsageError {
                                    throw fail("\(where_), rule '\(rule.label)' on \(env): \(e.description)")
                                }
                            }
                        }
                    }
                }
            }
        }
        return Experiment(name: name, path: path, runs: runs, scripts: scripts, plugins: plugins)
    }


    /// The runs of shard `index` (1-based) of `count`: every count-th run by key, so that shards
    /// partition the sweep the same way on every machine.
    public func shard(_ index: Int, of count: Int) -> [PlannedRun] {
        runs.sorted { $0.key < $1.key }.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// One run of an experiment.
public struct PlannedRun: Sendable {
    public var experiment: String
    public var group: String
    public var label: String
    public var spec: RunSpec
    public var protocolName: String

    /// A stable identity: the experiment, group, label and the full spec.
    public var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let spec = (try? encoder.encode(self.spec)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return StableHash.hex("\(experiment)\u{1}\(group)\u{1}\(label)\u{1}\(protocolName)\u{1}\(spec)")
    }

    public var stored: StoredRun {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return StoredRun(id: 0, key: key, experiment: experiment, group: group, label: label, rule: spec.rule, script: spec.script,
                         environment: spec.environment, hidden: spec.hidden, layers: spec.layers, seed: Int(spec.seed),
                         initSeed: Int(spec.initSeed), protocolName: protocolName, episodes: spec.episodes, specJSON: json,
                         status: "pending", message: nil, seconds: nil, steps: nil, finalPerformance: nil)
    }
}

/// FNV-1a, 64 bits, twice (forward and with a different basis) for a 128-bit hex key: stable across
/// runs and machines, unlike Swift's Hasher.
enum StableHash {
    static func hex(_ text: String) -> String {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325, b: UInt64 = 0x8422_2325_CBF2_9CE4
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return String(format: "%016llx%016llx", a, b)
    }
}

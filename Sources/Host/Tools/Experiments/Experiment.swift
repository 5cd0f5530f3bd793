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
/// number or a list), `hidden`, `seeds`, `episodes` (a number, or { env = number }), `protocols` and
/// `env_params` ({ env = { param = value } }: the environments' own parameters, as `--set env.KEY`);
/// what it leaves out comes from the top level, then from the rule's defaults for the environment.
/// `ExperimentDeclaration` is the format; `.lua` paths are relative to the experiment file.
public struct Experiment: Sendable {
    public var name: String
    public var path: String
    public var runs: [PlannedRun]
    /// Rule scripts the runs use.
    public var scripts: [String]
    /// The text of every script (rule and environment) the runs use, once each.
    public var sources: [ScriptSource] = []
    /// The rules and environments the runs resolve against: the host's plus this experiment's scripts.
    public var plugins: Plugins

    /// Loads and checks the file (`ExperimentDeclaration`); every problem is reported with the file
    /// and the declaration's line before any run starts. Rule scripts and environment scripts are
    /// paths relative to the experiment file (absolute ones stay as they are).
    public static func load(path: String, plugins host: Plugins, limits: ScriptLimits = .standard) throws -> Experiment {
        let (declaration, site) = try DeclarationFile.load(ExperimentDeclaration.self, path: path, kind: "experiment", limits: limits)
        do {
            return try expand(declaration, path: path, plugins: host, limits: limits)
        } catch let error as DeclarationError {
            throw error.located(at: site)
        }
    }

    private static func expand(_ declaration: ExperimentDeclaration, path: String, plugins host: Plugins,
                               limits: ScriptLimits) throws -> Experiment {
        let root = FieldPath("experiment")
        let name = declaration.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if let problem = nameProblem(name) {
            throw (declaration.name == nil ? root : root.field("name"))
                .problem("the experiment name \(problem) (it names the store, runs/<name>.sqlite)" + (declaration.name == nil ? "; give it a name = \"…\"" : ""))
        }
        var plugins = host
        plugins.addScriptEnvironments(limits: limits)
        plugins.addBridgeEnvironments(limits: limits)
        let resolver = DeclarationResolver(declaringFile: path, environments: plugins.environments)
        let top = declaration.top
        /// Where a group's setting comes from: its own table, or the top level.
        func source(_ key: String, _ own: Any?, _ groupPath: FieldPath) -> FieldPath {
            own != nil ? groupPath.field(key) : root.field(key)
        }

        // Environments first: the top level's episodes table must name environments of the groups using it.
        let groups = declaration.plannedGroups(root)
        var environments: [[EnvironmentName]] = []
        for (_, groupPath, own) in groups {
            let list = own.envs ?? top.envs ?? []
            environments.append(try resolver.environments(list, at: source("envs", own.envs, groupPath)))
        }
        var inheriting = zip(groups, environments).filter { $0.0.own.episodes == nil }.flatMap(\.1)
        if inheriting.isEmpty { inheriting = environments.flatMap { $0 } }
        var unique: [EnvironmentName] = []
        for env in inheriting where !unique.contains(where: { $0.canonical == env.canonical }) { unique.append(env) }
        let topEpisodes = try top.episodes.map { try resolver.values($0, for: unique, at: root.field("episodes")) } ?? [:]

        var scripts: [String] = []
        var sources: [ScriptSource] = []
        var runs: [PlannedRun] = []
        for ((groupName, groupPath, own), envs) in zip(groups, environments) {
            let seeds = (own.seeds ?? top.seeds ?? []).map { UInt64($0) }
            let layers = (own.layers ?? top.layers)?.values ?? [1]
            let hidden = own.hidden ?? top.hidden
            let protocols = (own.protocols ?? top.protocols ?? [.perRun]).map(\.rawValue)
            let episodes = try own.episodes.map { try resolver.values($0, for: envs, at: groupPath.field("episodes")) } ?? topEpisodes
            // Environment parameters: a group's own table names only its environments; the top level's
            // may name environments of any group (each group takes the entries of its own).
            var environmentSettings: [String: [String]] = [:]
            if let table = own.envParams ?? top.envParams {
                let at = source("env_params", own.envParams, groupPath)
                let mine = own.envParams != nil ? table : table.filter { key, _ in
                    envs.contains { resolver.key(key, names: $0) }
                }
                if own.envParams == nil {
                    for key in table.keys.sorted() where !environments.joined().contains(where: { resolver.key(key, names: $0) }) {
                        throw at.field(key).problem("'\(key)' is not one of the experiment's environments")
                    }
                }
                for (canonical, values) in try resolver.values(PerEnvironment.each(mine), for: envs, at: at) {
                    environmentSettings[canonical] = values.keys.sorted().map { "\(RunRequest.environmentPrefix)\($0)=\(values[$0]!.text)" }
                }
            }

            // Rules: a name, a script path, or { rule, label =, set = { … } }.
            let rulesPath = source("rules", own.rules, groupPath)
            var labels = Set<String>()
            var rules: [(rule: String, label: String, settings: [String], path: FieldPath)] = []
            for (k, entry) in (own.rules ?? top.rules ?? []).enumerated() {
                let at = rulesPath.item(k + 1)
                var rule = entry.rule, label = entry.label
                let settings = entry.settingList
                if rule.hasSuffix(".lua") {
                    let script = try resolver.path(rule, at: at)
                    let descriptor = try ScriptRules.descriptor(path: script, options: ScriptRuleOptions(limits: limits))
                    plugins.rules.register(descriptor)
                    if !scripts.contains(script) { scripts.append(script) }
                    label = label ?? descriptor.name
                    rule = descriptor.name
                } else if plugins.rules.descriptor(named: rule) == nil {
                    throw at.problem("unknown rule '\(rule)'; known rules: \(plugins.rules.names.joined(separator: ", ")), or a .lua script")
                }
                let finalLabel = label ?? (settings.isEmpty ? rule : "\(rule) (\(settings.joined(separator: ", ")))")
                guard labels.insert(finalLabel).inserted else {
                    throw at.problem("two rules are labelled '\(finalLabel)'; give one a label = \"…\"")
                }
                rules.append((rule, finalLabel, settings, at))
            }

            for rule in rules {
                for env in envs {
                    for layer in layers {
                        for seed in seeds {
                            for protocolName in protocols {
                                let request = RunRequest(rule: rule.rule, environment: env.canonical, episodes: episodes[env.canonical],
                                                         seed: seed, initSeed: protocolName == "authors" ? 42 : seed, hidden: hidden,
                                                         layers: layer, settings: rule.settings + (environmentSettings[env.canonical] ?? []),
                                                         limits: limits)
                                do {
                                    let spec = try request.resolve(in: plugins)
                                    for source in try plugins.sources(of: spec).values where !sources.contains(source) {
                                        sources.append(source)
                                    }
                                    runs.append(PlannedRun(experiment: name, group: groupName, label: rule.label, spec: spec,
                                                           protocolName: protocolName))
                                } catch let e as UsageError {
                                    throw rule.path.problem("rule '\(rule.label)' on \(env.written): \(e.description)")
                                }
                            }
                        }
                    }
                }
            }
        }
        return Experiment(name: name, path: path, runs: runs, scripts: scripts, sources: sources, plugins: plugins)
    }

    /// Why `name` cannot be an experiment's name, or nil: it becomes a file name (the default store
    /// runs/<name>.sqlite), so it is 1–100 bytes, without '/', '\\', control characters or a leading
    /// '.', and never "." or "..".
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        let shown = "'" + ScriptText.oneLine(ScriptText.capped(name, limit: 60)) + "'"
        if name.utf8.count > 100 { return "\(shown) is longer than 100 bytes" }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" }) { return "\(shown) must not contain '/' or '\\'" }
        if name.hasPrefix(".") { return "\(shown) must not start with '.'" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "\(shown) must not contain control characters"
        }
        return nil
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

    public init(experiment: String, group: String, label: String, spec: RunSpec, protocolName: String) {
        self.experiment = experiment
        self.group = group
        self.label = label
        self.spec = spec
        self.protocolName = protocolName
    }

    /// A stable identity: the experiment, group, label, protocol and the full spec — every resolved
    /// parameter, the shape, seeds, episodes, the scripts' paths and content hashes — with, instead
    /// of the nrlhost version that wrote it, the version of the numerics (`NRLHostVersion.numerics`):
    /// a release that leaves returns unchanged keeps every key, an edited script changes its runs'.
    public var key: String {
        var spec = self.spec
        spec.version = "numerics " + NRLHostVersion.numerics(of: spec.version)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return StableHash.hex("\(experiment)\u{1}\(group)\u{1}\(label)\u{1}\(protocolName)\u{1}\(json)")
    }

    public var stored: StoredRun {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return StoredRun(id: 0, key: key, experiment: experiment, group: group, label: label, rule: spec.rule, script: spec.script,
                         environment: spec.environment, hidden: spec.hidden, layers: spec.layers, seed: Int(spec.seed),
                         initSeed: Int(spec.initSeed), protocolName: protocolName, episodes: spec.episodes, specJSON: json,
                         status: "pending", message: nil, seconds: nil, steps: nil, finalPerformance: nil,
                         ruleScriptHash: spec.ruleScriptHash, environmentScriptHash: spec.environmentScriptHash)
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

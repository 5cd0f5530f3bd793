import LuaBridge
import NRLCore
import Foundation

/// A coursework assignment (`scripts/assignments/*.lua`): the task every submission is trained on,
/// the seeds, the limits, how a run is scored, and which primitives are allowed.
///
///     return assignment {
///       name = "np-reaching",
///       title = "Node perturbation on Reaching",
///       env = "reaching",                  -- or envs = { "reaching", "acrobot" }
///       hidden = 32, layers = 1,
///       episodes = 300,                    -- or { reaching = 300, acrobot = 800 }
///       seeds = { practice = { 1, 2 }, grading = { 7301, 7302, 7303 } },
///       init_seed = 42,                    -- optional: the same initial weights in every run
///       limits = { instructions = 10000000, memory_mb = 64, seconds = 30 },
///       scoring = { metric = "final", baseline = -20, pass = 40, full = 80 },
///       locality = "local",                -- "local": no exact gradients (add_gradient); "any"
///     }
///
/// With several environments, `scoring` may hold per-environment thresholds
/// (`scoring = { metric = "final", reaching = { baseline =, pass =, full = }, acrobot = { … } }`).
/// `grading` may be left out of the copy students get: `try` needs only the practice seeds.
public struct Assignment: Sendable {
    public enum Metric: String, Sendable, CaseIterable, Decodable {
        /// The mean return of the last 50 episodes (all of them, if fewer).
        case final
        /// The mean return over all episodes: the area under the learning curve.
        case auc
    }

    public enum Locality: String, Sendable, CaseIterable, Decodable {
        /// Only local learning signals: the exact-gradient primitive (`add_gradient`) is forbidden.
        case local
        case any
    }

    /// Which seeds a run uses.
    public enum SeedSet: String, Sendable, Codable {
        case practice, grading
    }

    /// How one environment's performance becomes a score.
    public struct Thresholds: Sendable, Equatable {
        /// The performance that scores 0 (about what a rule that does not learn reaches).
        public var baseline: Double
        /// The performance needed to pass.
        public var pass: Double
        /// The performance that scores 100.
        public var full: Double

        /// 100 · clamp((performance − baseline) / (full − baseline), 0, 1).
        public func score(_ performance: Double) -> Double {
            guard performance.isFinite else { return 0 }
            return 100 * min(1, max(0, (performance - baseline) / (full - baseline)))
        }
    }

    public var name: String
    public var title: String
    public var path: String
    /// "file:line" of the `assignment {` call.
    public var site: String
    /// Canonical builtin names, or environment script paths (resolved against the assignment's folder).
    public var environments: [String]
    public var hidden: Int
    public var layers: Int
    /// Episodes per run, by environment.
    public var episodes: [String: Int]
    public var practiceSeeds: [UInt64]
    /// Empty in a student copy of the assignment.
    public var gradingSeeds: [UInt64]
    /// The seed of every run's initial weights (the authors' protocol); nil: each run's own seed.
    public var initSeed: UInt64?
    public var limits: ScriptLimits
    /// Wall-clock seconds a submission may use in all (every seed and environment together).
    public var seconds: Double
    public var metric: Metric
    public var thresholds: [String: Thresholds]
    public var locality: Locality

    public func seeds(_ set: SeedSet) -> [UInt64] { set == .practice ? practiceSeeds : gradingSeeds }

    /// Host methods a submission may not call here, with the message it gets when it does.
    public var forbiddenMethods: [String: String] {
        switch locality {
        case .any: return [:]
        case .local:
            return ["add_gradient": "add_gradient is not allowed in this assignment (locality = \"local\": exact gradients are forbidden)"]
        }
    }

    /// Loads and checks an assignment file (`AssignmentDeclaration`); every problem names the file
    /// and the `assignment {` line. Environment scripts are paths relative to the assignment file.
    public static func load(path: String) throws -> Assignment {
        let (declaration, site) = try DeclarationFile.load(
            AssignmentDeclaration.self, path: path, kind: "assignment",
            limits: ScriptLimits(instructionsPerCall: 10_000_000, memoryBytes: 64 << 20, secondsPerCall: 5))
        do {
            return try Assignment(declaration, path: path, site: site)
        } catch let error as DeclarationError {
            throw error.located(at: site)
        }
    }

    private init(_ d: AssignmentDeclaration, path: String, site: String) throws {
        let root = FieldPath("assignment")
        name = d.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        title = d.title ?? name
        self.path = path
        self.site = site

        let resolver = DeclarationResolver(declaringFile: path, environments: EnvironmentRegistry.withScripts())
        let envs: [EnvironmentName]
        if let env = d.env {
            envs = [try resolver.environment(env, at: root.field("env"))]
        } else {
            envs = try resolver.environments(d.envs ?? [], at: root.field("envs"))
        }
        environments = envs.map(\.canonical)
        hidden = d.hidden ?? 64
        layers = d.layers ?? 1

        let episodes = try resolver.values(d.episodes, for: envs, at: root.field("episodes"))
        if let missing = envs.first(where: { episodes[$0.canonical] == nil }) {
            throw root.field("episodes").problem("no entry for '\(missing.written)'")
        }
        self.episodes = episodes

        practiceSeeds = d.seeds.practice.map { UInt64($0) }
        gradingSeeds = (d.seeds.grading ?? []).map { UInt64($0) }
        initSeed = d.initSeed.map { UInt64($0) }

        var limits = ScriptLimits(instructionsPerCall: 10_000_000, memoryBytes: 64 << 20, secondsPerCall: 60)
        if let n = d.limits?.instructions { limits.instructionsPerCall = n }
        if let n = d.limits?.memoryMB { limits.memoryBytes = n << 20 }
        seconds = d.limits?.seconds ?? 60
        // No single call may run longer than the whole budget.
        limits.secondsPerCall = seconds
        self.limits = limits

        let scoring = root.field("scoring")
        metric = d.scoring.metric ?? .final
        let own = try resolver.values(.each(d.scoring.perEnvironment), for: envs, at: scoring)
        var thresholds: [String: Thresholds] = [:]
        for env in envs {
            let mine = own[env.canonical]
            func value(_ key: String, _ get: (AssignmentDeclaration.Thresholds) -> Double?) throws -> Double {
                guard let v = mine.flatMap(get) ?? get(d.scoring.common) else {
                    throw scoring.error("needs \(key) = a number" + (envs.count > 1 ? " (for \(env.written))" : ""))
                }
                return v
            }
            let t = Thresholds(baseline: try value("baseline", \.baseline), pass: try value("pass", \.pass), full: try value("full", \.full))
            guard t.baseline < t.full, t.pass <= t.full else {
                throw scoring.problem("baseline < full and pass ≤ full are needed\(envs.count > 1 ? " for \(env.written)" : ""), got baseline = \(t.baseline), pass = \(t.pass), full = \(t.full)")
            }
            thresholds[env.canonical] = t
        }
        self.thresholds = thresholds
        locality = d.locality ?? .any
    }

    /// "10M instructions per call, 64 MB, 30 s": the limits as a student reads them.
    public var limitsSummary: String {
        let n = limits.instructionsPerCall
        let instructions = n % 1_000_000 == 0 ? "\(n / 1_000_000)M" : n % 1_000 == 0 ? "\(n / 1_000)k" : "\(n)"
        return "\(instructions) instructions per call, \(limits.memoryBytes >> 20) MB, \(Self.format(seconds)) s in all"
    }

    /// 30 → "30", 2.5 → "2.5".
    public static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

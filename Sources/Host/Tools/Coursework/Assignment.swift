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
    public enum Metric: String, Sendable, CaseIterable {
        /// The mean return of the last 50 episodes (all of them, if fewer).
        case final
        /// The mean return over all episodes: the area under the learning curve.
        case auc
    }

    public enum Locality: String, Sendable, CaseIterable {
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

    /// Loads and checks an assignment file; every problem names the file and the `assignment {` line.
    public static func load(path: String) throws -> Assignment {
        let (top, site) = try DeclarationFile.read(
            path: path, kind: "assignment", limits: ScriptLimits(instructionsPerCall: 10_000_000, memoryBytes: 64 << 20, secondsPerCall: 5))
        func fail(_ message: String) -> ScriptError { ScriptError(location: site, message: message) }
        let known: Set<String> = ["name", "title", "env", "envs", "hidden", "layers", "episodes", "seeds", "init_seed", "limits",
                                  "scoring", "locality", "__kind", "__declared_at"]
        if let unknown = top.fields?.keys.filter({ !known.contains($0) }).sorted().first {
            throw fail("unknown field '\(unknown)'; an assignment has \(known.subtracting(["__kind", "__declared_at"]).sorted().joined(separator: ", "))")
        }

        func string(_ key: String) throws -> String? {
            guard let v = top[key] else { return nil }
            guard let s = v.string else { throw fail("\(key) must be a string, got \(v)") }
            return s
        }
        func positiveInteger(_ v: LuaValue?, _ what: String, max: Int = Int(Int32.max)) throws -> Int? {
            guard let v else { return nil }
            guard let n = v.integer, n >= 1, n <= max else { throw fail("\(what) must be an integer in 1...\(max), got \(v)") }
            return n
        }
        func number(_ v: LuaValue?, _ what: String) throws -> Double? {
            guard let v else { return nil }
            guard let x = v.number, x.isFinite else { throw fail("\(what) must be a finite number, got \(v)") }
            return x
        }

        let name = try string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let title = try string("title") ?? name

        // Environments.
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var envNames: [String] = []
        switch (top["env"], top["envs"]) {
        case (nil, nil): throw fail("env = \"…\" (or envs = { … }) is missing")
        case (.some, .some): throw fail("give env = \"…\" or envs = { … }, not both")
        case (let one?, nil):
            guard let s = one.string else { throw fail("env must be a string, got \(one)") }
            envNames = [s]
        case (nil, let many?):
            guard let items = many.array, !items.isEmpty, items.allSatisfy({ $0.string != nil }) else {
                throw fail("envs must be a non-empty list of environment names, got \(many)")
            }
            envNames = items.map { $0.string! }
        }
        var environments: [String] = []
        let environmentNames = EnvironmentRegistry.withScripts()
        for s in envNames {
            var env = s
            if ScriptEnvironment.isScript(s) && !s.hasPrefix("/") { env = base.appendingPathComponent(s).path }
            guard let canonical = environmentNames.canonicalName(env) else {
                throw fail("unknown environment '\(s)'; known: \(environmentNames.knownNames)")
            }
            if ScriptEnvironment.isScript(canonical) && !FileManager.default.fileExists(atPath: canonical) {
                throw fail("no environment script at \(s)")
            }
            guard !environments.contains(canonical) else { throw fail("environment '\(s)' is listed twice") }
            environments.append(canonical)
        }
        /// The key a per-environment table uses for `env`: its builtin name, or the name as written.
        func keys(for env: String) -> [String] {
            let written = envNames[environments.firstIndex(of: env)!]
            return [env, written, URL(fileURLWithPath: env).deletingPathExtension().lastPathComponent]
        }

        let hidden = try positiveInteger(top["hidden"], "hidden", max: 65_536) ?? 64
        let layers = try positiveInteger(top["layers"], "layers", max: 64) ?? 1

        var episodes: [String: Int] = [:]
        switch top["episodes"] {
        case nil: throw fail("episodes = N (episodes per run; trials on Reaching) is missing")
        case .table(_, let perEnv)?:
            for env in environments {
                guard let v = keys(for: env).lazy.compactMap({ perEnv[$0] }).first else {
                    throw fail("episodes has no entry for '\(env)'")
                }
                episodes[env] = try positiveInteger(v, "episodes.\(env)", max: 10_000_000)
            }
        case let v?:
            let n = try positiveInteger(v, "episodes", max: 10_000_000)!
            for env in environments { episodes[env] = n }
        }

        // Seeds.
        guard let seeds = top["seeds"], seeds.fields != nil else {
            throw fail("seeds = { practice = { … }, grading = { … } } is missing")
        }
        func seedList(_ key: String) throws -> [UInt64]? {
            guard let v = seeds[key] else { return nil }
            guard let items = v.array, !items.isEmpty, items.allSatisfy({ ($0.integer ?? -1) >= 0 }) else {
                throw fail("seeds.\(key) must be a non-empty list of non-negative integers, got \(v)")
            }
            let list = items.map { UInt64($0.integer!) }
            guard Set(list).count == list.count else { throw fail("seeds.\(key) lists a seed twice") }
            return list
        }
        if let unknown = seeds.fields!.keys.first(where: { $0 != "practice" && $0 != "grading" }) {
            throw fail("seeds has practice = { … } and grading = { … }, not '\(unknown)'")
        }
        guard let practice = try seedList("practice") else { throw fail("seeds.practice = { … } (the seeds students try) is missing") }
        let grading = try seedList("grading") ?? []
        if let shared = grading.first(where: practice.contains) {
            throw fail("seed \(shared) is both a practice and a grading seed; grading seeds must stay private")
        }

        var initSeed: UInt64?
        if let v = top["init_seed"] {
            guard let n = v.integer, n >= 0 else { throw fail("init_seed must be a non-negative integer, got \(v)") }
            initSeed = UInt64(n)
        }

        // Limits.
        var limits = ScriptLimits(instructionsPerCall: 10_000_000, memoryBytes: 64 << 20, secondsPerCall: 60)
        var seconds = 60.0
        if let l = top["limits"] {
            guard let fields = l.fields else { throw fail("limits must be a table { instructions =, memory_mb =, seconds = }, got \(l)") }
            if let unknown = fields.keys.sorted().first(where: { !["instructions", "memory_mb", "seconds"].contains($0) }) {
                throw fail("limits has instructions, memory_mb and seconds, not '\(unknown)'")
            }
            if let n = try positiveInteger(fields["instructions"], "limits.instructions", max: Int.max) { limits.instructionsPerCall = n }
            if let n = try positiveInteger(fields["memory_mb"], "limits.memory_mb", max: 65_536) { limits.memoryBytes = n << 20 }
            if let s = try number(fields["seconds"], "limits.seconds") {
                guard s > 0, s <= 86_400 else { throw fail("limits.seconds must be in (0, 86400], got \(s)") }
                seconds = s
            }
        }
        // No single call may run longer than the whole budget.
        limits.secondsPerCall = seconds

        // Scoring.
        guard let scoring = top["scoring"], let scoringFields = scoring.fields else {
            throw fail("scoring = { metric = \"final\", baseline =, pass =, full = } is missing")
        }
        var metric = Metric.final
        if let m = scoringFields["metric"] {
            guard let s = m.string, let parsed = Metric(rawValue: s) else {
                throw fail("scoring.metric must be \"final\" (mean return of the last 50 episodes) or \"auc\" (mean return over all episodes), got \(m)")
            }
            metric = parsed
        }
        var thresholds: [String: Thresholds] = [:]
        for env in environments {
            let own = keys(for: env).lazy.compactMap { scoring[$0]?.fields }.first ?? [:]
            func value(_ key: String) throws -> Double {
                let where_ = own[key] != nil ? "scoring.\(env).\(key)" : "scoring.\(key)"
                guard let v = try number(own[key] ?? scoringFields[key], where_) else {
                    throw fail("scoring.\(key) is missing" + (environments.count > 1 ? " (for \(env))" : ""))
                }
                return v
            }
            let t = Thresholds(baseline: try value("baseline"), pass: try value("pass"), full: try value("full"))
            guard t.baseline < t.full, t.pass <= t.full else {
                throw fail("scoring\(environments.count > 1 ? " for \(env)" : ""): baseline < full and pass ≤ full are needed, got baseline = \(t.baseline), pass = \(t.pass), full = \(t.full)")
            }
            thresholds[env] = t
        }

        let localityValue = try string("locality") ?? "any"
        guard let locality = Locality(rawValue: localityValue) else {
            throw fail("locality must be \"local\" (no exact gradients) or \"any\", got \"\(localityValue)\"")
        }

        return Assignment(name: name, title: title, path: path, site: site, environments: environments, hidden: hidden,
                          layers: layers, episodes: episodes, practiceSeeds: practice, gradingSeeds: grading, initSeed: initSeed,
                          limits: limits, seconds: seconds, metric: metric, thresholds: thresholds, locality: locality)
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

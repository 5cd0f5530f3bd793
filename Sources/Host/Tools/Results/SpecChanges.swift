import NRLCore
import Foundation

/// What differs between the spec a store's run was recorded with and the spec planned for the same
/// slot now, in words: "rules/x.lua edited", "parameter lambda 0.99 → 0.5", "nrlhost numerics
/// 0.1.0 → 0.2.0".
enum SpecChanges {
    static func describe(from oldJSON: String, to newJSON: String) -> [String] {
        guard let old = try? JSONDecoder().decode(RunSpec.self, from: Data(oldJSON.utf8)) else {
            return ["the stored spec could not be read"]
        }
        guard let new = try? JSONDecoder().decode(RunSpec.self, from: Data(newJSON.utf8)) else { return ["the spec changed"] }
        return describe(from: old, to: new)
    }

    static func describe(from old: RunSpec, to new: RunSpec) -> [String] {
        var changes: [String] = []
        if old.rule != new.rule { changes.append("rule \(old.rule) → \(new.rule)") }
        if old.script != new.script { changes.append("rule script \(old.script ?? "none") → \(new.script ?? "none")") }
        if let path = new.script, old.ruleScriptHash != new.ruleScriptHash {
            changes.append(old.ruleScriptHash == nil ? "\(path): its text was not recorded (before nrlhost 0.3)" : "\(path) edited")
        }
        if old.environment != new.environment {
            changes.append("environment \(old.environment) → \(new.environment)")
        } else if old.environmentScriptHash != new.environmentScriptHash {
            changes.append(old.environmentScriptHash == nil ? "\(new.environment): its text was not recorded (before nrlhost 0.3)"
                                                             : "\(new.environment) edited")
        }
        changes += parameters("parameter", old.parameters, new.parameters)
        changes += parameters("environment parameter", old.environmentParameters, new.environmentParameters)
        if old.episodes != new.episodes { changes.append("episodes \(old.episodes) → \(new.episodes)") }
        if old.initSeed != new.initSeed { changes.append("init seed \(old.initSeed) → \(new.initSeed)") }
        if old.limits != new.limits { changes.append("script limits changed") }
        let before = NRLHostVersion.numerics(of: old.version), now = NRLHostVersion.numerics(of: new.version)
        if before != now { changes.append("nrlhost numerics \(before) → \(now)") }
        if changes.isEmpty { changes.append("recorded by nrlhost \(old.version) under an older run key") }
        return changes
    }

    private static func parameters(_ kind: String, _ old: Parameters?, _ new: Parameters?) -> [String] {
        let o = old?.values ?? [:], n = new?.values ?? [:]
        return Set(o.keys).union(n.keys).sorted().compactMap { name in
            guard o[name] != n[name] else { return nil }
            return "\(kind) \(name) \(o[name].map { "\($0)" } ?? "unset") → \(n[name].map { "\($0)" } ?? "unset")"
        }
    }
}

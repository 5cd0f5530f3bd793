import ArgumentParser
import BuiltinRules
import NRLCore
import LuaBridge
import NRLTools

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the learning rules with their parameters and defaults.")

    func run() {
        for d in BuiltinRules.registry().all {
            print("\(d.name) — \(d.summary)")
            for p in d.parameters {
                print("    \(p.name) = \(p.defaultValue)  (\(p.accepted)) \(p.help)")
            }
            for env in EnvironmentRegistry.builtin.ids {
                let defaults = d.defaults(env)
                let values = defaults.parameters.keys.sorted().map { "\($0)=\(defaults.parameters[$0]!)" }
                var parts = values
                if let h = defaults.hidden { parts.append("hidden=\(h)") }
                if let e = defaults.episodes { parts.append("episodes=\(e)") }
                if !parts.isEmpty { print("    on \(env): " + parts.joined(separator: " ")) }
            }
            print("")
        }
    }
}

struct EnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "envs", abstract: "List the environments.")

    func run() {
        for e in EnvironmentRegistry.builtin.all {
            print("\(e.id) — \(e.summary)")
            for p in e.parameters {
                print("    env.\(p.name) = \(p.defaultValue)  (\(p.accepted)) \(p.help)")
            }
        }
    }
}

import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the cost per environment step of each environment alone and of training with nrl, rmhl and bp, native and in Lua.",
        discussion: "Single-threaded, paper settings (CartPole 1×64, Acrobot 1×64, Reaching 1×128), seed 1. Build with -c release."
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Seconds to spend on each measurement.")
    var seconds: Double = 2

    @Option(help: "Folder holding the Lua twins (rules/nrl.lua, rules/rmhl.lua, rules/bp.lua) and envs/cartpole.lua.")
    var scripts: String = "scripts"

    func run() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        try measure()
    }

    private func measure() throws {
        let plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)
        var results: [BenchmarkResult] = []
        func record(_ r: BenchmarkResult) {
            results.append(r)
            if !json { printRow(r) }
        }
        // The Lua twins, each in a registry of its own (they share the builtins' names).
        let twins: [(String, Plugins)] = try ["nrl", "rmhl", "bp"].compactMap { rule in
            let path = "\(scripts)/rules/\(rule).lua"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            var twin = plugins
            twin.rules = RuleRegistry()
            twin.rules.register(try ScriptRules.descriptor(path: path))
            return (rule, twin)
        }
        if twins.isEmpty && !json { print("(no Lua twins under \(scripts)/rules: run from the repository or pass --scripts)") }
        for env in EnvironmentRegistry.builtin.ids {
            record(try Benchmark.environment(env, plugins: plugins, seconds: seconds))
            let luaEnv = "\(scripts)/envs/\(env).lua"
            if FileManager.default.fileExists(atPath: luaEnv) {
                record(try Benchmark.environment(luaEnv, plugins: plugins, seconds: seconds, label: "\(env).lua"))
            }
            for rule in ["nrl", "rmhl", "bp"] {
                record(try Benchmark.training(rule: rule, environment: env, plugins: plugins, seconds: seconds))
            }
            for (rule, twin) in twins {
                record(try Benchmark.training(rule: rule, environment: env, plugins: twin, seconds: seconds, label: "\(rule).lua"))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }

    private func printRow(_ r: BenchmarkResult) {
        let name = r.name.padding(toLength: 26, withPad: " ", startingAt: 0)
        let shape = r.shape.padding(toLength: 10, withPad: " ", startingAt: 0)
        print(name + shape + String(format: "%10.1f ns/step %12.0f steps/s", r.nanosecondsPerStep, r.stepsPerSecond))
    }
}

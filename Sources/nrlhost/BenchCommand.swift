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
        discussion: """
            Single-threaded, paper settings (CartPole 1×64, Acrobot 1×64, Reaching 1×128), seed 1. Build with -c release.
            A Lua twin runs exactly the steps of its native rule or environment (the same episodes, bit for bit); \
            each is measured --rounds times, native and Lua in turn, and the fastest round counts, so the \
            ratio in the last column is not skewed by the rest of the machine.
            """
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Seconds to spend on each measurement.")
    var seconds: Double = 2

    @Option(help: "Measurements of each twin pair, native and Lua in turn; the fastest counts.")
    var rounds: Int = 3

    @Flag(help: "Only the Python bridge's rows: gym:CartPole-v1 through the worker, Gymnasium's own step timed in it (--rounds times each, in turn), and nrl training on it.")
    var bridge = false

    @Option(help: "Folder holding the Lua twins (rules/nrl.lua, rules/rmhl.lua, rules/bp.lua) and envs/cartpole.lua.")
    var scripts: String = "scripts"

    func run() throws {
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be in 1...100") }
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
        /// Native and twin measured in turn, `rounds` times each; the fastest of each is recorded.
        func pair(native: () throws -> BenchmarkResult, twin: (() throws -> BenchmarkResult)?) throws {
            var bestNative: BenchmarkResult?, bestTwin: BenchmarkResult?
            func keep(_ r: BenchmarkResult, _ best: inout BenchmarkResult?) {
                if best.map({ r.nanosecondsPerStep < $0.nanosecondsPerStep }) ?? true { best = r }
            }
            for _ in 0..<rounds {
                keep(try native(), &bestNative)
                if let twin { keep(try twin(), &bestTwin) }
            }
            record(bestNative!)
            if var t = bestTwin {
                t.relativeToNative = t.nanosecondsPerStep / bestNative!.nanosecondsPerStep
                record(t)
            }
        }
        for env in EnvironmentRegistry.builtin.ids where !bridge {
            // The native environment sets the workload (steps in `seconds`); its Lua twin repeats it.
            let steps = try Benchmark.environment(env, plugins: plugins, seconds: seconds).steps
            let luaEnv = "\(scripts)/envs/\(env).lua"
            try pair(native: { try Benchmark.environment(env, plugins: plugins, seconds: seconds, steps: steps) },
                     twin: FileManager.default.fileExists(atPath: luaEnv)
                        ? { try Benchmark.environment(luaEnv, plugins: plugins, seconds: seconds, steps: steps, label: "\(env).lua") } : nil)
            for rule in ["nrl", "rmhl", "bp"] {
                let episodes = try Benchmark.training(rule: rule, environment: env, plugins: plugins, seconds: seconds).episodes
                let twin = twins.first { $0.0 == rule }?.1
                try pair(native: { try Benchmark.training(rule: rule, environment: env, plugins: plugins, seconds: seconds, episodes: episodes) },
                         twin: twin.map { twin in
                            { try Benchmark.training(rule: rule, environment: env, plugins: twin, seconds: seconds, episodes: episodes, label: "\(rule).lua") }
                         })
            }
        }
        // The Python bridge: gym:CartPole-v1 stepped through the worker against Gymnasium's own step, timed in the same worker.
        let python: String?
        do { python = try PythonLocation.find() } catch where !bridge { python = nil }  // --bridge: say why there is none
        if let python {
            var bridged = plugins
            bridged.addBridgeEnvironments(limits: .standard)
            let b = try Benchmark.bridge(python: python, plugins: bridged, seconds: seconds, rounds: rounds)
            record(b.environment)
            record(b.python)
            record(b.training)
            let overhead = b.environment.nanosecondsPerStep - b.python.nanosecondsPerStep
            if !json { print(String(format: "bridge overhead per step (bridged env step − Gymnasium's own step): %.1f ns", overhead)) }
        } else if !json {
            print("(no Python for gym: tasks, so no bridge figures: run `make python` or set NRLHOST_PYTHON)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }

    private func printRow(_ r: BenchmarkResult) {
        let name = r.name.padding(toLength: max(26, r.name.count + 1), withPad: " ", startingAt: 0)
        let shape = r.shape.padding(toLength: 10, withPad: " ", startingAt: 0)
        let ratio = r.relativeToNative.map { String(format: "   %.2f× native", $0) } ?? ""
        print(name + shape + String(format: "%10.1f ns/step %12.0f steps/s", r.nanosecondsPerStep, r.stepsPerSecond) + ratio)
    }
}

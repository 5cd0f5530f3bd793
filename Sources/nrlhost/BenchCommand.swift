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

    @Flag(name: .customLong("lanes-only"), help: "Only the lanes rows: NRL, BP and RMHL on CartPole, Acrobot and Reaching trained alone and in SIMD lanes, and the C yardsticks.")
    var lanesOnly = false

    @Option(help: "Lane widths to measure beside the default (16, 8, 4).")
    var widths: [Int] = []

    @Option(name: .customLong("lane-episodes"), help: "Lanes rows: 16 runs per thread of this many episodes each, the same work at every width (0: run for --seconds instead).")
    var laneEpisodes: Int = 300

    @Option(name: .customLong("lane-layers"), help: "Lanes rows: hidden layers of the networks (the paper's depth figures use 2 and 3).")
    var laneLayers: Int = 1

    @Option(name: .customLong("lane-rules"), parsing: .upToNextOption, help: "Lanes rows: the rules (nrl, bp, rmhl, np).")
    var laneRules: [String] = ["nrl", "bp", "rmhl"]

    @Option(name: .customLong("lane-envs"), parsing: .upToNextOption, help: "Lanes rows: the environments (cartpole, acrobot, reaching).")
    var laneEnvironments: [String] = ["cartpole", "acrobot", "reaching"]

    @Option(help: "Folder holding the C yardsticks nrl_cartpole.c and nrl_lanes.c: with --lanes-only they are compiled (cc -O3 -march=native) and run beside the lanes rows. Default: tools/bench when it exists (run from the repository).")
    var yardsticks: String?

    @Option(name: .customLong("yardstick-episodes"), help: "Episodes per run of the C yardsticks.")
    var yardstickEpisodes: Int = 5000

    @Flag(help: "Only the Python bridge's rows: gym:CartPole-v1 through the worker, Gymnasium's own step timed in it (--rounds times each, in turn), and nrl training on it.")
    var bridge = false

    @Option(help: "Folder holding the Lua twins (rules/nrl.lua, rules/rmhl.lua, rules/bp.lua) and envs/cartpole.lua.")
    var scripts: String = "scripts"

    func run() throws {
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be in 1...100") }
        // Before measuring, not after minutes of it.
        if let folder = yardsticks, !Self.yardstickSources(in: folder).allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            throw ValidationError("no nrl_cartpole.c and nrl_lanes.c in \(folder)")
        }
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
        guard !(lanesOnly && bridge) else { throw ValidationError("--lanes-only and --bridge each choose the only rows: give one") }
        if !bridge { try measureLanes(plugins: plugins, record: record) }
        if lanesOnly {
            if !json { try runYardsticks() }
            return try printJSON(results)
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
        try printJSON(results)
    }

    private static func yardstickSources(in folder: String) -> [String] {
        ["nrl_cartpole.c", "nrl_lanes.c"].map { "\(folder)/\($0)" }
    }

    /// The C yardsticks of tools/bench, built and run now so that they share the machine's state with
    /// the rows above: the plain single-run loop and the lanes prototype (not bit-identical with a single run).
    private func runYardsticks() throws {
        let sources = Self.yardstickSources(in: yardsticks ?? "tools/bench")
        // Without --yardsticks and outside the repository: no yardstick rows.
        guard sources.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { return }
        let build = FileManager.default.temporaryDirectory.appendingPathComponent("nrlhost-yardsticks-\(getpid())")
        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: build) }
        func shell(_ arguments: [String]) throws -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
        }
        func number(_ key: String, in json: String) -> Double? {
            guard let range = json.range(of: "\"\(key)\":") else { return nil }
            return Double(json[range.upperBound...].prefix { "0123456789.eE+-".contains($0) })
        }
        let plain = build.appendingPathComponent("nrl_c").path, lanes = build.appendingPathComponent("nrl_lanes").path
        let episodes = "\(max(1, yardstickEpisodes))"
        if try shell(["cc", "-O3", "-march=native", sources[0], "-lm", "-o", plain]) != nil,
           let out = try shell([plain, episodes, "2", "64"]), let ns = number("ns_per_step", in: out) {
            print("C yardstick nrl_cartpole.c".padding(toLength: 34, withPad: " ", startingAt: 0) + "4-64-2    "
                  + String(format: "%10.1f ns/step   (%@ episodes, one run)", ns, episodes))
        } else {
            print("C yardstick nrl_cartpole.c: could not be built or run with cc")
        }
        if try shell(["cc", "-O3", "-march=native", sources[1], "-lm", "-lpthread", "-o", lanes]) != nil,
           let out = try shell([lanes, episodes, "0", "1", "32", "16"]), let ns = number("ns_per_lane_step_core", in: out) {
            print("C prototype nrl_lanes.c".padding(toLength: 34, withPad: " ", startingAt: 0) + "4-64-2    "
                  + String(format: "%10.1f ns/step   (%@ episodes, 16 runs; not bit-identical)", ns, episodes))
        } else {
            print("C prototype nrl_lanes.c: could not be built or run with cc")
        }
    }

    private func printJSON(_ results: [BenchmarkResult]) throws {
        guard json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(results), as: UTF8.self))
    }

    /// --lane-rules on --lane-envs (NRL, BP and RMHL on CartPole, Acrobot and Reaching): the single-run path and the lanes engine (the default width and any --widths),
    /// on one thread (ns per env step per core) and on every core (steps/s of the machine); by default
    /// the same 16 runs × --lane-episodes episodes per thread at every width.
    /// Each measured --rounds times in turn; the fastest round counts.
    private func measureLanes(plugins: Plugins, record: (BenchmarkResult) -> Void) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let lanes = LaneWidthChoice.width()
        let widths = [1, lanes] + self.widths.filter { $0 != 1 && $0 != lanes && LaneWidthChoice.supported.contains($0) }
        var configurations = widths.map { ($0, 1) }
        if cores > 1 { configurations += [(1, cores), (lanes, cores)] }
        let pairs = laneEnvironments.flatMap { environment in laneRules.map { ($0, environment) } }
        for (rule, environment) in pairs {
            let spec = try RunRequest(rule: rule, environment: environment, seed: 1, layers: laneLayers).resolve(in: plugins)
            guard LaneSupport.supports(spec) else {
                throw ValidationError("the lanes engine does not train \(rule) on \(environment); it trains \(LaneSupport.summary)")
            }
        }
        for (rule, environment) in pairs {
            var best = [BenchmarkResult?](repeating: nil, count: configurations.count)
            for _ in 0..<rounds {
                for (i, (width, threads)) in configurations.enumerated() {
                    let r = try Benchmark.lanes(rule: rule, environment: environment, layers: laneLayers, plugins: plugins, width: width,
                                                threads: threads, seconds: seconds, episodes: laneEpisodes > 0 ? laneEpisodes : nil)
                    if best[i].map({ r.nanosecondsPerStep < $0.nanosecondsPerStep }) ?? true { best[i] = r }
                }
            }
            let scalar = best[0]!.nanosecondsPerStep
            for (i, r) in best.enumerated() {
                var r = r!
                if configurations[i].0 != 1 { r.relativeToNative = r.nanosecondsPerStep / scalar }
                record(r)
            }
        }
    }

    private func printRow(_ r: BenchmarkResult) {
        let name = r.name.padding(toLength: max(34, r.name.count + 1), withPad: " ", startingAt: 0)
        let shape = r.shape.padding(toLength: 10, withPad: " ", startingAt: 0)
        let base = r.threads == nil ? "native" : "scalar"
        let ratio = r.relativeToNative.map { String(format: "   %.3f× \(base)", $0) } ?? ""
        // Lanes rows: ns per env step per core (CPU time); steps/s of the whole machine (wall clock, all threads).
        let perSecond = r.machineStepsPerSecond ?? r.stepsPerSecond
        print(name + shape + String(format: "%10.1f ns/step %12.0f steps/s", r.nanosecondsPerStep, perSecond) + ratio)
    }
}

import ArgumentParser
import BuiltinRules
import Foundation
import Host

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the cost per environment step of each environment alone and of training with nrl, rmhl and bp.",
        discussion: "Single-threaded, paper settings (CartPole 1×64, Acrobot 1×64, Reaching 1×128), seed 1. Build with -c release."
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Seconds to spend on each measurement.")
    var seconds: Double = 2

    func run() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        let registry = BuiltinRules.registry()
        var results: [BenchmarkResult] = []
        for env in EnvironmentCatalog.builtinNames {
            results.append(try Benchmark.environment(env, seconds: seconds))
            if !json { printRow(results.last!) }
            for rule in ["nrl", "rmhl", "bp"] {
                results.append(try Benchmark.training(rule: rule, environment: env, registry: registry, seconds: seconds))
                if !json { printRow(results.last!) }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }

    private func printRow(_ r: BenchmarkResult) {
        let name = r.name.padding(toLength: 22, withPad: " ", startingAt: 0)
        let shape = r.shape.padding(toLength: 10, withPad: " ", startingAt: 0)
        print(name + shape + String(format: "%10.1f ns/step %12.0f steps/s", r.nanosecondsPerStep, r.stepsPerSecond))
    }
}

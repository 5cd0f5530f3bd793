import Foundation
import TestSupport
import XCTest

/// Every experiment example in docs/experiments.md is a valid experiment: each `return experiment`
/// block, written as a file in a copy of scripts/experiments/ (so that its relative paths are those of
/// the shipped scripts), passes `nrlhost check`; and the mistakes the page shows are the messages
/// nrlhost gives.
final class ExperimentDocTests: XCTestCase {
    static let page = ReferenceData.packageRoot.appendingPathComponent("docs/experiments.md")

    /// The ```lua blocks of the page that declare an experiment.
    func examples() throws -> [String] {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        return text.components(separatedBy: "```lua\n").dropFirst().compactMap { block in
            let code = block.components(separatedBy: "\n```")[0]
            return code.contains("return experiment") ? code : nil
        }
    }

    /// A folder like scripts/: experiments/ for the example, the shipped research/ and envs/ beside it.
    func scriptsCopy() throws -> URL {
        let dir = temporaryFolder()
        let scripts = ReferenceData.packageRoot.appendingPathComponent("scripts")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        for folder in ["research", "envs", "rules"] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(folder),
                                                       withDestinationURL: scripts.appendingPathComponent(folder))
        }
        return dir
    }

    func testEveryExampleIsAValidExperiment() throws {
        let examples = try examples()
        XCTAssertGreaterThanOrEqual(examples.count, 8, "the page shows an example per feature")
        let dir = try scriptsCopy()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (k, example) in examples.enumerated() {
            let path = try writeScratchFile("experiments/example\(k + 1).lua", example, in: dir)
            let result = try NRLHostBinary.run(["check", path])
            XCTAssertEqual(result.status, 0, "example \(k + 1):\n\(example)\n\(result.output)")
            XCTAssertTrue(result.stdout.contains("declares experiment"), result.output)
        }
    }

    func testTheMistakesShownAreTheMessagesGiven() throws {
        let dir = try scriptsCopy()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = try String(contentsOf: Self.page, encoding: .utf8)
        let mistakes: [(String, String)] = [
            ("rules = { \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 }, episode = 100",
             "unknown field 'episode' in experiment; valid fields: env_params, envs, episodes, groups, hidden, layers, name, protocols, rules, seeds"),
            ("rules = { \"nrl\" }, envs = { \"cartpole\", \"CartPole-v1\" }, seeds = { 1 }",
             "experiment.envs: environment 'CartPole-v1' is listed twice (as 'cartpole' and 'CartPole-v1')"),
            ("rules = { \"nlr\" }, envs = { \"cartpole\" }, seeds = { 1 }",
             "experiment.rules[1]: unknown rule 'nlr'; known rules: nrl, nrl-noisy, rmhl, bp, np, wp, or a .lua script"),
            ("rules = { \"nrl\", \"bp\", { \"nrl\", set = { sigma = 0 } } }, envs = { \"cartpole\" }, seeds = { 1 }",
             "experiment.rules[3]: rule 'nrl (sigma=0)' on cartpole: parameter 'sigma' must be > 0, got '0'"),
        ]
        for (fields, message) in mistakes {
            let path = try writeScratchFile("experiments/quick.lua", "\nreturn experiment { name = \"quick\", \(fields) }\n", in: dir)
            let result = try NRLHostBinary.run(["check", path])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("quick.lua:2: " + message), result.output)
            XCTAssertTrue(page.contains("quick.lua:2: " + message), "the page shows: \(message)")
        }
    }
}

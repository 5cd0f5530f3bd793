import BuiltinRules
import Foundation
@testable import NRLCore
@testable import LuaBridge
@testable import NRLTools
import TestSupport
import XCTest

/// "How gradient-like is my rule?": the cosine between a rule's update and BP's exact REINFORCE
/// update from the same weights on the same episodes.
final class RuleAlignmentTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A rule whose update is pure noise: it acts on the clean policy and adds N(0, σ²) to every weight.
    static let noiseRule = """
    local pass, noise
    return rule {
      name = "noise",
      summary = "adds Gaussian noise to every weight at every update",
      params = { sigma = { 1e-2, above = 0, help = "noise sd" }, gamma = { 0.66, min = 0, max = 1, help = "reward-average rate" } },
      env = "cartpole",
      setup = function(ctx) pass, noise = ctx.net:pass(), ctx.net:zeros() end,
      act = function(ctx, obs) ctx.net:forward(obs, pass); return pass:sample() end,
      learn = function(ctx, rpe) noise:fill_normal(ctx.params.sigma); ctx.net:add(noise, 1) end,
    }

    """

    func plugins(script: String? = nil) throws -> Plugins {
        var plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)
        if let script { plugins.rules.register(try ScriptRules.descriptor(path: script)) }
        return plugins
    }

    func measure(_ rule: String, env: String = "cartpole", script: String? = nil, checkpoints: [Int], batch: Int,
                 settings: [String] = []) throws -> RuleAlignmentResult {
        let plugins = try plugins(script: script)
        let spec = try RunRequest(rule: rule, environment: env, seed: 3, settings: settings).resolve(in: plugins)
        return try RuleAlignment.measure(spec: spec, plugins: plugins, checkpoints: checkpoints, batch: batch)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    // MARK: Outside truth

    /// BP's own update is the reference, so its cosine is 1 up to Float32 rounding — on a delayed task
    /// (once per episode) and on an immediate one (every step, the weights put back after each).
    func testBPIsExactlyAligned() throws {
        let delayed = try measure("bp", checkpoints: [0, 40, 80], batch: 5)
        XCTAssertEqual(delayed.checkpoints, [0, 40, 80])
        XCTAssertEqual(delayed.shape.description, "4-64-2")
        XCTAssertEqual(delayed.cosine.count, 3)
        for (c, layers) in zip(delayed.cosine, delayed.layerCosines) {
            XCTAssertEqual(c, 1, accuracy: 1e-6, "\(delayed.cosine)")
            XCTAssertEqual(layers.count, 2)
            for l in layers { XCTAssertEqual(l, 1, accuracy: 1e-6, "\(delayed.layerCosines)") }
        }
        let immediate = try measure("bp", env: "reaching", checkpoints: [0, 2], batch: 1)
        XCTAssertEqual(immediate.shape.description, "32-128-3")
        for c in immediate.cosine { XCTAssertEqual(c, 1, accuracy: 1e-6, "\(immediate.cosine)") }
    }

    /// NRL's update estimates the gradient: clearly positive, far above a rule whose update is noise,
    /// which is unrelated to it (|cos| of a random direction in 384 dimensions is about 0.05).
    func testNRLIsGradientLikeAndNoiseIsNot() throws {
        let nrl = try measure("nrl", checkpoints: [0, 100, 200], batch: 50)
        let noise = try measure("noise", script: try write(Self.noiseRule, "noise.lua"), checkpoints: [0, 100, 200], batch: 50)
        let meanNRL = nrl.cosine.reduce(0, +) / 3, meanNoise = noise.cosine.reduce(0, +) / 3
        XCTAssertGreaterThan(meanNRL, 0.2, "nrl: \(nrl.cosine)")
        for c in nrl.cosine { XCTAssertGreaterThan(c, 0, "nrl: \(nrl.cosine)") }
        for c in noise.cosine { XCTAssertLessThan(abs(c), 0.2, "noise: \(noise.cosine)") }
        XCTAssertGreaterThan(meanNRL, abs(meanNoise) + 0.15)
    }

    /// The Lua twin of `nrl` gives bit-identical runs, hence exactly the same cosines.
    func testLuaTwinGivesTheSameCosines() throws {
        let native = try measure("nrl", checkpoints: [0, 30, 60], batch: 4)
        let plugins = try plugins()
        var twin = plugins
        let descriptor = try ScriptRules.descriptor(path: Self.repository.appendingPathComponent("scripts/nrl.lua").path)
        XCTAssertEqual(descriptor.name, "nrl")
        twin.rules.register(descriptor)
        let spec = try RunRequest(rule: "nrl", environment: "cartpole", seed: 3).resolve(in: twin)
        XCTAssertNotNil(spec.script)
        let lua = try RuleAlignment.measure(spec: spec, plugins: twin, checkpoints: [0, 30, 60], batch: 4)
        XCTAssertEqual(native.cosine, lua.cosine)
        XCTAssertEqual(native.layerCosines, lua.layerCosines)
        XCTAssertTrue(native.cosine.allSatisfy(\.isFinite))
    }

    func testDeterministicAndCheckpointsChecked() throws {
        let a = try measure("rmhl", checkpoints: [20, 0], batch: 3)
        let b = try measure("rmhl", checkpoints: [0, 20], batch: 3)
        XCTAssertEqual(a.checkpoints, [0, 20])
        XCTAssertEqual(a.cosine, b.cosine)
        XCTAssertThrowsError(try measure("nrl", checkpoints: [], batch: 3))
        XCTAssertThrowsError(try measure("nrl", checkpoints: [-1, 4], batch: 3))
        XCTAssertThrowsError(try measure("nrl", checkpoints: [0], batch: 0))
        XCTAssertEqual(RuleAlignment.quarterCheckpoints(of: 1_000), [0, 250, 500, 750, 1_000])
        XCTAssertEqual(RuleAlignment.quarterCheckpoints(of: 2), [0, 1, 2])
    }

    // MARK: The report's rows

    func stored(_ label: String, rule: String, seed: Int, settings: [String] = [], script: String? = nil) throws -> StoredRun {
        let plugins = try plugins(script: script)
        let spec = try RunRequest(rule: rule, environment: "cartpole", episodes: 40, seed: UInt64(seed), settings: settings).resolve(in: plugins)
        var run = ReportTests.run(group: "g", label: label, rule: rule, seed: seed, episodes: 40)
        run.script = spec.script
        run.specJSON = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        return run
    }

    /// One row per distinct spec under a label (its lowest seed); a script that is gone or fails is a
    /// row that says so, not a failed report.
    func testStoreRowsAndProblems() throws {
        let broken = try write(Self.noiseRule.replacingOccurrences(of: "ctx.net:forward(obs, pass); return pass:sample()",
                                                                    with: "error('the act hook broke')"), "broken.lua")
        let gone = try write(Self.noiseRule, "gone.lua")
        let runs = [
            try stored("bp", rule: "bp", seed: 2), try stored("bp", rule: "bp", seed: 1),
            try stored("nrl", rule: "nrl", seed: 1), try stored("nrl", rule: "nrl", seed: 1, settings: ["lr=0.01"]),
            try stored("broken", rule: "noise", seed: 1, script: broken), try stored("gone", rule: "noise", seed: 1, script: gone),
        ]
        try FileManager.default.removeItem(atPath: gone)
        var settings = RuleAlignmentSettings(episodes: 1_000, batch: 2)
        settings.jobs = 2
        let section = RuleAlignment.measure(runs: runs, plugins: try plugins(), settings: settings)
        XCTAssertEqual(section.rows.map(\.label), ["bp", "nrl", "nrl", "broken", "gone"])
        XCTAssertEqual(section.rows[0].seed, 1, "the lowest seed")
        XCTAssertEqual(section.rows[0].result?.checkpoints, [0, 10, 20, 30, 40], "the run's 40 episodes, under the cap")
        for c in section.rows[0].result?.cosine ?? [] { XCTAssertEqual(c, 1, accuracy: 1e-6) }
        XCTAssertNotEqual(section.rows[1].result?.cosine, section.rows[2].result?.cosine, "two specs, two measurements")
        XCTAssertNil(section.rows[3].result)
        XCTAssertTrue(section.rows[3].problem?.contains("the act hook broke") == true, section.rows[3].problem ?? "")
        XCTAssertTrue(section.rows[3].problem?.contains("broken.lua:") == true, "file:line: \(section.rows[3].problem ?? "")")
        XCTAssertEqual(section.rows[4].problem, "the rule script \(gone) no longer exists")

        let capped = RuleAlignment.measure(runs: Array(runs.prefix(1)), plugins: try plugins(), settings: RuleAlignmentSettings(episodes: 8, batch: 1))
        XCTAssertEqual(capped.rows[0].result?.checkpoints, [0, 2, 4, 6, 8])

        let table = ReportTables.text(ReportTables.ruleAlignment(section))
        XCTAssertTrue(table.contains("no longer exists"), table)
        XCTAssertTrue(table.contains("1.000"), table)
        let markdown = section.markdown
        XCTAssertTrue(markdown.contains("| cartpole | 1x64 | bp | 1 | 40 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"), markdown)
        let html = HTMLReport.render(try ReportModel(store: try ResultStore(path: dir.appendingPathComponent("h.sqlite").path)),
                                     diagnostics: Diagnostics(alignment: nil, ruleAlignment: section))
        XCTAssertTrue(html.contains("<h3>How gradient-like is each rule?</h3>"))
        XCTAssertTrue(html.contains(SVGChart.escape("the rule script \(gone) no longer exists")))
        let measuredOnly = RuleAlignmentSection(settings: settings, rows: Array(section.rows.prefix(3)), seconds: 0)
        XCTAssertFalse(ReportTables.ruleAlignment(measuredOnly).headers.contains("note"), "no notes, no note column")
    }

    /// The toy gradient-alignment table covers only the experiment's builtin environments, and the
    /// noisy-pass measure (taken on Acrobot) appears only with Acrobot.
    func testDiagnosticsCoverOnlyTheExperimentsEnvironments() throws {
        var settings = AlignmentSettings()
        settings.states = 2
        settings.sampleCounts = [10]
        let cartpole = try Diagnostics.compute(environments: ["cartpole", "CartPole-v1"], settings: settings)
        XCTAssertEqual(Set(cartpole.alignment?.rows.map(\.environment) ?? []), ["cartpole"])
        XCTAssertNil(cartpole.noisyPasses)
        let mixed = try Diagnostics.compute(environments: ["Acrobot-v1", "scripts/envs/bandit.lua"], settings: settings)
        XCTAssertEqual(Set(mixed.alignment?.rows.map(\.environment) ?? []), ["acrobot"])
        XCTAssertNotNil(mixed.noisyPasses)
        let scripted = try Diagnostics.compute(environments: ["scripts/envs/bandit.lua"], settings: settings)
        XCTAssertNil(scripted.alignment)
        XCTAssertNil(scripted.noisyPasses)
        XCTAssertFalse(MarkdownReport.render(try ReportModel(store: try ResultStore(path: dir.appendingPathComponent("e.sqlite").path)),
                                             diagnostics: scripted).contains("### Gradient alignment"))
    }
}

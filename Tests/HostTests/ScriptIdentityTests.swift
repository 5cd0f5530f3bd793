import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// A spec names its scripts by content: what a run loads is the text the spec's hash is of, and a
/// script edited between planning and running never runs under the old run's identity.
final class ScriptIdentityTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let rule = """
    return rule {
      name = "steady",
      act = function(ctx, obs) return 1 end,
      learn = function() end,
    }

    """

    static let environment = """
    return env {
      name = "one-step", observations = 1, actions = 2, max_steps = 1,
      reset = function(self) return { 0 } end,
      step = function(self, a) return { 0 }, 1, true, false end,
    }

    """

    func plugins(rule path: String) throws -> Plugins {
        var plugins = Plugins(rules: RuleRegistry(), environments: .builtin)
        plugins.addScriptEnvironments(limits: .standard)
        plugins.rules.register(try ScriptRules.descriptor(path: path))
        return plugins
    }

    /// The descriptor read the rule's text once: an edit made after planning (here one that would
    /// fail at once) does not change what the planned runs run.
    func testARunRunsTheTextItsSpecNames() throws {
        let rule = try writeScratchFile("steady.lua", Self.rule, in: dir)
        let env = try writeScratchFile("one.lua", Self.environment, in: dir)
        let plugins = try plugins(rule: rule)
        let spec = try RunRequest(rule: "steady", environment: env, episodes: 3, hidden: 2).resolve(in: plugins)
        XCTAssertEqual(spec.ruleScriptHash, SHA256.hex(Self.rule))
        XCTAssertEqual(spec.environmentScriptHash, SHA256.hex(Self.environment))
        try Self.rule.replacingOccurrences(of: "return 1", with: "error('edited')").write(toFile: rule, atomically: true, encoding: .utf8)
        let summary = try Trainer(session: try Session(spec: spec, plugins: plugins)).run { _ in }
        XCTAssertEqual(summary.episodesCompleted, 3)
    }

    /// An environment script edited after planning: the run stops with a message instead of running
    /// another text under the planned identity.
    func testAnEnvironmentEditedAfterPlanningIsRefused() throws {
        let rule = try writeScratchFile("steady.lua", Self.rule, in: dir)
        let env = try writeScratchFile("one.lua", Self.environment, in: dir)
        let plugins = try plugins(rule: rule)
        let spec = try RunRequest(rule: "steady", environment: env, episodes: 3, hidden: 2).resolve(in: plugins)
        try (Self.environment + "-- edited\n").write(toFile: env, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Session(spec: spec, plugins: plugins)) { error in
            XCTAssertTrue("\(error)".contains("\(env) changed since the run was planned"), "\(error)")
        }
    }
}

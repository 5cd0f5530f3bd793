import Foundation
import LuaBridge
import NRLCore
import NRLTools
import TestSupport
import XCTest

/// The one decoder for declarations (`LuaValueDecoder`), its helper types, the resolver of names and
/// paths, and the four declaration kinds on top of it: every message compared whole.
final class DeclarationDecoderTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Writes `text` to `name` in the test's folder (making subfolders) and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The ScriptError `body` throws (a failure if it throws none or another error).
    func scriptError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> ScriptError? {
        do {
            try body()
            XCTFail("expected a ScriptError", file: file, line: line)
        } catch let error as ScriptError {
            return error
        } catch {
            XCTFail("expected a ScriptError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Asserts that `body` throws a ScriptError at `location` with exactly `message`.
    func assertError(_ location: String, _ message: String, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Void) {
        guard let error = scriptError(body, file: file, line: line) else { return }
        XCTAssertEqual(error.message, message, file: file, line: line)
        XCTAssertEqual(error.location, location, file: file, line: line)
    }

    /// Rules for experiments: the Lua twins of nrl and bp (this test target does not link the native rules).
    func plugins() throws -> Plugins {
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/rules")
        var plugins = Plugins()
        for name in ["nrl", "bp"] {
            plugins.rules.register(try ScriptRules.descriptor(path: scripts.appendingPathComponent("\(name).lua").path))
        }
        return plugins
    }

    // MARK: The decoder on plain values

    struct Sample: Decodable, DeclarationFieldUsage {
        enum Mode: String, Decodable, CaseIterable { case fast, slow }
        struct Part: Decodable { var size: Int }

        var name: String
        var count: Int?
        var ratio: Double?
        var on: Bool?
        var tags: [String]?
        var mode: Mode?
        var part: Part?
        var parts: [Part]?
        var table: [String: Int]?
        var layers: OneOrMany<Int>?
        var episodes: PerEnvironment<Int>?
        var hook: LuaFunctionMarker?

        static let usage = ["name": "the sample's name (a string)"]
    }

    func table(_ fields: [String: LuaValue], _ items: [LuaValue] = []) -> LuaValue { .table(items, fields) }

    func decode<T: Decodable>(_ type: T.Type, _ value: LuaValue, root: String = "sample") throws -> T {
        try LuaValueDecoder().decode(T.self, from: value, root: root)
    }

    /// The message of the DeclarationError decoding `value` as `T` throws.
    func message<T: Decodable>(_ type: T.Type, _ value: LuaValue, root: String = "sample",
                               file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try decode(type, value, root: root)
            XCTFail("expected a DeclarationError", file: file, line: line)
        } catch let error as DeclarationError {
            return error.message
        } catch {
            XCTFail("expected a DeclarationError, got \(error)", file: file, line: line)
        }
        return ""
    }

    func testDecodesEveryKindOfValue() throws {
        let value = table([
            "name": .string("s"), "count": .number(3), "ratio": .integer(2), "on": .boolean(true),
            "tags": table([:], [.string("a"), .string("b")]), "mode": .string("slow"),
            "part": table(["size": .integer(4)]), "parts": table([:], [table(["size": .integer(1)])]),
            "table": table(["x": .integer(1), "CartPole-v1": .integer(2)]), "layers": .integer(2),
            "episodes": table(["reaching": .integer(300)]), "hook": .other("function"),
            "__kind": .string("sample"), "__declared_at": .string("x.lua:1"),
        ])
        let s = try decode(Sample.self, value)
        XCTAssertEqual(s.name, "s")
        XCTAssertEqual(s.count, 3, "a float with an integral value is an integer")
        XCTAssertEqual(s.ratio, 2.0)
        XCTAssertEqual(s.on, true)
        XCTAssertEqual(s.tags, ["a", "b"])
        XCTAssertEqual(s.mode, .slow)
        XCTAssertEqual(s.part?.size, 4)
        XCTAssertEqual(s.parts?.map(\.size), [1])
        XCTAssertEqual(s.table, ["x": 1, "CartPole-v1": 2])
        XCTAssertEqual(s.layers, OneOrMany([2]))
        XCTAssertEqual(s.episodes, .each(["reaching": 300]))
        XCTAssertEqual(s.hook, LuaFunctionMarker())
        let minimal = try decode(Sample.self, table(["name": .string("m")]))
        XCTAssertNil(minimal.count)
        XCTAssertNil(minimal.layers)
    }

    func testOneOrMany() throws {
        XCTAssertEqual(try decode(Sample.self, table(["name": .string("s"), "layers": .integer(2)])).layers?.values, [2])
        XCTAssertEqual(try decode(Sample.self, table(["name": .string("s"), "layers": table([:], [.integer(2), .integer(3)])])).layers?.values, [2, 3])
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "layers": .string("two")])),
                       "sample.layers must be an integer or a list of integers, got \"two\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "layers": table([:], [.integer(2), .string("three")])])),
                       "sample.layers[2] must be an integer, got \"three\"")
    }

    func testPerEnvironment() throws {
        XCTAssertEqual(try decode(Sample.self, table(["name": .string("s"), "episodes": .integer(300)])).episodes, .all(300))
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "episodes": .string("many")])),
                       "sample.episodes must be an integer or a table { environment = an integer, … }, got \"many\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "episodes": table(["reaching": .number(2.5)])])),
                       "sample.episodes.reaching must be an integer, got 2.5")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "episodes": table(["CartPole-v1": .boolean(true)])])),
                       "sample.episodes[\"CartPole-v1\"] must be an integer, got true")
    }

    func testWrongTypes() {
        // A field with a usage says how it is written.
        XCTAssertEqual(message(Sample.self, table(["name": .integer(1)])), "sample needs name = the sample's name (a string), got 1")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "count": .number(2.5)])), "sample.count must be an integer, got 2.5")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "ratio": .string("1")])), "sample.ratio must be a number, got \"1\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "on": .integer(1)])), "sample.on must be true or false, got 1")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "tags": .string("a")])), "sample.tags must be a list of strings, got \"a\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "tags": table([:], [.string("a"), .other("nil"), .string("c")])])),
                       "sample.tags[2] must be a string, got nil")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "part": .integer(4)])), "sample.part must be a table, got 4")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "parts": table([:], [table(["size": .string("big")])])])),
                       "sample.parts[1].size must be an integer, got \"big\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "hook": .string("f")])), "sample.hook must be a function, got \"f\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "hook": .other("matrices")])), "sample.hook must be a function, got a matrices")
    }

    func testBadChoiceListsTheChoices() {
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "mode": .string("medium")])),
                       "sample.mode must be one of \"fast\", \"slow\", got \"medium\"")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "mode": .integer(1)])),
                       "sample.mode must be one of \"fast\", \"slow\", got 1")
    }

    func testMissingRequiredField() {
        XCTAssertEqual(message(Sample.self, table([:])), "sample needs name = the sample's name (a string)")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "part": table([:])])), "sample.part needs size = an integer")
        // A field spelled almost like the missing one is pointed out.
        XCTAssertEqual(message(Sample.self, table(["nmae": .string("s")])),
                       "sample needs name = the sample's name (a string); is 'nmae' meant to be name?")
    }

    func testUnknownFields() {
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "colour": .string("red")])),
                       "unknown field 'colour' in sample; valid fields: count, episodes, hook, layers, mode, name, on, part, parts, ratio, table, tags")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "parts": table([:], [table(["size": .integer(1)]), table(["size": .integer(2), "weight": .integer(3), "height": .integer(1)])])])),
                       "unknown fields 'height', 'weight' in sample.parts[2]; valid fields: size")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "tags": table(["x": .string("y")], [.string("a")])])),
                       "unknown field 'x' in sample.tags, which is a list")
        XCTAssertEqual(message(Sample.self, table(["name": .string("s"), "part": table(["size": .integer(1)], [.integer(5)])])),
                       "unexpected list item 1 in sample.part; valid fields: size")
        // The keys the host adds are never unknown.
        XCTAssertNoThrow(try decode(Sample.Part.self, table(["size": .integer(1), "__kind": .string("x"), "__declared_at": .string("f:1")])))
    }

    // MARK: Rules

    func testRuleDeclaration() throws {
        try write("envs/walk.lua", "return env { observations = 2, actions = 2, reset = function() end, step = function() end }\n")
        let path = try write("rules/mine.lua", """
            return rule {
              name = "mine", summary = "a test rule", learns = "episode",
              params = { lr = { 5e-2, min = 0, help = "step size" }, passes = { 2, min = 1, max = 10 },
                         scaling = { "paper", choices = { "paper", "fan_out" } } },
              env = "../envs/walk.lua", hidden = 16, episodes = 50,
              defaults = { ["CartPole-v1"] = { lr = 1e-2, hidden = 32 }, ["../envs/walk.lua"] = { passes = 3 } },
              setup = function(ctx) end, begin_episode = function(ctx) end,
              act = function(ctx, obs) return 1 end, learn = function(ctx, rpe) end,
            }

            """)
        let walk = dir.appendingPathComponent("envs/walk.lua").path
        let d = try ScriptRules.descriptor(path: path)
        XCTAssertEqual(d.name, "mine")
        XCTAssertEqual(d.summary, "a test rule")
        XCTAssertEqual(d.schedule, .episodeEnd)
        XCTAssertEqual(d.parameters.map(\.name), ["lr", "passes", "scaling"])
        XCTAssertEqual(d.parameters.map(\.accepted), ["a number ≥ 0", "an integer in 1...10", "one of paper, fan_out"])
        XCTAssertEqual(d.defaultEnvironment, walk, "an environment script's path is relative to the rule file")
        XCTAssertEqual(d.defaults("cartpole").parameters["lr"], .real(1e-2), "keys are resolved through the aliases")
        XCTAssertEqual(d.defaults("cartpole").hidden, 32)
        XCTAssertEqual(d.defaults("acrobot").hidden, 16)
        XCTAssertEqual(d.defaults("acrobot").episodes, 50)
        XCTAssertEqual(d.defaults(walk).parameters["passes"], .integer(3))
    }

    func rule(_ fields: String, act: String = "act = function(ctx, obs) return 1 end, ") -> String {
        "return rule {\n  \(fields)\n  \(act)learn = function(ctx, rpe) end,\n}\n"
    }

    func testRuleMistakes() throws {
        let cases: [(String, String)] = [
            (rule("name = 'lazy',", act: ""), "rule needs act = function(ctx, obs) returning an action"),
            (rule("act = 42,", act: ""), "rule needs act = function(ctx, obs) returning an action, got 42"),
            (rule("episode = 100,"),
             "unknown field 'episode' in rule; valid fields: act, baseline, begin_episode, defaults, env, episodes, hidden, layers, learn, learns, name, params, setup, summary"),
            (rule("learns = 'often',"), "rule.learns must be one of \"auto\", \"step\", \"episode\", got \"often\""),
            (rule("hidden = 0,"), "rule.hidden must be an integer in 1...65536, got 0"),
            (rule("params = { lr = {} },"), "rule.params.lr must be a number, a string or a boolean (or { default, min =, max =, above =, below =, integer =, choices =, help = }), got a table without a default"),
            (rule("params = { lr = { 0.1, 0.2, min = 0 } },"), "unexpected list item 2 in rule.params.lr; valid fields: above, below, choices, help, integer, max, min"),
            (rule("params = { lr = { 0.1, mn = 0 } },"), "unknown field 'mn' in rule.params.lr; valid fields: above, below, choices, help, integer, max, min"),
            (rule("params = { lr = { 0.1, min = 1, max = 0 } },"), "rule.params.lr: min 1 is above max 0"),
            (rule("params = { n = { 20, max = 10 } },"), "rule.params.n: default 20 must be ≤ 10"),
            (rule("params = { s = { 'big', choices = { 'small', 'medium' } } },"), "rule.params.s: default \"big\" is not one of its choices"),
            (rule("env = 'pong',"), "rule.env: unknown environment 'pong'; known: cartpole, acrobot, reaching, or a .lua file, or gym:ID or neurogym:ID (a Gymnasium or NeuroGym task in Python)"),
            (rule("params = { lr = 0.1 }, defaults = { reaching = { lr2 = 1 } },"),
             "unknown field 'lr2' in rule.defaults.reaching; valid fields: episodes, hidden, layers, lr"),
            (rule("params = { lr = 0.1 }, defaults = { reaching = { lr = 'fast' } },"),
             "rule.defaults.reaching.lr: parameter 'lr' must be a number, got 'fast'"),
            (rule("defaults = { cartpole = { hidden = 8 }, ['CartPole-v1'] = { hidden = 16 } },"),
             "rule.defaults: environment 'cartpole' is listed twice (as 'CartPole-v1' and 'cartpole')"),
            (rule("defaults = { pong = { hidden = 8 } },"),
             "rule.defaults.pong: unknown environment 'pong'; known: cartpole, acrobot, reaching, or a .lua file, or gym:ID or neurogym:ID (a Gymnasium or NeuroGym task in Python)"),
        ]
        for (k, (source, expected)) in cases.enumerated() {
            let path = try write("rule\(k).lua", source)
            assertError("\(path):1", expected) { _ = try ScriptRules.descriptor(path: path) }
        }
    }

    // MARK: Environments

    func environment(_ fields: String) -> String {
        "return env {\n  \(fields)\n  reset = function(self) return { 0 } end,\n  step = function(self, a) return { 0 }, 0, true, false end,\n}\n"
    }

    func testEnvironmentDeclaration() throws {
        let path = try write("walk.lua", environment("name = 'walk', observations = 1, actions = 3, reward = 'immediate', continuing = true, max_steps = 9, hidden = 8, episodes = 70,"))
        let summary = try ScriptEnvironment.declaration(path: path, limits: .standard)
        XCTAssertEqual(summary.info.name, "walk")
        XCTAssertEqual(summary.info.observationSize, 1)
        XCTAssertEqual(summary.info.actionCount, 3)
        XCTAssertEqual(summary.info.rewardTiming, .immediate)
        XCTAssertTrue(summary.info.continuing)
        XCTAssertEqual(summary.info.maxEpisodeSteps, 9)
        XCTAssertEqual(summary.defaults, EnvironmentDefaults(hidden: 8, episodes: 70))
    }

    func testEnvironmentMistakes() throws {
        let cases: [(String, String)] = [
            (environment("actions = 2,"), "env needs observations = the observation size (an integer)"),
            (environment("observations = 'four', actions = 2,"), "env needs observations = the observation size (an integer), got \"four\""),
            (environment("observations = 0, actions = 2,"), "env.observations must be an integer in 1...65536, got 0"),
            (environment("observations = 1, actions = 2, reward = 'later',"), "env.reward must be one of \"delayed\", \"immediate\", got \"later\""),
            (environment("observations = 1, actions = 2, pos = 1,"),
             "unknown field 'pos' in env; valid fields: actions, continuing, episodes, hidden, max_steps, name, observations, params, reset, reward, step"),
            ("return env { observations = 1, actions = 2, reset = function() end, step = 3 }\n",
             "env needs step = function(self, action) returning obs, reward, terminated, truncated, got 3"),
        ]
        for (k, (source, expected)) in cases.enumerated() {
            let path = try write("env\(k).lua", source)
            assertError("\(path):1", expected) { _ = try ScriptEnvironment.declaration(path: path, limits: .standard) }
        }
    }

    // MARK: Experiments

    func testExperimentDeclaration() throws {
        try write("exp/rules/mine.lua", rule("name = 'mine',"))
        let path = try write("exp/small.lua", """
            return experiment {
              name = "small", seeds = { 1, 2 }, episodes = { cartpole = 3, ["Acrobot-v1"] = 2 },
              groups = {
                { name = "a", rules = { "bp", { "nrl", set = { scaling = "fan_out" } } }, envs = { "CartPole-v1" } },
                { name = "b", rules = { "rules/mine.lua" }, envs = { "acrobot" }, layers = { 1, 2 }, hidden = 8,
                  protocols = { "authors", "per-run" } },
              },
            }

            """)
        let e = try Experiment.load(path: path, plugins: try plugins())
        XCTAssertEqual(e.name, "small")
        XCTAssertEqual(e.scripts, [dir.appendingPathComponent("exp/rules/mine.lua").path], "rule paths are relative to the experiment")
        XCTAssertEqual(e.runs.count, 2 * 2 + 2 * 2 * 2)
        XCTAssertEqual(Set(e.runs.map(\.label)), ["bp", "nrl (scaling=fan_out)", "mine"])
        XCTAssertEqual(Set(e.runs.filter { $0.group == "a" }.map(\.spec.environment)), ["cartpole"])
        XCTAssertEqual(Set(e.runs.filter { $0.group == "a" }.map(\.spec.episodes)), [3])
        XCTAssertEqual(Set(e.runs.filter { $0.group == "b" }.map(\.spec.episodes)), [2])
        XCTAssertEqual(Set(e.runs.filter { $0.group == "b" }.map(\.spec.layers)), [1, 2])
        XCTAssertEqual(Set(e.runs.filter { $0.group == "b" }.map(\.spec.hidden)), [8])
        XCTAssertEqual(Set(e.runs.filter { $0.protocolName == "authors" }.map(\.spec.initSeed)), [42])
    }

    func testExperimentMistakes() throws {
        try write("rules/mine.lua", rule("name = 'mine',"))
        let ok = "rules = { 'nrl' }, envs = { 'cartpole' }, seeds = { 1 },"
        let missing = dir.appendingPathComponent("exp/rules/missing.lua").path
        let cases: [(String, String)] = [
            ("\(ok) episode = 100", "unknown field 'episode' in experiment; valid fields: env_params, envs, episodes, groups, hidden, layers, name, protocols, rules, seeds"),
            ("groups = { { \(ok) }, { \(ok) layer = 2 } }",
             "unknown field 'layer' in experiment.groups[2]; valid fields: env_params, envs, episodes, hidden, layers, name, protocols, rules, seeds"),
            ("groups = { { \(ok) layers = 'two' } }", "experiment.groups[1].layers must be an integer or a list of integers, got \"two\""),
            ("groups = { { \(ok) layers = { 1, 0 } } }", "experiment.groups[1].layers[2] must be an integer in 1...64, got 0"),
            ("\(ok) layers = 0", "experiment.layers must be an integer in 1...64, got 0"),
            ("\(ok) protocols = { 'mine' }", "experiment.protocols[1] must be one of \"authors\", \"per-run\", got \"mine\""),
            ("rules = { 'nrl' }, envs = { 'cartpole', 'CartPole-v1' }, seeds = { 1 }",
             "experiment.envs: environment 'CartPole-v1' is listed twice (as 'cartpole' and 'CartPole-v1')"),
            ("\(ok) episodes = { cartpole = 10, acrobot = 5 }", "experiment.episodes.acrobot: 'acrobot' is not one of the environments here (cartpole)"),
            ("\(ok) episodes = { cartpole = 10, ['CartPole-v1'] = 5 }",
             "experiment.episodes: environment 'cartpole' is listed twice (as 'CartPole-v1' and 'cartpole')"),
            ("rules = { 'rules/missing.lua' }, envs = { 'cartpole' }, seeds = { 1 }",
             "experiment.rules[1]: no such file \"rules/missing.lua\"; relative paths are relative to the declaring file, so it is \(missing)"),
            ("rules = { { label = 'x' } }, envs = { 'cartpole' }, seeds = { 1 }",
             "experiment.rules[1] needs the rule first: { \"nrl\", label = …, set = { … } }"),
            ("rules = { 'nrl' }, envs = { 'cartpole' }", "experiment needs seeds = { … }, a list of non-negative integers"),
            ("groups = { { rules = { 'nrl' }, envs = { 'cartpole' } } }",
             "experiment.groups[1] needs seeds = { … }, a list of non-negative integers (or the experiment's own seeds = { … } for every group)"),
            ("\(ok) groups = {}", "experiment.groups must not be empty"),
            ("rules = { 'nrl' }, envs = { 'cartpole' }, seeds = { 1, -1 }", "experiment.seeds[2] must be an integer ≥ 0, got -1"),
        ]
        for (k, (fields, expected)) in cases.enumerated() {
            let path = try write("exp/bad\(k).lua", "return experiment { \(fields) }\n")
            assertError("\(path):1", expected) { _ = try Experiment.load(path: path, plugins: try plugins()) }
        }
    }

    /// A rule path is resolved against the experiment's folder, not the current directory.
    func testExperimentPathsAreNotRelativeToTheCurrentDirectory() throws {
        try write("rules/mine.lua", rule("name = 'mine',"))
        let path = try write("exp/e.lua", "return experiment { rules = { 'rules/mine.lua' }, envs = { 'cartpole' }, seeds = { 1 } }\n")
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let resolved = dir.appendingPathComponent("exp/rules/mine.lua").path
        assertError("\(path):1", "experiment.rules[1]: no such file \"rules/mine.lua\"; relative paths are relative to the declaring file, so it is \(resolved)") {
            _ = try Experiment.load(path: path, plugins: try plugins())
        }
        let absolute = dir.appendingPathComponent("rules/mine.lua").path
        let fixed = try write("exp/f.lua", "return experiment { rules = { '\(absolute)' }, envs = { 'cartpole' }, seeds = { 1 } }\n")
        XCTAssertEqual(try Experiment.load(path: fixed, plugins: try plugins()).scripts, [absolute], "absolute paths stay as they are")
    }

    // MARK: Assignments

    func assignment(_ fields: String, scoring: String = "scoring = { baseline = 0, pass = 50, full = 100 },") -> String {
        "return assignment {\n  episodes = 10, seeds = { practice = { 1 }, grading = { 2 } },\n  \(scoring)\n  \(fields)\n}\n"
    }

    func testAssignmentDeclaration() throws {
        try write("course/envs/walk.lua", environment("observations = 1, actions = 2,"))
        let path = try write("course/a.lua", """
            return assignment {
              name = "a", title = "A test", envs = { "Reaching1D-v0", "envs/walk.lua" }, hidden = 8, layers = 2,
              episodes = { reaching = 30, walk = 20 },
              seeds = { practice = { 1, 2 }, grading = { 3 } }, init_seed = 42,
              limits = { instructions = 1000000, memory_mb = 32, seconds = 5 },
              scoring = { metric = "auc", reaching = { baseline = 0, pass = 50, full = 100 },
                          ["envs/walk.lua"] = { baseline = -10, pass = -5, full = 0 } },
              locality = "local",
            }

            """)
        let walk = dir.appendingPathComponent("course/envs/walk.lua").path
        let a = try Assignment.load(path: path)
        XCTAssertEqual(a.name, "a")
        XCTAssertEqual(a.title, "A test")
        XCTAssertEqual(a.environments, ["reaching", walk])
        XCTAssertEqual(a.episodes, ["reaching": 30, walk: 20])
        XCTAssertEqual([a.hidden, a.layers], [8, 2])
        XCTAssertEqual(a.practiceSeeds, [1, 2])
        XCTAssertEqual(a.gradingSeeds, [3])
        XCTAssertEqual(a.initSeed, 42)
        XCTAssertEqual(a.limits.instructionsPerCall, 1_000_000)
        XCTAssertEqual(a.limits.memoryBytes, 32 << 20)
        XCTAssertEqual(a.seconds, 5)
        XCTAssertEqual(a.metric, .auc)
        XCTAssertEqual(a.thresholds[walk].map { [$0.baseline, $0.pass, $0.full] }, [-10, -5, 0])
        XCTAssertEqual(a.thresholds["reaching"].map { [$0.baseline, $0.pass, $0.full] }, [0, 50, 100])
        XCTAssertEqual(a.locality, .local)
    }

    func testAssignmentMistakes() throws {
        let missing = dir.appendingPathComponent("envs/gone.lua").path
        let cases: [(String, String)] = [
            (assignment("env = 'cartpole', episode = 5,"),
             "unknown field 'episode' in assignment; valid fields: env, envs, episodes, hidden, init_seed, layers, limits, locality, name, scoring, seeds, title"),
            (assignment("env = 'cartpole', limits = { seconds = 5, memory = 64 },"),
             "unknown field 'memory' in assignment.limits; valid fields: instructions, memory_mb, seconds"),
            (assignment("env = 'cartpole'", scoring: "scoring = { basline = 0, pass = 50, full = 100 },"),
             "unknown field 'basline' in assignment.scoring; valid fields: baseline, full, metric, pass, and environment = { baseline =, pass =, full = }"),
            (assignment("env = 'cartpole', envs = { 'acrobot' },"), "assignment: give env = \"…\" or envs = { … }, not both"),
            (assignment("hidden = 8,"), "assignment needs env = \"…\" (or envs = { … })"),
            (assignment("envs = { 'cartpole', 'CartPole-v1' },"),
             "assignment.envs: environment 'CartPole-v1' is listed twice (as 'cartpole' and 'CartPole-v1')"),
            (assignment("env = 'envs/gone.lua',"),
             "assignment.env: no such file \"envs/gone.lua\"; relative paths are relative to the declaring file, so it is \(missing)"),
            (assignment("env = 'cartpole', locality = 'global',"), "assignment.locality must be one of \"local\", \"any\", got \"global\""),
            (assignment("env = 'cartpole', limits = { seconds = 0 },"), "assignment.limits.seconds must be a number of seconds in (0, 86400], got 0"),
            (assignment("env = 'cartpole'", scoring: "scoring = { metric = 'best', baseline = 0, pass = 50, full = 100 },"),
             "assignment.scoring.metric must be one of \"final\", \"auc\", got \"best\""),
            (assignment("env = 'cartpole'", scoring: "scoring = { baseline = 100, pass = 50, full = 0 },"),
             "assignment.scoring: baseline < full and pass ≤ full are needed, got baseline = 100.0, pass = 50.0, full = 0.0"),
            (assignment("envs = { 'cartpole', 'acrobot' }", scoring: "scoring = { cartpole = { baseline = 0, pass = 5, full = 10 } },"),
             "assignment.scoring needs baseline = a number (for acrobot)"),
            (assignment("envs = { 'cartpole' }", scoring: "scoring = { baseline = 0, pass = 5, full = 10, acrobot = { pass = 1 } },"),
             "assignment.scoring.acrobot: 'acrobot' is not one of the environments here (cartpole)"),
            ("return assignment { env = 'cartpole', episodes = { acrobot = 10 }, seeds = { practice = { 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "assignment.episodes.acrobot: 'acrobot' is not one of the environments here (cartpole)"),
            ("return assignment { envs = { 'cartpole', 'acrobot' }, episodes = { acrobot = 10 }, seeds = { practice = { 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "assignment.episodes: no entry for 'cartpole'"),
            ("return assignment { env = 'cartpole', episodes = 10, seeds = { practise = { 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "assignment.seeds needs practice = { … } (the seeds students try); is 'practise' meant to be practice?"),
            ("return assignment { env = 'cartpole', seeds = { practice = { 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "assignment needs episodes = N (episodes per run; trials on Reaching), or { env = N, … }"),
            ("return assignment { env = 'cartpole', episodes = 10, seeds = { practice = { 1, 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "assignment.seeds.practice: seed 1 is listed twice"),
            ("return assignment { env = 'cartpole', episodes = 10, seeds = { practice = { 1 }, grading = { 1 } }, scoring = { baseline = 0, pass = 5, full = 10 } }\n",
             "seed 1 is both a practice and a grading seed; grading seeds must stay private"),
        ]
        for (k, (source, expected)) in cases.enumerated() {
            let path = try write("bad\(k).lua", source)
            assertError("\(path):1", expected) { _ = try Assignment.load(path: path) }
        }
    }

    // MARK: The resolver

    func testResolverNamesEnvironmentsOneWay() throws {
        let script = try write("envs/walk.lua", environment("observations = 1, actions = 2,"))
        let resolver = DeclarationResolver(declaringFile: dir.appendingPathComponent("exp.lua").path, environments: .withScripts())
        let at = FieldPath("experiment").field("envs")
        // The "gym:" and "neurogym:" prefixes name Python tasks (the bridge), never the native versions.
        let envs = try resolver.environments(["CartPole-v1", "envs/walk.lua", "Reaching1D-v0", "neurogym:Reaching1D-v0"], at: at)
        XCTAssertEqual(envs.map(\.canonical), ["cartpole", script, "reaching", "neurogym:Reaching1D-v0"])
        XCTAssertTrue(resolver.key("walk", names: envs[1]), "a script's file name names it")
        XCTAssertTrue(resolver.key(script, names: envs[1]))
        XCTAssertTrue(resolver.key("cartpole", names: envs[0]))
        XCTAssertFalse(resolver.key("acrobot", names: envs[0]))
        XCTAssertEqual(try resolver.values(PerEnvironment.each(["walk": 5, "CARTPOLE-V1": 7]), for: envs, at: at), ["cartpole": 7, script: 5])
        XCTAssertThrowsError(try resolver.environments(["envs/walk.lua", script], at: at)) { error in
            XCTAssertEqual((error as? DeclarationError)?.message,
                           "experiment.envs: environment '\(script)' is listed twice (as 'envs/walk.lua' and '\(script)')")
        }
    }
}

import Foundation
import NRLCore
import LuaBridge
import NRLTools
import TestSupport
import XCTest

/// Parameters with exclusive bounds (`above`/`below`), integers from integral floats
/// (`integer = true`), booleans, and the messages for values out of range; environment parameters
/// in experiment files.
final class ParameterBoundsTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    func testSpecsNameTheBoundAValueBreaks() {
        let sigma = ParameterSpec("sigma", .real(RealBounds(above: 0)), default: .real(0.1), help: "")
        XCTAssertEqual(sigma.accepted, "a number > 0")
        XCTAssertEqual(message { _ = try sigma.parse("0") }, "parameter 'sigma' must be > 0, got '0'")
        XCTAssertEqual(message { _ = try sigma.parse("-1e-3") }, "parameter 'sigma' must be > 0, got '-1e-3'")
        XCTAssertEqual(message { _ = try sigma.parse("big") }, "parameter 'sigma' must be a number > 0, got 'big'")
        XCTAssertEqual(message { _ = try sigma.parse("inf") }, "parameter 'sigma' must be a number > 0, got 'inf'")
        XCTAssertEqual(try sigma.parse("1e-300"), .real(1e-300))

        let p = ParameterSpec("p", .real(RealBounds(min: 0, below: 1)), default: .real(0.5), help: "")
        XCTAssertEqual(p.accepted, "a number in [0, 1)")
        XCTAssertEqual(message { _ = try p.parse("1") }, "parameter 'p' must be < 1, got '1'")
        XCTAssertEqual(message { _ = try p.parse("-0.5") }, "parameter 'p' must be ≥ 0, got '-0.5'")
        XCTAssertEqual(try p.parse("0"), .real(0))

        let gamma = ParameterSpec("gamma", .real(RealBounds(min: 0, max: 1)), default: .real(0.66), help: "")
        XCTAssertEqual(gamma.accepted, "a number in [0, 1]")
        XCTAssertEqual(message { _ = try gamma.parse("1.5") }, "parameter 'gamma' must be ≤ 1, got '1.5'")
        XCTAssertEqual(ParameterSpec("x", .real(RealBounds(above: 0.5, below: 2.5)), default: .real(1), help: "").accepted,
                       "a number in (0.5, 2.5)")

        let k = ParameterSpec("k", .integer(2...1000), default: .integer(2), help: "")
        XCTAssertEqual(message { _ = try k.parse("1") }, "parameter 'k' must be ≥ 2, got '1'")
        XCTAssertEqual(message { _ = try k.parse("2.5") }, "parameter 'k' must be an integer in 2...1000, got '2.5'")
        XCTAssertEqual(try k.parse("10"), .integer(10))
        XCTAssertEqual(try k.parse("1e2"), .integer(100), "an integral number written as a float is an integer")

        let flag = ParameterSpec("flag", .boolean, default: .boolean(false), help: "")
        XCTAssertEqual(try flag.parse("true"), .boolean(true))
        XCTAssertEqual(message { _ = try flag.parse("1") }, "parameter 'flag' must be true or false, got '1'")
    }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    func rule(_ params: String) -> String {
        "return rule {\n  params = { \(params) },\n  act = function(ctx, obs) return 1 end, learn = function(ctx, rpe) end,\n}\n"
    }

    func testDeclaredBoundsAndIntegers() throws {
        let path = try write("bounds.lua", rule("""
            sigma = { 0.1, above = 0 }, p = { 0.5, min = 0, below = 1 }, n = { 8.0, integer = true, above = 0 },
            k = { 3, min = 1, max = 9 }, m = { 4, above = 2.5, below = 7.5 }, decay = { 1e3, integer = true },
            flag = true, real = 8.0
            """))
        let d = try ScriptRules.descriptor(path: path)
        let specs = Dictionary(uniqueKeysWithValues: d.parameters.map { ($0.name, $0) })
        XCTAssertEqual(specs["sigma"]?.accepted, "a number > 0")
        XCTAssertEqual(specs["p"]?.accepted, "a number in [0, 1)")
        XCTAssertEqual(specs["n"]?.accepted, "an integer ≥ 1")
        XCTAssertEqual(specs["n"]?.defaultValue, .integer(8), "an integral default with integer = true is an integer parameter")
        XCTAssertEqual(specs["decay"]?.defaultValue, .integer(1000))
        XCTAssertEqual(specs["k"]?.accepted, "an integer in 1...9")
        XCTAssertEqual(specs["m"]?.accepted, "an integer in 3...7", "exclusive bounds of an integer become the next integer inside")
        XCTAssertEqual(specs["flag"]?.accepted, "true or false")
        XCTAssertEqual(specs["flag"]?.defaultValue, .boolean(true))
        XCTAssertEqual(specs["real"]?.defaultValue, .real(8), "without integer = true, 8.0 stays a real parameter")
        XCTAssertEqual(message { _ = try specs["n"]!.parse("0") }, "parameter 'n' must be ≥ 1, got '0'")
        XCTAssertEqual(message { _ = try specs["sigma"]!.parse("0") }, "parameter 'sigma' must be > 0, got '0'")
    }

    func testDeclarationMistakes() throws {
        let cases: [(String, String)] = [
            ("n = { 2.5, integer = true }", "rule.params.n: integer = true, but the default 2.5 is not an integer"),
            ("n = { 2, integer = false }", "rule.params.n: integer = false, but the default 2 is an integer; write it 2.0 for a real parameter"),
            ("n = { 'x', integer = true }", "rule.params.n: integer is for numbers, but the default is \"x\""),
            ("s = { 0, above = 0 }", "rule.params.s: default 0 must be > 0"),
            ("s = { 0.0, above = 0 }", "rule.params.s: default 0 must be > 0"),
            ("s = { 1.0, below = 1 }", "rule.params.s: default 1 must be < 1"),
            ("s = { 0.5, min = 0, above = 0 }", "rule.params.s: give min (inclusive) or above (exclusive), not both"),
            ("s = { 0.5, max = 1, below = 1 }", "rule.params.s: give max (inclusive) or below (exclusive), not both"),
            ("s = { 0.5, above = 1, below = 1 }", "rule.params.s: above 1 and below 1 leave no number"),
            ("s = { 0.5, above = 2, max = 1 }", "rule.params.s: above 2 is above max 1"),
            ("s = { 0.5, above = 0/0 }", "rule.params.s: above must be a number, got nan (0/0)"),
            ("n = { 3, above = 1.2, below = 1.8 }", "rule.params.n: no integer lies between above 1.2 and below 1.8"),
            ("n = { 3, above = 2, below = 3 }", "rule.params.n: no integer lies between above 2 and below 3"),
            ("n = { 3000000000 }", "rule.params.n: default 3000000000 must be ≤ 2147483647"),
            ("s = { 0.5, above = math.huge }", "rule.params.s: above inf is above the largest number"),
            ("b = { true, min = 0 }", "rule.params.b: min, max, above, below, integer and choices are not for booleans, but the default is true"),
            ("s = { 'a', above = 0 }", "rule.params.s: min, max, above and below are for numbers, but the default is \"a\""),
        ]
        for (k, (params, expected)) in cases.enumerated() {
            let path = try write("bad\(k).lua", rule(params))
            XCTAssertThrowsError(try ScriptRules.descriptor(path: path), params) { error in
                XCTAssertEqual((error as? ScriptError)?.message, expected, params)
            }
        }
    }

    /// What a script sees in ctx.params: integers as Lua integers (also from integer = true), booleans
    /// as booleans; and an environment's own declaration is checked like a rule's.
    func testScriptsSeeTypedValues() throws {
        let path = try write("typed.lua", """
            return rule {
              name = "typed",
              params = { n = { 8.0, integer = true }, flag = false, x = { 0.5, above = 0 } },
              setup = function(ctx)
                local p = ctx.params
                assert(math.type(p.n) == "integer" and p.n == 12, "n is " .. tostring(p.n))
                assert(p.flag == true, "flag is " .. tostring(p.flag))
                assert(math.type(p.x) == "float" and p.x == 0.25, "x is " .. tostring(p.x))
              end,
              act = function(ctx, obs) return 1 end, learn = function(ctx, r) end,
            }
            """)
        var plugins = Plugins()
        plugins.rules.register(try ScriptRules.descriptor(path: path))
        let spec = try RunRequest(rule: "typed", environment: "cartpole", episodes: 1, hidden: 2,
                                  settings: ["n=12", "flag=true", "x=0.25"]).resolve(in: plugins)
        try Trainer(session: Session(spec: spec, plugins: plugins)).run { _ in }
        XCTAssertEqual(spec.parameters["n"], .integer(12))
        XCTAssertEqual(spec.parameters["flag"], .boolean(true))

        let env = try write("badenv.lua", """
            return env { observations = 1, actions = 2, params = { speed = { 0, above = 0 } },
              reset = function(self) return { 0 } end, step = function(self, a) return { 0 }, 0, true, false end }
            """)
        XCTAssertThrowsError(try ScriptEnvironment.declaration(path: env, limits: .standard)) { error in
            XCTAssertEqual((error as? ScriptError)?.message, "env.params.speed: default 0 must be > 0")
        }
    }

    func testExperimentFilesSetEnvironmentParameters() throws {
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/rules/nrl.lua").path
        var plugins = Plugins()
        plugins.rules.register(try ScriptRules.descriptor(path: rules))
        let env = try write("walk.lua", """
            return env { observations = 1, actions = 2, max_steps = 3, params = { speed = { 1.0, above = 0 }, steps = 3 },
              reset = function(self) return { 0 } end, step = function(self, a) return { 0 }, self.params.speed, false, false end }
            """)
        let path = try write("exp.lua", """
            return experiment {
              rules = { "nrl" }, seeds = { 1 }, episodes = 2,
              env_params = { cartpole = { sutton_barto_reward = true } },
              groups = {
                { name = "a", envs = { "cartpole", "acrobot" } },
                { name = "b", envs = { "walk.lua" }, env_params = { walk = { speed = 2.5 } },
                  rules = { { "nrl", label = "fast", set = { ["env.steps"] = 5 } } } },
              },
            }
            """)
        let e = try Experiment.load(path: path, plugins: plugins)
        let byEnv = Dictionary(uniqueKeysWithValues: e.runs.map { ($0.spec.environment, $0.spec.environmentParameters) })
        XCTAssertEqual(byEnv["cartpole"], Parameters(["sutton_barto_reward": .boolean(true)]))
        XCTAssertEqual(byEnv["acrobot"], .some(nil), "an environment without parameters records none")
        XCTAssertEqual(byEnv[env], Parameters(["speed": .real(2.5), "steps": .integer(5)]))

        for (source, expected) in [
            ("rules = { 'nrl' }, envs = { 'cartpole' }, seeds = { 1 }, env_params = { acrobot = { x = 1 } }",
             "experiment.env_params.acrobot: 'acrobot' is not one of the environments here (cartpole)"),
            ("rules = { 'nrl' }, seeds = { 1 }, env_params = { acrobot = { x = 1 } }, groups = { { envs = { 'cartpole' } } }",
             "experiment.env_params.acrobot: 'acrobot' is not one of the experiment's environments"),
            ("rules = { 'nrl' }, envs = { 'cartpole' }, seeds = { 1 }, env_params = { cartpole = { x = 1 } }",
             "rule 'nrl' on cartpole: environment 'cartpole' has no parameter 'x'; its parameters: sutton_barto_reward"),
        ] {
            let bad = try write("bad.lua", "return experiment { \(source) }\n")
            XCTAssertThrowsError(try Experiment.load(path: bad, plugins: plugins)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }
}

import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// The documented functions that no other suite calls directly (DocumentedFunctionTests finds them):
/// `nrl.version`, `ctx.env`, `ctx.learns_every_step`, `p:sample`, `p:logp`, `p:noise_sqnorm`,
/// `v:argmax`, `v:sample`, `v:totable`, `r:integer`, vector indexing, length and text, and the Lua 5.3
/// compatibility functions of `math`. Each is checked, in Lua, against what docs/lua-api.md says it
/// does; bad input against the whole message, file and line included.
final class APICoverageTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Helpers every snippet sees, in `setup(ctx)` of a rule on a 4-3-2 network.
    static let prelude = #"""
    local function check(ok, what) if not ok then error(what, 2) end end
    local function near(a, b, tol) return math.abs(a - b) <= tol * math.max(1, math.abs(a), math.abs(b)) end
    local p, q, obs = ctx.net:pass(), ctx.net:pass(), nrl.vector(4, 0.5)
    obs[1], obs[3] = -1.25, 2
    ctx.net:forward(obs, p)
    """#

    var snippets: SetupSnippets { SetupSnippets(prelude: Self.prelude, fileName: "api.lua", folder: dir) }

    @discardableResult
    func run(_ body: String) throws -> [String: Double] { try snippets.run(body) }

    func assertRuns(_ body: String, file: StaticString = #filePath, line: UInt = #line) {
        snippets.assertRuns(body, file: file, line: line)
    }

    func assertErrors(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        snippets.assertErrors(cases, file: file, line: line)
    }

    // MARK: The module and ctx

    func testNrlVersionIsTheHostsVersion() throws {
        let logged = try run("""
        check(type(nrl.version) == "string" and nrl.version:match("^%d+%.%d+%.%d+") ~= nil, tostring(nrl.version))
        check(nrl.version == "\(NRLHostVersion.current)", nrl.version)
        log("ok", 1)
        """)
        XCTAssertEqual(logged["ok"], 1)
    }

    /// `ctx.env` and `ctx.learns_every_step` in real runs: a delayed task, an immediate continuing one
    /// and a script environment, under each `learns`.
    func testContextEnvAndLearnsEveryStep() throws {
        let walk = try writeScratchFile("walk.lua", """
            return env {
              name = "walk", observations = 3, actions = 5, reward = "immediate", max_steps = 2,
              reset = function() return { 0, 0, 0 } end,
              step = function() return { 0, 0, 0 }, 0, false, false end,
            }
            """, in: dir)
        func probe(_ env: String, learns: String) throws -> [String: Double] {
            let rule = try writeScratchFile("probe.lua", """
                local function flag(b) return b and 1 or 0 end
                return rule {
                  name = "probe", learns = "\(learns)",
                  setup = function(ctx)
                    local e = ctx.env
                    log("name_" .. e.name:gsub("%W", "_"), 1)
                    log("observations", e.observations)
                    log("actions", e.actions)
                    log("immediate", flag(e.reward == "immediate"))
                    log("delayed", flag(e.reward == "delayed"))
                    log("continuing", flag(e.continuing))
                    log("every_step", flag(ctx.learns_every_step))
                    log("boolean", flag(type(ctx.learns_every_step) == "boolean" and type(e.continuing) == "boolean"))
                  end,
                  act = function(ctx) return 1 end,
                  learn = function() end,
                }
                """, in: dir)
            var plugins = Plugins(environments: .withScripts())
            plugins.rules.register(try ScriptRules.descriptor(path: rule))
            let spec = try RunRequest(rule: "probe", environment: env, episodes: 1, seed: 1, hidden: 2).resolve(in: plugins)
            var records: [EpisodeRecord] = []
            try Trainer(session: Session(spec: spec, plugins: plugins)).run { records.append($0) }
            return records[0].metrics
        }
        let cartpole = try probe("cartpole", learns: "auto")
        XCTAssertEqual(cartpole, ["name_cartpole": 1, "observations": 4, "actions": 2, "immediate": 0, "delayed": 1,
                                  "continuing": 0, "every_step": 0, "boolean": 1])
        XCTAssertEqual(try probe("cartpole", learns: "step")["every_step"], 1)
        let reaching = try probe("reaching", learns: "auto")
        XCTAssertEqual(reaching["immediate"], 1)
        XCTAssertEqual(reaching["continuing"], 1)
        XCTAssertEqual(reaching["every_step"], 1)
        XCTAssertEqual(try probe("reaching", learns: "episode")["every_step"], 0)
        let script = try probe(walk, learns: "auto")
        XCTAssertEqual(script, ["name_walk": 1, "observations": 3, "actions": 5, "immediate": 1, "delayed": 0,
                                "continuing": 0, "every_step": 1, "boolean": 1])
    }

    // MARK: pass

    /// `p:sample()` draws from π with the actions stream: its draws are those of `v:sample()` on the
    /// pass's probabilities from the same stream state, and their frequency is π.
    func testPassSampleDrawsFromThePolicy() throws {
        let draws = "for i = 1, 20 do log(\"a\" .. i, DRAW) end"
        let fromPass = try run(draws.replacingOccurrences(of: "DRAW", with: "p:sample()"))
        let fromProbs = try run(draws.replacingOccurrences(of: "DRAW", with: "p:probs():sample()"))
        XCTAssertEqual(fromPass.count, 20)
        XCTAssertEqual(fromPass, fromProbs)
        XCTAssertEqual(Set(fromPass.values).subtracting([1, 2]), [], "actions are 1 or 2")
        assertRuns("""
        local n, ones = 20000, 0
        for _ = 1, n do
          local a = p:sample()
          check(math.type(a) == "integer" and (a == 1 or a == 2), tostring(a))
          if a == 1 then ones = ones + 1 end
        end
        check(math.abs(ones / n - p:prob(1)) < 0.02, string.format("%.4f vs π(1) = %.4f", ones / n, p:prob(1)))
        """)
    }

    func testLogpIsTheLogProbabilityOrItsDifferenceFromAReference() throws {
        assertRuns("""
        for a = 1, 2 do
          check(near(p:logp(a), math.log(p:prob(a)), 1e-12), "log π(" .. a .. ")")
        end
        ctx.net:forward(obs, q, { sigma = 0.5 })
        check(q:prob(1) ~= p:prob(1), "the noisy pass differs")
        for a = 1, 2 do
          check(q:logp(a, p) == q:logp(a) - p:logp(a), "Δ = log π̃(a) − log π(a), in Double")
          check(p:logp(a, p) == 0, "against itself")
        end
        check(near(math.exp(p:logp(1)) + math.exp(p:logp(2)), 1, 1e-12), "π sums to 1")
        """)
        assertErrors([
            ("p:logp(0)", "bad argument #1 to 'logp' (action in 1..2 expected, got 0)"),
            ("p:logp(3)", "bad argument #1 to 'logp' (action in 1..2 expected, got 3)"),
            ("p:logp(1, obs)", "bad argument #2 to 'logp' (pass expected, got vector)"),
        ])
    }

    func testNoiseSqnormIsTheSquaredNormOfTheNoise() throws {
        assertRuns("""
        ctx.net:forward(obs, q, { sigma = 0.3 })
        local xi = q:noise()
        check(#xi == 5, "N = 3 + 2")
        local total, l1, l2 = 0, 0, 0
        for i = 1, #xi do total = total + xi[i] * xi[i] end
        for i = 1, 3 do l1 = l1 + xi[i] * xi[i] end
        for i = 4, 5 do l2 = l2 + xi[i] * xi[i] end
        check(total > 0, "noise was drawn")
        check(near(q:noise_sqnorm(), total, 1e-12), "‖ξ‖² of the network")
        check(near(q:noise_sqnorm(1), l1, 1e-12) and near(q:noise_sqnorm(2), l2, 1e-12), "‖ξ_l‖² per layer")
        check(near(q:noise_sqnorm(1), q:noise(1):sqnorm(), 1e-12), "= the noise view's sqnorm")
        ctx.net:forward(obs, q, { sigma = { 0, 0.3 } })
        check(q:noise_sqnorm(1) == 0 and q:noise_sqnorm(2) > 0, "σ_1 = 0: no noise on layer 1")
        ctx.net:forward(obs, q, { sigma = 0 })
        check(q:noise_sqnorm() == 0, "σ = 0")
        """)
        assertErrors([
            ("p:noise_sqnorm(3)", "bad argument #1 to 'noise_sqnorm' (layer in 1..2 expected, got 3)"),
        ])
    }

    // MARK: vector

    func testArgmaxIsTheFirstLargestElement() throws {
        assertRuns("""
        local v = nrl.vector(4)
        v[1], v[2], v[3], v[4] = 1, 3, 3, 2
        check(v:argmax() == 2 and math.type(v:argmax()) == "integer", "the first of two largest")
        v[1], v[2], v[3], v[4] = -5, -1, -2, -1
        check(v:argmax() == 2, "negative elements")
        check(nrl.vector(1, 7):argmax() == 1, "one element")
        check(obs:argmax() == 3, "a read-only Float32 view")
        local greedy = p:probs():argmax()
        check(p:prob(greedy) >= p:prob(3 - greedy), "the greedy action")
        """)
        assertErrors([
            ("nrl.vector(0):argmax()", "calling 'argmax' on bad self (non-empty vector expected)"),
        ])
    }

    /// `v:sample()` draws i with probability v_i from the actions stream; a shortfall goes to the last index.
    func testVectorSampleFollowsItsProbabilities() throws {
        assertRuns("""
        local v = nrl.vector(3)
        v[2] = 1
        for _ = 1, 50 do check(v:sample() == 2, "all mass on 2") end
        v[2], v[3] = 0, 1
        for _ = 1, 50 do check(v:sample() == 3, "all mass on 3") end
        local function frequencies(w, n)
          local counts = {}
          for i = 1, #w do counts[i] = 0 end
          for _ = 1, n do local i = w:sample() counts[i] = counts[i] + 1 end
          for i = 1, #w do counts[i] = counts[i] / n end
          return counts
        end
        local w = nrl.vector(2)
        w[1], w[2] = 0.25, 0.75
        local f = frequencies(w, 20000)
        check(math.abs(f[1] - 0.25) < 0.02 and math.abs(f[2] - 0.75) < 0.02, string.format("%.3f %.3f", f[1], f[2]))
        local short = nrl.vector(3)
        short[1], short[2] = 0.5, 0.3                  -- sums to 0.8: 0.2 goes to index 3
        f = frequencies(short, 20000)
        check(math.abs(f[3] - 0.2) < 0.02, string.format("shortfall to the last index: %.3f", f[3]))
        """)
        assertErrors([
            ("nrl.vector(0):sample()", "calling 'sample' on bad self (non-empty vector expected)"),
        ])
    }

    func testTotableIsAPlainCopy() throws {
        assertRuns("""
        local v = nrl.vector(3, 0.5)
        v[2] = 2
        local t = v:totable()
        check(type(t) == "table" and getmetatable(t) == nil, "a plain table")
        check(#t == 3 and t[1] == 0.5 and t[2] == 2 and t[3] == 0.5, "the values")
        t[1] = 9
        check(v[1] == 0.5, "independent of the vector")
        local probs = p:probs():totable()
        check(probs[1] == p:prob(1) and probs[2] == p:prob(2), "a read-only Double view")
        local o = obs:totable()
        check(o[1] == -1.25 and o[3] == 2, "a Float32 view")
        check(#nrl.vector(0):totable() == 0, "empty")
        """)
    }

    /// `v[i]`, `v[i] = x`, `#v` and `tostring(v)`, and their errors.
    func testVectorIndexingLengthAndText() throws {
        assertRuns("""
        local v = nrl.vector(3, 0.5)
        v[2] = 2
        check(v[1] == 0.5 and v[2] == 2 and #v == 3, "elements and length")
        check(tostring(v) == "vector(3): 0.5 2 0.5", tostring(v))
        local long = nrl.vector(20, 1)
        check(tostring(long) == "vector(20):" .. string.rep(" 1", 16) .. " ...", tostring(long))
        check(tostring(nrl.vector(0)) == "vector(0):", "empty")
        check(tostring(ctx.net) == "<matrices>" and tostring(p) == "<pass>" and tostring(ctx.rng) == "<rng>", "objects")
        local w = ctx.net:zeros():layer(1)
        w[1] = 1 / 3
        check(w[1] == string.unpack("f", string.pack("f", 1 / 3)), "a Float32 view stores Float32")
        local m = ctx.net:zeros()
        m:layer(2)[2] = 4
        check(m:get(2, 1, 2) == 4 and #m:layer(2) == 6, "a layer view writes through, row-major")
        check(#p:probs() == 2 and #obs == 4 and #p:noise() == 5, "lengths of views")
        """)
        assertErrors([
            ("local v = nrl.vector(3); local _ = v[4]", "vector index 4 out of range (1..3)"),
            ("local v = nrl.vector(3); v[0] = 1", "vector index 0 out of range (1..3)"),
            ("local v = nrl.vector(3); v.x = 1", "vectors are indexed by integers 1..3"),
            ("p:probs()[1] = 0", "this vector is read-only (it shows host state)"),
        ])
    }

    // MARK: rng

    /// What `r:integer(m [, n])` should draw: uniform on low…high by rejection from the stream.
    static func integers(_ count: Int, low: Int, high: Int, seed: UInt64) -> [Double] {
        var stream = Xoshiro256(seed: seed)
        let span = UInt64(high - low) + 1
        let limit = UInt64.max - UInt64.max % span
        return (0..<count).map { _ in
            var x = stream.next()
            while x >= limit { x = stream.next() }
            return Double(low + Int(x % span))
        }
    }

    func testRngIntegerIsUniformOnItsRange() throws {
        let draws = "for i = 1, 12 do log(\"d\" .. string.format(\"%02d\", i), DRAW) end"
        func logged(_ call: String) throws -> [Double] {
            let metrics = try run(draws.replacingOccurrences(of: "DRAW", with: call))
            return metrics.keys.sorted().map { metrics[$0]! }
        }
        XCTAssertEqual(try logged("ctx.rng:integer(6)"), Self.integers(12, low: 1, high: 6, seed: 3))
        XCTAssertEqual(try logged("ctx.rng:integer(-2, 2)"), Self.integers(12, low: -2, high: 2, seed: 3))
        XCTAssertEqual(try logged("math.random(6)"), Self.integers(12, low: 1, high: 6, seed: 3), "math.random draws the same")
        assertRuns("""
        local seen = {}
        for _ = 1, 400 do
          local k = ctx.rng:integer(4)
          check(math.type(k) == "integer" and k >= 1 and k <= 4, tostring(k))
          seen[k] = true
        end
        check(seen[1] and seen[2] and seen[3] and seen[4], "every value comes up")
        check(ctx.rng:integer(5, 5) == 5, "a one-value interval")
        check(ctx.rng:integer(1) == 1, "1…1")
        """)
        assertErrors([
            ("ctx.rng:integer(0)", "bad argument #1 to 'integer' (interval is empty (1..0))"),
            ("ctx.rng:integer(3, 1)", "bad argument #1 to 'integer' (interval is empty (3..1))"),
            ("ctx.rng:integer(1.5)", "bad argument #1 to 'integer' (integer expected, got number)"),
        ])
    }

    // MARK: The standard library

    /// The Lua 5.3 compatibility functions Debian's Lua 5.4 keeps in `math` (docs/lua-api.md, The sandbox).
    func testLua53CompatibilityFunctionsOfMath() throws {
        assertRuns("""
        local xs = { 0, 0.5, 1, 2, 3.7, 10, 1e-3, 123.456 }
        for _, x in ipairs(xs) do
          for _, y in ipairs({ 2, 0.5, 3, -1.5, 2.5 }) do
            check(math.pow(x, y) == nrl.pow(x, y), "math.pow is C's pow, as nrl.pow: " .. x .. "^" .. y)
          end
          check(near(math.cosh(x), (math.exp(x) + math.exp(-x)) / 2, 1e-15), "cosh " .. x)
          check(near(math.sinh(x), (math.exp(x) - math.exp(-x)) / 2, 1e-14), "sinh " .. x)
          check(near(math.tanh(x), math.sinh(x) / math.cosh(x), 1e-15), "tanh " .. x)
          if x > 0 then check(math.log10(x) == math.log(x, 10), "log10 " .. x) end
          local m, e = math.frexp(x)
          check(math.type(e) == "integer" and math.ldexp(m, e) == x, "frexp/ldexp " .. x)
          check(x == 0 and m == 0 and e == 0 or (math.abs(m) >= 0.5 and math.abs(m) < 1), "0.5 ≤ |m| < 1")
        end
        check(math.log10(1000) == 3 and math.ldexp(0.75, 4) == 12, "exact values")
        check(math.sinh(-1) == -math.sinh(1) and math.tanh(-2) == -math.tanh(2), "odd")
        for _, yx in ipairs({ { 1, 1 }, { 1, -1 }, { -1, -1 }, { -2, 0.5 }, { 0, -1 } }) do
          check(math.atan2(yx[1], yx[2]) == math.atan(yx[1], yx[2]), "atan2 is atan(y, x)")
        end
        check(near(math.atan2(1, -1), 3 * math.pi / 4, 1e-15), "the quadrant")
        -- math holds exactly Lua 5.4's functions and these eight (the docs list them)
        local keys = {}
        for k in pairs(math) do keys[#keys + 1] = k end
        table.sort(keys)
        local want = "abs acos asin atan atan2 ceil cos cosh deg exp floor fmod frexp huge ldexp log log10 max "
          .. "maxinteger min mininteger modf pi pow rad random randomseed sin sinh sqrt tan tanh tointeger type ult"
        check(table.concat(keys, " ") == want, "math holds: " .. table.concat(keys, " "))
        """)
    }
}

import Foundation
import NRLCore
@testable import LuaBridge
import XCTest

/// `m:forward(obs, pass [, opts])` with its options (sigma per layer, layers, supplied noise, clean,
/// noisy), `m:add_noise_outer(noisy [, c [, opts]])` and `m:add(other [, c [, opts]])`: the numbers,
/// against NRLCore computed here, the draws they consume from the noise stream, and every refusal
/// with its whole message and script line.
final class ForwardOptionsTests: XCTestCase {
    static let sizes = [4, 5, 3, 2]   // three layers, N = 5 + 3 + 2 = 10 units
    static let observation: [Float] = [0.1, -0.2, 0.3, 0.4]
    static let chunk = "forward_options_test.lua"

    /// Helpers every test body can use; the body is the chunk's line `bodyLine`.
    static let prelude = """
    local function same(what, v, expected)
      if #v ~= #expected then error(what .. ": " .. #v .. " numbers, expected " .. #expected, 2) end
      for i = 1, #expected do
        if v[i] ~= expected[i] then error(string.format("%s[%d] = %.17g, expected %.17g", what, i, v[i], expected[i]), 2) end
      end
    end
    local function same_pass(what, p, e)
      same(what .. ":noise()", p:noise(), e.noise)
      for l = 1, #e.pre do same(what .. ":pre(" .. l .. ")", p:pre(l), e.pre[l]) end
      same(what .. ":probs()", p:probs(), e.probs)
    end
    local function next_draw(net)   -- the noise stream's next N(0, 1) draw, as Float32
      local z = net:zeros()
      z:fill_normal(1)
      return z:get(1, 1, 1)
    end
    local function check(what, ok) if not ok then error(what, 2) end end
    local obs = \(lua(observation.map(Double.init)))   -- exactly the Float32 observation
    return function(net, other)
    """
    static var bodyLine: Int { prelude.split(separator: "\n", omittingEmptySubsequences: false).count + 1 }

    let network: Network = {
        let n = Network(shape: NetworkShape(sizes: ForwardOptionsTests.sizes))
        var rng = Xoshiro256(seed: 7)
        n.initializeXavier(&rng)
        return n
    }()

    /// Runs `body` (one or more lines) as a function of `net` (this test's network) and `other` (matrices
    /// of another shape), `obs` in scope, with the noise stream seeded with `seed`.
    func run(_ body: String, seed: UInt64 = 1, network: Network? = nil) throws {
        let network = network ?? self.network
        let session = ScriptSession()
        session.noise.generator.pointee = Xoshiro256(seed: seed)
        session.network = network
        let s = ScriptSession.makeState(limits: .standard, session: session)
        try s.runText(Data((Self.prelude + "\n" + body + "\nend\n").utf8), chunkName: Self.chunk)
        LuaAPI.push(s, network.weights, type: .matrices)
        try LuaAPI.pushNewMatrices(s, NetworkShape(sizes: [4, 6, 2]))
        try s.call(2, 0, "test")
    }

    /// Runs `body` and expects it to fail at its first line with exactly `message`.
    func expectError(_ body: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try run(body)
            XCTFail("no error from: \(body)", file: file, line: line)
        } catch let e as ScriptError {
            XCTAssertEqual(e.description, "\(Self.chunk):\(Self.bodyLine): \(message)", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    // MARK: Reference values (NRLCore)

    static func lua(_ xs: [Double]) -> String { "{ " + xs.map { String(format: "%.17g", $0) }.joined(separator: ", ") + " }" }

    static func lua(_ p: ForwardPass) -> String {
        let shape = p.shape
        let noise = (0..<shape.unitCount).map { Double(p.noise[$0]) }
        let pre = (0..<shape.layerCount).map { l in lua((0..<shape.outputs(l)).map { Double(p.preActivation(l)[$0]) }) }
        let probs = (0..<shape.outputSize).map { p.probabilities[$0] }
        return "{ noise = \(lua(noise)), pre = { \(pre.joined(separator: ", ")) }, probs = \(lua(probs)) }"
    }

    /// The pass with noise set by `setNoise` (from a stream seeded 1), and the stream's next draw.
    func reference(_ setNoise: (ForwardPass, inout Xoshiro256) -> Void) -> (pass: ForwardPass, next: Double) {
        var rng = Xoshiro256(seed: 1)
        let p = ForwardPass(shape: network.shape)
        setNoise(p, &rng)
        Self.observation.withUnsafeBufferPointer { p.compute(network.weights, observation: $0.baseAddress!, noisy: true) }
        return (p, Double(Float(Gaussian.sample(&rng))))
    }

    func cleanReference() -> ForwardPass {
        let p = ForwardPass(shape: network.shape)
        Self.observation.withUnsafeBufferPointer { network.forward($0.baseAddress!, into: p) }
        return p
    }

    // MARK: Numbers and draws

    func testUniformSigmaDrawsWhatTheNativeRulesDraw() throws {
        let (p, next) = reference { p, rng in p.drawNoise(sigma: 0.3, &rng) }
        try run("""
        local p = net:pass()
        check("returns the pass", net:forward(obs, p, { sigma = 0.3 }) == p)
        check("noisy", p:noisy())
        same_pass("p", p, \(Self.lua(p)))
        check("next draw", next_draw(net) == \(next))
        """)
    }

    func testPerLayerSigmaDrawsLayerByLayerAndNothingForAZeroSigma() throws {
        let (p, next) = reference { p, rng in
            p.drawNoise(layer: 0, sigma: 0.5, &rng)
            p.drawNoise(layer: 1, sigma: 0, &rng)
            p.drawNoise(layer: 2, sigma: 0.2, &rng)
        }
        for l in 5..<8 { XCTAssertEqual(p.noise[l], 0) }
        try run("""
        local p = net:pass()
        net:forward(obs, p, { sigma = { 0.5, 0, 0.2 } })
        same_pass("p", p, \(Self.lua(p)))
        same("p:noise(2)", p:noise(2), { 0, 0, 0 })
        check("next draw", next_draw(net) == \(next))
        """)
        // σ_l all equal: the very draws of a uniform sigma.
        let (u, uNext) = reference { p, rng in p.drawNoise(sigma: 0.25, &rng) }
        try run("""
        local p = net:pass()
        net:forward(obs, p, { sigma = { 0.25, 0.25, 0.25 } })
        same_pass("p", p, \(Self.lua(u)))
        check("next draw", next_draw(net) == \(uNext))
        """)
    }

    func testLayersGetNoiseOnlyThereAndDrawNothingElsewhere() throws {
        // Listed in any order, drawn in layer order.
        let (p, next) = reference { p, rng in
            p.drawNoise(layer: 0, sigma: 0.4, &rng)
            p.drawNoise(layer: 1, sigma: 0, &rng)
            p.drawNoise(layer: 2, sigma: 0.4, &rng)
        }
        try run("""
        local p = net:pass()
        net:forward(obs, p, { sigma = 0.4, layers = { 3, 1 } })
        same_pass("p", p, \(Self.lua(p)))
        same("p:noise(2)", p:noise(2), { 0, 0, 0 })
        check("next draw", next_draw(net) == \(next))
        """)
        // With a per-layer sigma: only layer 2, at its own σ.
        let (q, qNext) = reference { p, rng in
            p.drawNoise(layer: 0, sigma: 0, &rng)
            p.drawNoise(layer: 1, sigma: 0.1, &rng)
            p.drawNoise(layer: 2, sigma: 0, &rng)
        }
        try run("""
        local p = net:pass()
        net:forward(obs, p, { sigma = { 0.5, 0.1, 0.2 }, layers = { 2 } })
        same_pass("p", p, \(Self.lua(q)))
        same("p:noise(1)", p:noise(1), { 0, 0, 0, 0, 0 })
        same("p:noise(3)", p:noise(3), { 0, 0 })
        check("next draw", next_draw(net) == \(qNext))
        """)
        // No layer at all, or sigma = 0: a noisy pass with ξ = 0, no draw, the clean numbers.
        let clean = cleanReference()
        var rng = Xoshiro256(seed: 1)
        let first = Double(Float(Gaussian.sample(&rng)))
        for options in ["{ sigma = 0.3, layers = {} }", "{ sigma = 0 }", "{ sigma = { 0, 0, 0 } }"] {
            try run("""
            local p, c = net:pass(), net:pass()
            net:forward(obs, p, \(options))
            net:forward(obs, c)
            check("noisy", p:noisy())
            same("probs", p:probs(), c:probs())
            same("noise", p:noise(), { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })
            same("probs", c:probs(), \(Self.lua((0..<2).map { clean.probabilities[$0] })))
            check("next draw", next_draw(net) == \(first))
            """)
        }
    }

    func testSuppliedNoiseIsUsedAsIsAndDrawsNothing() throws {
        let xi: [Double] = [0.3, -0.1, 0.25, 0, 1.5, -0.75, 0.125, 0.5, -2, 0.0625]
        var rng = Xoshiro256(seed: 1)
        let first = Double(Float(Gaussian.sample(&rng)))
        let (p, _) = reference { p, _ in xi.withUnsafeBufferPointer { p.setNoise($0.baseAddress!) } }
        try run("""
        local xi = nrl.vector(10)
        local values = \(Self.lua(xi))
        for i = 1, 10 do xi[i] = values[i] end
        local p, q = net:pass(), net:pass()
        check("returns the pass", net:forward(obs, p, { noise = xi }) == p)
        check("noisy", p:noisy())
        same_pass("p", p, \(Self.lua(p)))
        net:forward(obs, q, { noise = p:noise() })   -- a Float32 vector: another pass's ξ
        same_pass("q", q, \(Self.lua(p)))
        check("next draw", next_draw(net) == \(first))
        """)
        // A Double vector holding σ·N(0, 1) draws of the stream gives the very pass `sigma = σ` gives.
        var draws = Xoshiro256(seed: 1)
        let filled = (0..<10).map { _ in 0.3 * Gaussian.sample(&draws) }
        let (u, _) = reference { p, rng in p.drawNoise(sigma: 0.3, &rng) }
        try run("""
        local xi, values = nrl.vector(10), \(Self.lua(filled))
        for i = 1, 10 do xi[i] = values[i] end
        local p = net:pass()
        net:forward(obs, p, { noise = xi })
        same_pass("p", p, \(Self.lua(u)))
        """)
    }

    func testAntitheticPairIsSymmetricAroundTheCleanLogitsOfALinearNetwork() throws {
        // One layer: the logits are W x + ξ, so ±ξ lie symmetrically around the clean W x.
        let linear = Network(shape: NetworkShape(sizes: [4, 3]))
        var rng = Xoshiro256(seed: 3)
        linear.initializeXavier(&rng)
        try run("""
        local c, plus, minus = net:pass(), net:pass(), net:pass()
        local xi, neg, values = nrl.vector(3), nrl.vector(3), { 0.5, -0.25, 0.125 }
        for i = 1, 3 do xi[i], neg[i] = values[i], -values[i] end
        net:forward(obs, c)
        net:forward(obs, plus, { noise = xi, clean = c })
        net:forward(obs, minus, { noise = neg })
        local z, zp, zm = c:pre(1), plus:pre(1), minus:pre(1)
        for i = 1, 3 do
          check("symmetric at " .. i, math.abs((zp[i] - z[i]) - (z[i] - zm[i])) < 1e-6)
          check("moved by ξ at " .. i, math.abs((zp[i] - z[i]) - values[i]) < 1e-6)
        end
        """, network: linear)
    }

    func testCleanReuseGivesTheNumbersOfAFreshPass() throws {
        let (p, next) = reference { p, rng in p.drawNoise(sigma: 0.3, &rng) }
        let clean = cleanReference()
        try run("""
        local c, p, q = net:pass(), net:pass(), net:pass()
        net:forward(obs, c)
        check("returns the pass", net:forward(obs, p, { sigma = 0.3, clean = c }) == p)
        same_pass("p", p, \(Self.lua(p)))
        check("next draw", next_draw(net) == \(next))
        net:forward(obs, q, { clean = c })   -- no noise: a clean pass again
        check("clean", not q:noisy())
        same("probs", q:probs(), \(Self.lua((0..<2).map { clean.probabilities[$0] })))
        for l = 1, 3 do same("pre", q:pre(l), c:pre(l)) end
        net:forward(obs, c, { sigma = 0.3, clean = c })   -- a pass may reuse itself
        check("noisy", c:noisy())
        """)
    }

    func testNoisyOptionComputesBothPassesInOneCall() throws {
        let (p, next) = reference { p, rng in p.drawNoise(sigma: 0.3, &rng) }
        let clean = cleanReference()
        try run("""
        local c, p = net:pass(), net:pass()
        check("returns the clean pass", net:forward(obs, c, { sigma = 0.3, noisy = p }) == c)
        check("clean", not c:noisy())
        same("clean probs", c:probs(), \(Self.lua((0..<2).map { clean.probabilities[$0] })))
        same_pass("p", p, \(Self.lua(p)))
        check("next draw", next_draw(net) == \(next))
        """)
    }

    func testAddNoiseOuterAndAddOptions() throws {
        // The reference: a trace built with the options, then applied with a scaling.
        let (p, _) = reference { p, rng in p.drawNoise(sigma: 0.3, &rng) }
        let clean = cleanReference()
        let trace = LayerMatrices(shape: network.shape)
        trace.addNoiseOuterProducts(noiseOf: p, inputsOf: clean, scale: 0.5, normalization: .layer, scaling: .fanOut)
        trace.addNoiseOuterProducts(noiseOf: p, inputsOf: p, scale: 1, normalization: .network, scaling: .paper)
        trace.addNoiseOuterProducts(noiseOf: p, inputsOf: p, scale: 1)
        let sum = LayerMatrices(shape: network.shape)
        sum.add(trace, scale: 2, scaling: .unbiased)
        sum.add(trace, scale: 1, scaling: .paper)
        let expected = { (m: LayerMatrices) in
            Self.lua(m.toArrays().flatMap { $0.flatMap { $0 } })
        }
        try run("""
        local c, p, t, s = net:pass(), net:pass(), net:zeros(), net:zeros()
        net:forward(obs, c, { sigma = 0.3, noisy = p })
        check("returns m", t:add_noise_outer(p, 0.5, { inputs = c, norm = "layer", scaling = "fan_out" }) == t)
        t:add_noise_outer(p, 1, { norm = "network" }):add_noise_outer(p)
        check("returns m", s:add(t, 2, { scaling = "unbiased" }) == s)
        s:add(t)
        local function flat(m)
          local out, sizes = {}, m:sizes()
          for l = 1, #sizes - 1 do
            for i = 1, sizes[l + 1] do for j = 1, sizes[l] do out[#out + 1] = m:get(l, i, j) end end
          end
          return out
        end
        same("trace", flat(t), \(expected(trace)))
        same("sum", flat(s), \(expected(sum)))
        check("add_gradient returns m", t:add_gradient(c, 1) == t)
        """)
    }

    // MARK: Refusals

    func testForwardRefusesBadOptions() {
        let valid = "valid options are sigma, layers, noise, clean, noisy"
        let f = "bad argument #3 to 'forward'"
        let cases: [(String, String)] = [
            ("net:forward(obs, net:pass(), { sigma = 0.1, sgima = 1 })", "\(f) (unknown option 'sgima'; \(valid))"),
            ("net:forward(obs, net:pass(), { 0.1 })", "\(f) (unknown option [1]; \(valid))"),
            ("net:forward(obs, net:pass(), { [true] = 1 })", "\(f) (unknown option with a boolean key; \(valid))"),
            ("net:forward(obs, net:pass(), 0.1)", "\(f) (options table expected, got number)"),
            ("net:forward(obs, net:pass(), net:pass(), 0.1)", "\(f) (options table expected, got pass)"),
            ("net:forward(obs, net:pass(), { sigma = '0.1' })", "\(f) (option 'sigma': number or table of 3 numbers expected, got string)"),
            ("net:forward(obs, net:pass(), { sigma = -1 })", "\(f) (option 'sigma': finite number ≥ 0 expected, got -1)"),
            ("net:forward(obs, net:pass(), { sigma = -0.5 })", "\(f) (option 'sigma': finite number ≥ 0 expected, got -0.5)"),
            ("net:forward(obs, net:pass(), { sigma = math.huge })", "\(f) (option 'sigma': finite number ≥ 0 expected, got inf)"),
            ("net:forward(obs, net:pass(), { sigma = { 0.1, 0.2 } })", "\(f) (option 'sigma': table of 3 numbers (one σ per layer) expected, got 2)"),
            ("net:forward(obs, net:pass(), { sigma = { 0.1, -1, 0 } })", "\(f) (option 'sigma': sigma[2] must be a finite number ≥ 0, got -1)"),
            ("net:forward(obs, net:pass(), { sigma = { 0.1, 0, 'x' } })", "\(f) (option 'sigma': sigma[3] must be a finite number ≥ 0, got 'x')"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, layers = 2 })", "\(f) (option 'layers': table of layer numbers expected, got number)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, layers = { 1, 4 } })", "\(f) (option 'layers': layers[2] must be a layer in 1..3, got 4)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, layers = { 0 } })", "\(f) (option 'layers': layers[1] must be a layer in 1..3, got 0)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, layers = { 1.5 } })", "\(f) (option 'layers': layers[1] must be a layer in 1..3, got 1.5)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, layers = { 2, 2 } })", "\(f) (option 'layers': layer 2 is listed twice)"),
            ("net:forward(obs, net:pass(), { layers = { 1 } })", "\(f) (option 'layers' needs 'sigma')"),
            ("net:forward(obs, net:pass(), { noise = { 1, 2 } })", "\(f) (option 'noise': vector expected, got table)"),
            ("net:forward(obs, net:pass(), { noise = nrl.vector(9) })", "\(f) (option 'noise': vector of 10 numbers (n_1+…+n_L) expected, got one of 9)"),
            ("net:forward(obs, net:pass(), { noise = nrl.vector(10, 1e300) })", "\(f) (option 'noise': noise[1] is not a finite Float32 (1e+300))"),
            ("net:forward(obs, net:pass(), { noise = nrl.vector(10), sigma = 0.1 })", "\(f) (option 'noise' excludes 'sigma' and 'layers' (ξ is supplied, not drawn))"),
            ("net:forward(obs, net:pass(), { clean = net })", "\(f) (option 'clean': pass expected, got matrices)"),
            ("local q = net:pass() net:forward(obs, q, { sigma = 0.1 }) net:forward(obs, net:pass(), { sigma = 0.1, clean = q })",
             "\(f) (option 'clean': clean pass expected, got a noisy one)"),
            ("local q = net:pass() net:forward({ 0.1, -0.2, 0.3, 0.5 }, q) net:forward(obs, net:pass(), { sigma = 0.1, clean = q })",
             "\(f) (option 'clean': clean pass of this observation expected, got one of another (input 4 is 0.5, not 0.4))"),
            ("net:forward(obs, net:pass(), { clean = other:pass() })",
             "\(f) (option 'clean': shapes differ: 4-6-2 where 4-5-3-2 was expected)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, noisy = other:pass() })",
             "\(f) (option 'noisy': shapes differ: 4-6-2 where 4-5-3-2 was expected)"),
            ("net:forward(obs, net:pass(), { sigma = 0.1, noisy = 1 })", "\(f) (option 'noisy': pass expected, got number)"),
            ("net:forward(obs, net:pass(), { noisy = net:pass() })", "\(f) (option 'noisy' needs 'sigma' or 'noise')"),
            ("local p = net:pass() net:forward(obs, p, { sigma = 0.1, noisy = p })", "\(f) (option 'noisy': a pass other than the clean one expected)"),
            ("local c = net:pass() net:forward(obs, c) net:forward(obs, net:pass(), { sigma = 0.1, noisy = net:pass(), clean = c })",
             "\(f) (options 'clean' and 'noisy' exclude each other (with 'noisy', the pass itself is the clean pass))"),
            ("net:forward(obs, other:pass())", "bad argument #2 to 'forward' (shapes differ: 4-6-2 where 4-5-3-2 was expected)"),
            ("net:forward({ 1, 2 }, net:pass(), { sigma = 0.1 })", "bad argument #1 to 'forward' (observation of 4 numbers expected, got a table of 2)"),
        ]
        for (body, message) in cases { expectError(body, message) }
        expectError("net:forward(obs, net:pass(), { sigma = 0 / 0 })", "\(f) (option 'sigma': finite number ≥ 0 expected, got nan)")
        expectError("net:forward(obs, net:pass(), { sigma = -(0 / 0) })", "\(f) (option 'sigma': finite number ≥ 0 expected, got nan)")
        expectError("net:forward(obs, net:pass(), { sigma = { 0, 0 / 0, 0 } })", "\(f) (option 'sigma': sigma[2] must be a finite number ≥ 0, got nan)")
    }

    func testAddNoiseOuterAndAddRefuseBadOptions() {
        let n = "bad argument #3 to 'add_noise_outer'"
        let a = "bad argument #3 to 'add'"
        let setup = "local c, p, t = net:pass(), net:pass(), net:zeros() net:forward(obs, c, { sigma = 0.1, noisy = p }) "
        let cases: [(String, String)] = [
            (setup + "t:add_noise_outer(p, 1, c, 'network')", "bad argument #3 to 'add_noise_outer' (options table expected, got pass)"),
            (setup + "t:add_noise_outer(p, 1, { norm = 'layers' })", "\(n) (option 'norm': one of 'none', 'network', 'layer' expected, got 'layers')"),
            (setup + "t:add_noise_outer(p, 1, { scaling = 1 })", "\(n) (option 'scaling': string expected, got number)"),
            (setup + "t:add_noise_outer(p, 1, { input = c })", "\(n) (unknown option 'input'; valid options are inputs, norm, scaling)"),
            (setup + "t:add_noise_outer(p, 1, { inputs = t })", "\(n) (option 'inputs': pass expected, got matrices)"),
            (setup + "t:add_noise_outer(p, 1, { inputs = other:pass() })", "\(n) (option 'inputs': shapes differ: 4-6-2 where 4-5-3-2 was expected)"),
            (setup + "t:add_noise_outer(c)", "bad argument #1 to 'add_noise_outer' (noisy pass expected (from forward with sigma or noise), got a clean one)"),
            (setup + "t:add_noise_outer(p, math.huge)", "bad argument #2 to 'add_noise_outer' (finite number expected, got inf)"),
            (setup + "t:add(t, 1, 'fan_out')", "\(a) (options table expected, got string)"),
            (setup + "t:add(t, 1, { scaling = 'fanout' })", "\(a) (option 'scaling': one of 'paper', 'fan_out', 'unbiased' expected, got 'fanout')"),
            (setup + "t:add(t, 1, { scale = 2 })", "\(a) (unknown option 'scale'; valid options are scaling)"),
            (setup + "t:add(other)", "bad argument #1 to 'add' (shapes differ: 4-6-2 where 4-5-3-2 was expected)"),
        ]
        for (body, message) in cases { expectError(body, message) }
    }

    func testForwardNoisyIsGone() {
        expectError("net:forward_noisy(obs, net:pass(), 0.1)", "attempt to call a nil value (method 'forward_noisy')")
    }
}

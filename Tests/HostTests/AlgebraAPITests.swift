import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// The element-wise algebra on matrices and vectors (LuaAlgebraAPI), layer views, add_outer,
/// fill_normal, p:output and the rng's argument checks. Each function's values are checked, in Lua,
/// against a plain computation — on matrices, on a Float32 layer view and on a Double vector — and
/// each one's bad input against the whole message, file and line included.
final class AlgebraAPITests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Helpers every snippet sees, in `setup(ctx)` of a rule on a 4-3-2 network (18 weights).
    static let prelude = #"""
    local function f32(x) return (string.unpack("f", string.pack("f", x))) end
    local function id(x) return x end
    local function same(a, b) return a == b or (a ~= a and b ~= b) end
    local function check(ok, what) if not ok then error(what, 2) end end
    local function values(x)
      local t = {}
      if tostring(x) == "<matrices>" then
        for l = 1, 2 do local w = x:layer(l) for i = 1, #w do t[#t + 1] = w[i] end end
      else
        for i = 1, #x do t[i] = x[i] end
      end
      return t
    end
    -- Three fresh sets: matrices (18 Float32), a Float32 layer view (12) whose matrices are dropped, a Double vector (7).
    local function fresh(seed)
      local m = ctx.net:zeros()
      local k = 0
      for l = 1, 2 do local w = m:layer(l) for i = 1, #w do k = k + 1 w[i] = math.sin(k + seed) * 3 end end
      local view = ctx.net:zeros():layer(1)
      for i = 1, #view do view[i] = math.cos(i + seed) * 2 end
      local d = nrl.vector(7)
      for i = 1, #d do d[i] = math.sin(3 * i + seed) * 1.5 end
      return { matrices = m, view = view, double = d }
    end
    local KINDS = { "matrices", "view", "double" }
    -- op(x, y) on each kind of set must return x and leave element i = want(r, x_i, y_i), r the set's rounding.
    local function each(op, want)
      for _, kind in ipairs(KINDS) do
        local x, y = fresh(0)[kind], fresh(1)[kind]
        local xs, ys = values(x), values(y)
        local r = kind == "double" and id or f32
        local result = op(x, y)
        check(rawequal(result, x), kind .. ": the receiver is not returned")
        local got = values(x)
        for i = 1, #xs do
          local expected = want(r, xs[i], ys[i])
          if not same(got[i], expected) then
            error(string.format("%s: element %d is %.17g, expected %.17g", kind, i, got[i], expected), 2)
          end
        end
      end
    end
    -- op(x [, layer]) against plain(values) on each kind of set, and on each layer of the matrices.
    local function reduces(op, plain)
      for _, kind in ipairs(KINDS) do
        local x = fresh(0)[kind]
        local got, expected = op(x), plain(values(x))
        if not same(got, expected) then error(string.format("%s: %.17g, expected %.17g", kind, got, expected), 2) end
      end
      local m = fresh(0).matrices
      for l = 1, 2 do
        local got, expected = op(m, l), plain(values(m:layer(l)))
        if not same(got, expected) then error(string.format("layer %d: %.17g, expected %.17g", l, got, expected), 2) end
      end
    end
    local function collected(make)
      local t = setmetatable({}, { __mode = "k" })
      t[make()] = true
      collectgarbage()
      return (next(t))
    end
    local p, obs = ctx.net:pass(), nrl.vector(4, 0.5)
    local m, v, w = ctx.net:zeros(), nrl.vector(3), nrl.vector(4)
    local ro = p:probs()
    """#

    var snippets: SetupSnippets { SetupSnippets(prelude: Self.prelude, fileName: "algebra.lua", folder: dir) }

    @discardableResult
    func run(_ body: String, noiseSeed: UInt64 = 1) throws -> [String: Double] { try snippets.run(body, noiseSeed: noiseSeed) }

    func assertRuns(_ body: String, file: StaticString = #filePath, line: UInt = #line) {
        snippets.assertRuns(body, file: file, line: line)
    }

    func assertErrors(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        snippets.assertErrors(cases, file: file, line: line)
    }

    static let collectedVector = "a collected vector object was used (the collector had already finalized it: it was reachable only through a weak table or another collected object); keep a strong reference to host objects you still use"
    static let collectedMatrices = collectedVector.replacingOccurrences(of: "collected vector", with: "collected matrices")
    static let readOnly = "writable vector expected, got a read-only view (copy it first)"

    // MARK: Filling and copying

    func testSet() throws {
        assertRuns("""
        each(function(x, y) return x:set(y) end, function(r, x, y) return y end)
        -- across element types: a Float32 view from a Double vector rounds, the other way is exact
        local view, d = fresh(0).view, nrl.vector(12)
        for i = 1, 12 do d[i] = i / 10 end
        view:set(d)
        for i = 1, 12 do check(view[i] == f32(i / 10), "rounded " .. i) end
        view[1] = 1 / 3
        d:set(view)
        check(d[1] == f32(1 / 3), "exact")
        check(m:set(ctx.net) == m and m:get(2, 1, 3) == ctx.net:get(2, 1, 3), "matrices from matrices")
        """)
        assertErrors([
            ("v:set(w)", "bad argument #1 to 'set' (vector of 3 expected, got one of 4)"),
            ("m:set(v)", "bad argument #1 to 'set' (matrices expected, got vector)"),
            ("v:set(m)", "bad argument #1 to 'set' (vector expected, got matrices)"),
            ("v:set()", "bad argument #1 to 'set' (vector expected, got no value)"),
            ("ro:set(ro)", "calling 'set' on bad self (\(Self.readOnly))"),
            ("m:set(collected(function() return ctx.net:zeros() end))", Self.collectedMatrices),
            ("v:set(collected(function() return nrl.vector(3) end))", Self.collectedVector),
        ])
    }

    func testFill() throws {
        assertRuns("each(function(x) return x:fill(0.1) end, function(r) return r(0.1) end)")
        assertErrors([
            ("v:fill(0/0)", "bad argument #1 to 'fill' (finite number expected, got nan)"),
            ("v:fill(1/0)", "bad argument #1 to 'fill' (finite number expected, got inf)"),
            ("m:fill()", "bad argument #1 to 'fill' (number expected, got no value)"),
            ("m:fill('1')", "bad argument #1 to 'fill' (number expected, got string)"),
            ("ro:fill(1)", "calling 'fill' on bad self (\(Self.readOnly))"),
        ])
    }

    func testZero() throws {
        assertRuns("each(function(x) return x:zero() end, function() return 0 end)")
        assertErrors([
            ("p:input(1):zero()", "calling 'zero' on bad self (\(Self.readOnly))"),
            ("m.zero(v)", "bad argument #1 to 'zero' (matrices expected, got vector)"),
            ("v.zero(5)", "bad argument #1 to 'zero' (vector expected, got number)"),
            ("v.zero(collected(function() return nrl.vector(3) end))", Self.collectedVector),
        ])
    }

    func testCopy() throws {
        assertRuns("""
        for _, kind in ipairs(KINDS) do
          local x = fresh(0)[kind]
          local c = x:copy()
          check(not rawequal(c, x), kind .. ": a new object")
          local xs, cs = values(x), values(c)
          check(#xs == #cs, kind .. ": length")
          for i = 1, #xs do check(xs[i] == cs[i], kind .. ": element " .. i) end
          if kind == "matrices" then c:layer(1)[1] = 5 else c[1] = 5 end
          check(values(x)[1] == xs[1], kind .. ": the copy is independent")
        end
        -- a vector's copy is a writable Double vector, even of a read-only Float32 view
        local c = p:input(1):copy()
        c[1] = 0.1
        check(c[1] == 0.1, "Double")
        """)
        assertErrors([
            ("m.copy(v)", "bad argument #1 to 'copy' (matrices expected, got vector)"),
            ("v.copy(m)", "bad argument #1 to 'copy' (vector expected, got matrices)"),
            ("v.copy(collected(function() return nrl.vector(3) end))", Self.collectedVector),
            ("m.copy(collected(function() return ctx.net:zeros() end))", Self.collectedMatrices),
            ("v:clone()", "attempt to call a nil value (method 'clone')"),
        ])
    }

    // MARK: Arithmetic

    func testScale() throws {
        assertRuns("each(function(x) return x:scale(0.1) end, function(r, x) return r(x * r(0.1)) end)")
        assertErrors([
            ("m:scale(0/0)", "bad argument #1 to 'scale' (finite number expected, got nan)"),
            ("v:scale('x')", "bad argument #1 to 'scale' (number expected, got string)"),
            ("ro:scale(2)", "calling 'scale' on bad self (\(Self.readOnly))"),
            ("m.scale(v, 2)", "bad argument #1 to 'scale' (matrices expected, got vector)"),
            ("v.scale(collected(function() return nrl.vector(3) end), 2)", Self.collectedVector),
        ])
    }

    func testShift() throws {
        assertRuns("each(function(x) return x:shift(-0.3) end, function(r, x) return r(x + r(-0.3)) end)")
        assertErrors([
            ("v:shift(-1/0)", "bad argument #1 to 'shift' (finite number expected, got -inf)"),
            ("m:shift()", "bad argument #1 to 'shift' (number expected, got no value)"),
            ("ro:shift(1)", "calling 'shift' on bad self (\(Self.readOnly))"),
        ])
    }

    func testAdd() throws {
        assertRuns("""
        each(function(x, y)
          if tostring(x) == "<matrices>" then return x:add(y, 0.3) end
          return x:add(y, 0.3)
        end, function(r, x, y) return r(x + r(r(0.3) * y)) end)
        each(function(x, y) return x:add(y) end, function(r, x, y) return r(x + y) end)
        -- a Double vector onto a Float32 view: y rounded first, then the view's arithmetic
        local view, d = fresh(0).view, nrl.vector(12, 0.1)
        local before = view[2]
        view:add(d, 3)
        check(view[2] == f32(before + f32(3 * f32(0.1))), "mixed")
        """)
        assertErrors([
            ("v:add(w)", "bad argument #1 to 'add' (vector of 3 expected, got one of 4)"),
            ("v:add(v, 0/0)", "bad argument #2 to 'add' (finite number expected, got nan)"),
            ("v:add(5)", "bad argument #1 to 'add' (vector expected, got number)"),
            ("ro:add(ro)", "calling 'add' on bad self (\(Self.readOnly))"),
            ("v:add(collected(function() return nrl.vector(3) end))", Self.collectedVector),
        ])
    }

    func testMul() throws {
        assertRuns("each(function(x, y) return x:mul(y) end, function(r, x, y) return r(x * y) end)")
        assertErrors([
            ("v:mul(2)", "bad argument #1 to 'mul' (vector expected, got number)"),
            ("v:mul(w)", "bad argument #1 to 'mul' (vector of 3 expected, got one of 4)"),
            ("m:mul(v)", "bad argument #1 to 'mul' (matrices expected, got vector)"),
            ("ro:mul(ro)", "calling 'mul' on bad self (\(Self.readOnly))"),
        ])
    }

    func testDiv() throws {
        assertRuns("""
        each(function(x, y) return x:div(y) end, function(r, x, y) return r(x / y) end)
        -- IEEE division: x/0 is ±inf or NaN, which finite() then reports
        local d = nrl.vector(2, 1):div(nrl.vector(2))
        check(d[1] == math.huge and not d:finite(), "division by zero")
        """)
        assertErrors([
            ("v:div(4)", "bad argument #1 to 'div' (vector expected, got number)"),
            ("w:div(v)", "bad argument #1 to 'div' (vector of 4 expected, got one of 3)"),
            ("ro:div(ro)", "calling 'div' on bad self (\(Self.readOnly))"),
        ])
    }

    func testSquare() throws {
        assertRuns("each(function(x) return x:square() end, function(r, x) return r(x * x) end)")
        assertErrors([
            ("ro:square()", "calling 'square' on bad self (\(Self.readOnly))"),
            ("m.square(ro)", "bad argument #1 to 'square' (matrices expected, got vector)"),
        ])
    }

    func testSqrt() throws {
        assertRuns("""
        each(function(x) return x:abs():sqrt() end, function(r, x) return r(math.sqrt(math.abs(x))) end)
        check(nrl.vector(1, -1):sqrt()[1] ~= nrl.vector(1, -1):sqrt()[1], "sqrt of a negative number is NaN")
        """)
        assertErrors([
            ("ro:sqrt()", "calling 'sqrt' on bad self (\(Self.readOnly))"),
            ("v.sqrt(m)", "bad argument #1 to 'sqrt' (vector expected, got matrices)"),
        ])
    }

    func testAbs() throws {
        assertRuns("each(function(x) return x:abs() end, function(r, x) return math.abs(x) end)")
        assertErrors([
            ("ro:abs()", "calling 'abs' on bad self (\(Self.readOnly))"),
            ("m.abs({})", "bad argument #1 to 'abs' (matrices expected, got table)"),
        ])
    }

    func testSign() throws {
        assertRuns("""
        each(function(x) return x:sign() end, function(r, x) return x > 0 and 1 or x < 0 and -1 or 0 end)
        local s = nrl.vector(4)
        s[1], s[2], s[3], s[4] = -0.0, 0 / 0, -2, 1e-300
        s:sign()
        check(s[1] == 0 and s[2] ~= s[2] and s[3] == -1 and s[4] == 1, "zero, NaN, negative, tiny")
        """)
        assertErrors([
            ("ro:sign()", "calling 'sign' on bad self (\(Self.readOnly))"),
        ])
    }

    func testClamp() throws {
        assertRuns("""
        each(function(x) return x:clamp(-1, 0.3) end, function(r, x) return x < -1 and -1 or x > r(0.3) and r(0.3) or x end)
        each(function(x) return x:clamp(-math.huge, 0) end, function(r, x) return math.min(x, 0) end)
        each(function(x) return x:clamp(0.5, 0.5) end, function(r) return r(0.5) end)
        """)
        assertErrors([
            ("v:clamp(1, 0)", "bad argument #2 to 'clamp' (hi ≥ lo expected, got lo = 1.0, hi = 0.0)"),
            ("m:clamp(0/0, 1)", "bad argument #1 to 'clamp' (non-NaN number expected, got nan)"),
            ("m:clamp(0, 0/0)", "bad argument #2 to 'clamp' (non-NaN number expected, got nan)"),
            ("v:clamp(0)", "bad argument #2 to 'clamp' (number expected, got no value)"),
            ("ro:clamp(0, 1)", "calling 'clamp' on bad self (\(Self.readOnly))"),
        ])
    }

    func testClipNorm() throws {
        assertRuns("""
        for _, max in ipairs({ 1.5, 100 }) do
          for _, kind in ipairs(KINDS) do
            local x = fresh(0)[kind]
            local xs, r = values(x), kind == "double" and id or f32
            local sq = 0
            for i = 1, #xs do sq = sq + xs[i] * xs[i] end
            local n = math.sqrt(sq)
            local y, before = x:clip_norm(max)
            check(rawequal(y, x), kind .. ": receiver")
            check(before == n, kind .. ": the norm before")
            local got = values(x)
            for i = 1, #xs do
              local want = n > max and r(xs[i] * r(max / n)) or xs[i]
              check(got[i] == want, kind .. ": element " .. i)
            end
            check(x:norm() <= max * (1 + 1e-6), kind .. ": clipped")
          end
        end
        local z = nrl.vector(3)
        local _, n = z:clip_norm(0)
        check(n == 0 and z:sum() == 0, "zero stays zero")
        """)
        assertErrors([
            ("v:clip_norm(-1)", "bad argument #1 to 'clip_norm' (max ≥ 0 expected, got -1.0)"),
            ("m:clip_norm(0/0)", "bad argument #1 to 'clip_norm' (max ≥ 0 expected, got nan)"),
            ("m:clip_norm()", "bad argument #1 to 'clip_norm' (number expected, got no value)"),
            ("ro:clip_norm(1)", "calling 'clip_norm' on bad self (\(Self.readOnly))"),
        ])
    }

    func testClipLayerNorm() throws {
        assertRuns("""
        local x = fresh(0).matrices
        local layers = { values(x:layer(1)), values(x:layer(2)) }
        check(x:clip_layer_norm(2) == x, "receiver")
        for l = 1, 2 do
          local xs, sq = layers[l], 0
          for i = 1, #xs do sq = sq + xs[i] * xs[i] end
          local n = math.sqrt(sq)
          check(n > 2, "the test clips")
          local got = values(x:layer(l))
          for i = 1, #xs do check(got[i] == f32(xs[i] * f32(2 / n)), "layer " .. l .. " element " .. i) end
          check(math.abs(x:norm(l) - 2) < 1e-5, "layer norm")
        end
        """)
        assertErrors([
            ("m:clip_layer_norm(-2)", "bad argument #1 to 'clip_layer_norm' (max ≥ 0 expected, got -2.0)"),
            ("m.clip_layer_norm(v, 1)", "bad argument #1 to 'clip_layer_norm' (matrices expected, got vector)"),
            ("v:clip_layer_norm(1)", "attempt to call a nil value (method 'clip_layer_norm')"),
        ])
    }

    // MARK: Reductions

    /// The bad input every reduction shares (`name` a method of both types).
    func reductionErrors(_ name: String) -> [(String, String)] {
        [
            ("m:\(name)(3)", "bad argument #1 to '\(name)' (layer in 1..2 expected, got 3)"),
            ("m:\(name)(0)", "bad argument #1 to '\(name)' (layer in 1..2 expected, got 0)"),
            ("m:\(name)(1.5)", "bad argument #1 to '\(name)' (integer expected, got number)"),
            ("v:\(name)(1)", "bad argument #1 to '\(name)' (no argument expected (a layer is for matrices), got number)"),
            ("m.\(name)(v)", "bad argument #1 to '\(name)' (matrices expected, got vector)"),
            ("v.\(name)(collected(function() return nrl.vector(3) end))", Self.collectedVector),
        ]
    }

    func testSum() throws {
        assertRuns("""
        reduces(function(x, l) return x:sum(l) end, function(xs) local s = 0 for i = 1, #xs do s = s + xs[i] end return s end)
        check(nrl.vector(0):sum() == 0 and ro:sum() == 0, "empty, and a read-only view")
        """)
        assertErrors(reductionErrors("sum"))
    }

    func testNorm() throws {
        assertRuns("""
        reduces(function(x, l) return x:norm(l) end,
                function(xs) local s = 0 for i = 1, #xs do s = s + xs[i] * xs[i] end return math.sqrt(s) end)
        """)
        assertErrors(reductionErrors("norm"))
    }

    func testSqnorm() throws {
        assertRuns("""
        reduces(function(x, l) return x:sqnorm(l) end,
                function(xs) local s = 0 for i = 1, #xs do s = s + xs[i] * xs[i] end return s end)
        """)
        assertErrors(reductionErrors("sqnorm"))
    }

    func testMax() throws {
        assertRuns("""
        reduces(function(x, l) return x:max(l) end, function(xs) return math.max(table.unpack(xs)) end)
        local n = nrl.vector(3, 1)
        n[2] = 0 / 0
        check(n:max() ~= n:max(), "NaN")
        """)
        assertErrors(reductionErrors("max") + [
            ("nrl.vector(0):max()", "calling 'max' on bad self (non-empty vector expected)"),
        ])
    }

    func testMin() throws {
        assertRuns("""
        reduces(function(x, l) return x:min(l) end, function(xs) return math.min(table.unpack(xs)) end)
        """)
        assertErrors(reductionErrors("min") + [
            ("nrl.vector(0):min()", "calling 'min' on bad self (non-empty vector expected)"),
        ])
    }

    func testDot() throws {
        assertRuns("""
        for _, kind in ipairs(KINDS) do
          local x, y = fresh(0)[kind], fresh(1)[kind]
          local xs, ys, s = values(x), values(y), 0
          for i = 1, #xs do s = s + xs[i] * ys[i] end
          check(x:dot(y) == s, kind)
        end
        local view, d = fresh(0).view, fresh(1).view:copy()
        local s = 0
        for i = 1, 12 do s = s + view[i] * d[i] end
        check(view:dot(d) == s and d:dot(view) == s and ro:dot(ro) == ro:sqnorm(), "mixed, read-only")
        """)
        assertErrors([
            ("v:dot(w)", "bad argument #1 to 'dot' (vector of 3 expected, got one of 4)"),
            ("m:dot(v)", "bad argument #1 to 'dot' (matrices expected, got vector)"),
            ("m:dot(collected(function() return ctx.net:zeros() end))", Self.collectedMatrices),
        ])
    }

    func testFinite() throws {
        assertRuns("""
        for _, kind in ipairs(KINDS) do
          local x = fresh(0)[kind]
          check(x:finite(), kind)
          local target = kind == "matrices" and x:layer(2) or x
          target[#target] = 1 / 0
          check(not x:finite(), kind .. ": inf")
          target[#target] = 0 / 0
          check(not x:finite(), kind .. ": NaN")
        end
        """)
        assertErrors([
            ("m.finite(v)", "bad argument #1 to 'finite' (matrices expected, got vector)"),
            ("v.finite(nil)", "bad argument #1 to 'finite' (vector expected, got nil)"),
        ])
    }

    // MARK: Layers and outer products

    func testLayer() throws {
        assertRuns("""
        local x = fresh(0).matrices
        local sizes = x:sizes()
        for l = 1, 2 do
          local view = x:layer(l)
          check(rawequal(view, x:layer(l)), "the same view every time")
          check(#view == sizes[l + 1] * sizes[l], "length")
          for i = 1, sizes[l + 1] do
            for j = 1, sizes[l] do check(view[(i - 1) * sizes[l] + j] == x:get(l, i, j), "row-major") end
          end
          view[2] = 0.25
          check(x:get(l, 1, 2) == 0.25, "writes reach the matrices")
          x:put(l, 1, 1, -4)
          check(view[1] == -4, "and back")
        end
        -- the view keeps its matrices' storage alive
        local kept = ctx.net:copy():layer(2)
        collectgarbage() collectgarbage()
        check(kept[6] == ctx.net:get(2, 2, 3), "alive")
        -- vector algebra on a layer, and the layer's own reductions agree
        x:layer(1):scale(2)
        check(x:layer(1):sum() == x:sum(1), "reductions")
        """)
        assertErrors([
            ("m:layer(3)", "bad argument #1 to 'layer' (layer in 1..2 expected, got 3)"),
            ("m:layer(0)", "bad argument #1 to 'layer' (layer in 1..2 expected, got 0)"),
            ("m:layer('1')", "bad argument #1 to 'layer' (integer expected, got string)"),
            ("m:layer()", "bad argument #1 to 'layer' (integer expected, got no value)"),
            ("m.layer(v, 1)", "bad argument #1 to 'layer' (matrices expected, got vector)"),
            ("m.layer(collected(function() return ctx.net:zeros() end), 1)", Self.collectedMatrices),
            ("m:layer(1)[13] = 1", "vector index 13 out of range (1..12)"),
            ("v:layer(1)", "attempt to call a nil value (method 'layer')"),
        ])
    }

    func testAddOuter() throws {
        assertRuns("""
        local x = fresh(0).matrices
        local post, pre = nrl.vector(3), fresh(2).view:copy()
        for i = 1, 3 do post[i] = math.cos(i) end
        local before = x:copy()
        check(x:add_outer(1, post, p:input(1), 0.7) == x, "receiver")
        for i = 1, 3 do for j = 1, 4 do
          local want = f32(before:get(1, i, j) + f32(f32(f32(0.7) * f32(post[i])) * p:input(1)[j]))
          check(x:get(1, i, j) == want, "layer 1 element " .. i .. "," .. j)
        end end
        check(x:sum(2) == before:sum(2), "other layers untouched")
        -- Double pre, default c = 1
        local pre3 = nrl.vector(3)
        for j = 1, 3 do pre3[j] = j / 7 end
        ctx.net:forward(obs, p)
        local post2 = p:pre(2)
        before:set(x)
        x:add_outer(2, post2, pre3)
        for i = 1, 2 do for j = 1, 3 do
          check(x:get(2, i, j) == f32(before:get(2, i, j) + f32(f32(post2[i]) * f32(pre3[j]))), "layer 2 " .. i .. "," .. j)
        end end
        -- the same numbers as add_noise_outer, layer by layer
        local noisy, a, b = ctx.net:pass(), ctx.net:zeros(), ctx.net:zeros()
        ctx.net:forward(obs, noisy, { sigma = 0.5 })
        a:add_noise_outer(noisy, 0.3)
        for l = 1, 2 do b:add_outer(l, noisy:noise(l), noisy:input(l), 0.3) end
        for l = 1, 2 do local va, vb = a:layer(l), b:layer(l) for k = 1, #va do check(va[k] == vb[k], "noise outer") end end
        """)
        let post = "nrl.vector(3)", pre = "nrl.vector(4)"
        assertErrors([
            ("m:add_outer(1, nrl.vector(2), \(pre))", "bad argument #2 to 'add_outer' (vector of 3 expected (n_1, the rows of layer 1), got one of 2)"),
            ("m:add_outer(1, \(post), nrl.vector(3))", "bad argument #3 to 'add_outer' (vector of 4 expected (n_0, the columns of layer 1), got one of 3)"),
            ("m:add_outer(3, \(post), \(pre))", "bad argument #1 to 'add_outer' (layer in 1..2 expected, got 3)"),
            ("m:add_outer(1, \(post), \(pre), 0/0)", "bad argument #4 to 'add_outer' (finite number expected, got nan)"),
            ("m:add_outer(1, {1, 2, 3}, \(pre))", "bad argument #2 to 'add_outer' (vector expected, got table)"),
            ("m:add_outer(1, \(post), collected(function() return nrl.vector(4) end))", Self.collectedVector),
            ("m.add_outer(v, 1, \(post), \(pre))", "bad argument #1 to 'add_outer' (matrices expected, got vector)"),
        ])
    }

    // MARK: Noise and activations

    /// A vector filled with fill_normal(σ) holds, element for element, the node noise a noisy pass
    /// with σ draws from the same stream state — a Double vector, a Float32 layer view, matrices.
    func testFillNormal() throws {
        let log = "for i = 1, 5 do log('x' .. i, xi[i]) end"
        let pass = try run("ctx.net:forward(obs, p, { sigma = 0.3 }) local xi = p:noise() \(log)", noiseSeed: 5)
        XCTAssertEqual(pass.count, 5)
        XCTAssertTrue(pass.values.allSatisfy { $0 != 0 && Double(Float($0)) == $0 })
        let double = try run("local xi = nrl.vector(5) check(xi:fill_normal(0.3) == xi, 'receiver') \(log)", noiseSeed: 5)
        XCTAssertEqual(double, pass)
        let view = try run("local xi = m:layer(1) check(xi:fill_normal(0.3) == xi, 'receiver') \(log)", noiseSeed: 5)
        XCTAssertEqual(view, pass)
        let matrices = try run("check(m:fill_normal(0.3) == m, 'receiver') local xi = m:layer(1) \(log)", noiseSeed: 5)
        XCTAssertEqual(matrices, pass)
        // Another stream state gives other numbers; σ = 0 gives zeros (and still draws).
        XCTAssertNotEqual(try run("local xi = nrl.vector(5):fill_normal(0.3) \(log)", noiseSeed: 6), pass)
        assertRuns("check(nrl.vector(3):fill_normal(0):norm() == 0, 'zero')")
        assertErrors([
            ("v:fill_normal(-1)", "bad argument #1 to 'fill_normal' (sigma must be ≥ 0, got -1.0)"),
            ("m:fill_normal(0/0)", "bad argument #1 to 'fill_normal' (finite number expected, got nan)"),
            ("v:fill_normal()", "bad argument #1 to 'fill_normal' (number expected, got no value)"),
            ("p:noise():fill_normal(1)", "calling 'fill_normal' on bad self (\(Self.readOnly))"),
            ("obs:copy() ro:fill_normal(1)", "calling 'fill_normal' on bad self (\(Self.readOnly))"),
            ("v.fill_normal(collected(function() return nrl.vector(3) end), 1)", Self.collectedVector),
        ])
    }

    func testOutput() throws {
        assertRuns("""
        ctx.net:forward(obs, p)
        local hidden, pre = p:output(1), p:pre(1)
        check(#hidden == 3 and rawequal(hidden, p:output(1)), "a cached view of n_1")
        for i = 1, 3 do
          check(hidden[i] == p:input(2)[i], "the next layer's input")
          check(hidden[i] == (pre[i] > 0 and pre[i] or f32(0.1 * pre[i])), "LeakyReLU(0.1)")
        end
        local pi = p:output(2)
        check(#pi == 2 and pi[1] == p:probs()[1] and pi[2] == p:prob(2), "the policy")
        check(pi[1] ~= 0.5, "a real network")
        """)
        assertErrors([
            ("p:output(0)", "bad argument #1 to 'output' (layer in 1..2 expected, got 0)"),
            ("p:output(3)", "bad argument #1 to 'output' (layer in 1..2 expected, got 3)"),
            ("p:output()", "bad argument #1 to 'output' (integer expected, got no value)"),
            ("p:output(1)[1] = 0", "this vector is read-only (it shows host state)"),
            ("p:output(1):scale(2)", "calling 'scale' on bad self (\(Self.readOnly))"),
            ("p.output(m, 1)", "bad argument #1 to 'output' (pass expected, got matrices)"),
        ])
    }

    // MARK: rng

    func testUniformRefusesAnEmptyInterval() throws {
        assertRuns("""
        check(ctx.rng:uniform(3, 3) == 3, "a ≤ b: a point")
        local u = ctx.rng:uniform(-2, 5)
        check(u >= -2 and u < 5, "in range")
        """)
        assertErrors([
            ("ctx.rng:uniform(1, 0)", "bad argument #2 to 'uniform' (upper bound ≥ lower bound expected, got [1.0, 0.0))"),
            ("ctx.rng:uniform(0, 1/0)", "bad argument #2 to 'uniform' (finite number expected, got inf)"),
            ("ctx.rng:uniform(0/0, 1)", "bad argument #1 to 'uniform' (finite number expected, got nan)"),
            ("ctx.rng:uniform(1)", "bad argument #2 to 'uniform' (number expected, got no value)"),
        ])
    }

    func testNormalRefusesANegativeDeviation() throws {
        assertRuns("""
        check(ctx.rng:normal(2, 0) == 2, "sd = 0")
        check(ctx.rng:normal() ~= ctx.rng:normal(), "draws")
        """)
        assertErrors([
            ("ctx.rng:normal(0, -1)", "bad argument #2 to 'normal' (standard deviation ≥ 0 expected, got -1.0)"),
            ("ctx.rng:normal(0, 1/0)", "bad argument #2 to 'normal' (finite number expected, got inf)"),
            ("ctx.rng:normal(0/0)", "bad argument #1 to 'normal' (finite number expected, got nan)"),
            ("ctx.rng:normal('x')", "bad argument #1 to 'normal' (number expected, got string)"),
        ])
    }

    // MARK: Cost

    /// A thousand rounds of every method (but `copy`) leave no garbage on the Lua heap: views are
    /// cached, results are the receiver or a number.
    func testCallsAllocateNothing() throws {
        assertRuns("""
        local x, y, d, e = fresh(0).matrices, fresh(1).matrices, nrl.vector(7, 1), nrl.vector(7, 2)
        ctx.net:forward(obs, p)
        local function round()
          x:set(y):scale(0.5):shift(0.1):mul(y):div(y):square():sqrt():abs():sign():clamp(-1, 1):fill(0.5):zero()
          x:clip_norm(1) x:clip_layer_norm(1) x:fill_normal(0.1) x:add(y, 0.1)
          x:add_outer(1, p:output(1), p:input(1), 0.1)
          local _ = x:sum(1) + x:norm() + x:sqnorm(2) + x:max() + x:min(1) + x:dot(y)
          local f = x:finite()
          local l = x:layer(2):scale(0.5)
          d:set(e):scale(0.5):shift(0.1):add(e, 2):mul(e):div(e):square():sqrt():abs():sign():clamp(-1, 1):fill(0.5):zero()
          d:clip_norm(1) d:fill_normal(0.1)
          _ = d:sum() + d:norm() + d:sqnorm() + d:max() + d:min() + d:dot(e) + ctx.rng:uniform(0, 1) + ctx.rng:normal(0, 1)
          f = d:finite() or p:output(2)
        end
        round()
        collectgarbage()
        local before = collectgarbage("count")
        for _ = 1, 1000 do round() end
        local grown = collectgarbage("count") - before
        check(grown < 1, "the Lua heap grew by " .. grown .. " KB")
        """)
    }

    // MARK: Chaining

    /// Adam in five lines (docs/lua-api.md): chained calls, checked against Float32 arithmetic per weight.
    func testAdamInFiveLines() throws {
        assertRuns("""
        local g, mom, var, den, step = fresh(0).matrices, ctx.net:zeros(), ctx.net:zeros(), ctx.net:zeros(), ctx.net:zeros()
        local b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
        local w0, M, V = values(ctx.net), {}, {}
        for i = 1, #w0 do M[i], V[i] = 0, 0 end
        for t = 1, 3 do
          mom:scale(b1):add(g, 1 - b1)                                -- m ← β₁m + (1−β₁)g
          var:scale(b2):add(den:set(g):square(), 1 - b2)              -- v ← β₂v + (1−β₂)g²
          den:set(var):scale(1 / (1 - b2 ^ t)):sqrt():shift(eps)      -- √v̂ + ε
          ctx.net:add(step:set(mom):div(den), -lr / (1 - b1 ^ t))     -- w ← w − η m̂ / (√v̂ + ε)
          local gs = values(g)
          for i = 1, #w0 do
            M[i] = f32(f32(M[i] * f32(b1)) + f32(f32(1 - b1) * gs[i]))
            V[i] = f32(f32(V[i] * f32(b2)) + f32(f32(1 - b2) * f32(gs[i] * gs[i])))
            local d = f32(f32(math.sqrt(f32(V[i] * f32(1 / (1 - b2 ^ t))))) + f32(eps))
            w0[i] = f32(w0[i] + f32(f32(-lr / (1 - b1 ^ t)) * f32(M[i] / d)))
          end
        end
        local got = values(ctx.net)
        for i = 1, #w0 do check(got[i] == w0[i], string.format("weight %d: %.17g, expected %.17g", i, got[i], w0[i])) end
        """)
    }
}

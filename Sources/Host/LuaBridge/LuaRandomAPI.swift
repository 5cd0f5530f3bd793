import NRLCore
import CLua
import CLuaShim

/// `rng` objects (`ctx.rng`, an environment's `self.rng`) and the module functions of the API:
/// `nrl.vector`, `math.random`, `log`. Scripts get randomness only from host-seeded streams.
enum LuaRandomAPI {
    static let methods: [(String, nrl_native_fn)] = [
        ("uniform", { L in LuaAPI.run(L) { a in try uniform(a, try a.random(1), first: 2) } }),
        ("normal", { L in LuaAPI.run(L) { try normal($0) } }),
        ("integer", { L in LuaAPI.run(L) { a in try integer(a, try a.random(1), first: 2) } }),
    ]

    /// rng:uniform([a, b]) → u in [0, 1) or [a, b); a ≤ b, both finite.
    static func uniform(_ a: LuaArguments, _ r: RandomSource, first: Int32) throws -> Int32 {
        if a.isNone(first) {
            a.push(r.generator.pointee.nextDouble())
        } else {
            let low = try a.finiteNumber(first), high = try a.finiteNumber(first + 1)
            guard low <= high else {
                throw LuaCallFailure.argument(first + 1, "upper bound ≥ lower bound expected, got [\(low), \(high))")
            }
            a.push(r.generator.pointee.uniform(low, high))
        }
        return 1
    }

    /// rng:normal([mean [, sd]]) → a Gaussian sample; mean finite, sd finite and ≥ 0.
    static func normal(_ a: LuaArguments) throws -> Int32 {
        let r = try a.random(1)
        let mean = a.isNone(2) ? 0 : try a.finiteNumber(2), sd = a.isNone(3) ? 1 : try a.finiteNumber(3)
        guard sd >= 0 else { throw LuaCallFailure.argument(3, "standard deviation ≥ 0 expected, got \(sd)") }
        a.push(mean + sd * Gaussian.sample(&r.generator.pointee))
        return 1
    }

    /// rng:integer(m [, n]) → an integer uniform in 1..m, or m..n.
    static func integer(_ a: LuaArguments, _ r: RandomSource, first: Int32) throws -> Int32 {
        var low = 1, high = try a.integer(first)
        if !a.isNone(first + 1) { low = high; high = try a.integer(first + 1) }
        guard low <= high else { throw LuaCallFailure.argument(first, "interval is empty (\(low)..\(high))") }
        let span = UInt64(bitPattern: Int64(high &- low)) &+ 1
        // Lemire-free rejection: exact and simple; spans are small.
        let draw: UInt64
        if span == 0 {
            draw = r.generator.pointee.next()
        } else {
            let limit = UInt64.max - UInt64.max % span
            var x = r.generator.pointee.next()
            while x >= limit { x = r.generator.pointee.next() }
            draw = x % span
        }
        a.push(low &+ Int(truncatingIfNeeded: draw))
        return 1
    }

    /// math.random([m [, n]]) on the script stream, with Lua's usual meaning.
    static let mathRandom: nrl_native_fn = { L in
        LuaAPI.run(L) { a in
            let r = a.session.scriptRandom
            if a.isNone(1) { return try uniform(a, r, first: 1) }
            // math.random(0): a random integer with all bits random, as in Lua 5.4.
            if a.isNone(2), (try? a.integer(1)) == 0 {
                a.push(Int(Int64(bitPattern: r.generator.pointee.next())))
                return 1
            }
            return try integer(a, r, first: 1)
        }
    }

    static let mathRandomSeed: nrl_native_fn = { L in
        LuaAPI.run(L) { _ in
            throw LuaCallFailure.message("math.randomseed is not available: the host seeds every random stream (use --seed)")
        }
    }

    /// nrl.vector(n [, fill]) → a new writable vector of n numbers.
    static let newVector: nrl_native_fn = { L in
        LuaAPI.run(L) { a in
            let n = try a.integer(1)
            guard n >= 0 && n <= 1 << 24 else { throw LuaCallFailure.argument(1, "length in 0..16777216 expected, got \(n)") }
            try LuaAPI.pushNewVector(a.state, count: n, fill: try a.optionalNumber(2, 0))
            return 1
        }
    }

    /// A metric name: 1–64 bytes of UTF-8, every Unicode scalar a letter, a digit, a combining mark
    /// (for accents), '_' or '.' — checked per scalar, not per grapheme, so no comma, quote, control
    /// character or line break can hide inside a cluster.
    static func isMetricName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { s in
            if s == "_" || s == "." { return true }
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark:
                return true
            default:
                return false
            }
        }
    }

    /// log(name, value): a custom metric for this episode (the mean, if logged several times).
    static let log: nrl_native_fn = { L in
        LuaAPI.run(L) { a in
            let name = try a.string(1)
            let value = try a.number(2)
            guard isMetricName(name) else {
                throw LuaCallFailure.argument(1, "metric name of letters, digits, '_' or '.' (at most 64 bytes) expected, got '\(ScriptText.oneLine(ScriptText.capped(name, limit: 80)))'")
            }
            let s = a.session
            let old = s.loggedMetrics[name] ?? (0, 0)
            guard old.count > 0 || s.loggedMetrics.count < 64 else {
                throw LuaCallFailure.message("too many different metric names (at most 64)")
            }
            // A running mean is exact when every value is the same (a sum divided by a count is not).
            let count = old.count + 1
            // (And the mean of infinities of one sign is that infinity, not inf - inf = NaN.)
            s.loggedMetrics[name] = (value == old.mean ? value : old.mean + (value - old.mean) / Double(count), count)
            return 0
        }
    }
}

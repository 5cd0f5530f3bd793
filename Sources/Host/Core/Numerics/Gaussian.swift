import Foundation

/// Standard normal samples by the ziggurat method (Marsaglia & Tsang 2000) with 256 layers,
/// in the form Doornik (2005) and Rust's `rand_distr` use: one 64-bit draw gives the layer
/// (low 8 bits) and a signed uniform (top 53 bits); about 99% of samples need nothing more.
/// The tables are computed once from the published constants R and V.
public enum Gaussian {
    static let layers = 256
    static let r = 3.6541528853610088     // start of the tail
    static let v = 0.00492867323399       // area of each layer

    /// x[i]: right edge of layer i (x[0] is the base strip's virtual width, x[256] = 0).
    /// f[i]: exp(−x[i]²/2).
    static let tables: (x: [Double], f: [Double]) = {
        var x = [Double](repeating: 0, count: layers + 1)
        var f = [Double](repeating: 0, count: layers + 1)
        var fr = exp(-0.5 * r * r)
        x[0] = v / fr
        x[1] = r
        f[0] = 0   // unused except in the tail branch
        f[1] = fr
        for i in 2..<layers {
            x[i] = (-2 * log(v / x[i - 1] + fr)).squareRoot()
            fr = exp(-0.5 * x[i] * x[i])
            f[i] = fr
        }
        x[layers] = 0
        f[layers] = 1
        return (x, f)
    }()

    // The tables as raw pointers, for the per-sample path; written once here, only read afterwards,
    // so sharing them between threads is safe.
    @usableFromInline nonisolated(unsafe) static let x: UnsafePointer<Double> = copy(tables.x)
    @usableFromInline nonisolated(unsafe) static let f: UnsafePointer<Double> = copy(tables.f)

    private static func copy(_ values: [Double]) -> UnsafePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        return UnsafePointer(p)
    }

    /// One N(0, 1) sample from `rng`.
    @inlinable @inline(__always)
    public static func sample(_ rng: inout Xoshiro256) -> Double {
        sample(&rng, x)
    }

    /// buffer[i] = Float(σ · N(0, 1)) for i < count, in order.
    @inlinable
    public static func fill(_ buffer: UnsafeMutablePointer<Float>, count: Int, sigma: Double, _ rng: inout Xoshiro256) {
        let xt = x  // one look-up of the table for the whole buffer
        for i in 0..<count { buffer[i] = Float(sigma * sample(&rng, xt)) }
    }

    @inlinable @inline(__always)
    static func sample(_ rng: inout Xoshiro256, _ xt: UnsafePointer<Double>) -> Double {
        while true {
            let bits = rng.next()
            let i = Int(bits & 0xFF)
            // Signed uniform in (−1, 1) from the top 53 bits.
            let u = Double(bits >> 11) * 0x1.0p-52 - 1.0
            let candidate = u * xt[i]
            if abs(candidate) < xt[i + 1] { return candidate }
            if let y = slowPath(layer: i, candidate: candidate, u: u, &rng) { return y }
        }
    }

    @usableFromInline @inline(never)
    static func slowPath(layer i: Int, candidate: Double, u: Double, _ rng: inout Xoshiro256) -> Double? {
        if i == 0 {
            // Tail beyond R (Marsaglia 1964).
            while true {
                let a = -log(1 - rng.nextDouble()) / r
                let b = -log(1 - rng.nextDouble())
                if 2 * b >= a * a { return u < 0 ? -(r + a) : r + a }
            }
        }
        let y = f[i + 1] + (f[i] - f[i + 1]) * rng.nextDouble()
        return y < exp(-0.5 * candidate * candidate) ? candidate : nil
    }
}

/// Draws from a categorical distribution given its probabilities.
public enum Categorical {
    /// The first index k with u < p[0] + … + p[k], u uniform on [0, 1); the last index if
    /// rounding leaves the cumulative sum below u.
    @inlinable @inline(__always)
    public static func sample(_ probabilities: UnsafePointer<Double>, count: Int, _ rng: inout Xoshiro256) -> Int {
        let u = rng.nextDouble()
        var cumulative = 0.0
        for k in 0..<(count - 1) {
            cumulative += probabilities[k]
            if u < cumulative { return k }
        }
        return count - 1
    }
}

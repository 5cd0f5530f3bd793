/// Dense Float32 kernels on raw buffers: the only places the training step does arithmetic
/// over vectors. SIMD8 chunks with a scalar tail; the summation order is fixed, so results
/// are deterministic for a given build.
public enum Kernels {
    /// Σ a[i]·b[i] for i < n.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var sum: Float = 0
        if n >= 8 {
            var acc = SIMD8<Float>()
            let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
            while i + 8 <= n {
                let va = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                let vb = rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                acc = acc + va * vb
                i &+= 8
            }
            sum = acc.sum()
        }
        if i + 4 <= n {
            // Small fan-ins (CartPole's 4, Acrobot's 6) take one 4-wide step.
            let va = UnsafeRawPointer(a).loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
            let vb = UnsafeRawPointer(b).loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
            sum += (va * vb).sum()
            i &+= 4
        }
        while i < n {
            sum += a[i] * b[i]
            i &+= 1
        }
        return sum
    }

    /// y[i] += alpha·x[i] for i < n.
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        if n >= 8 {
            let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
            let va = SIMD8<Float>(repeating: alpha)
            while i + 8 <= n {
                let vx = rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                let vy = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                ry.storeBytes(of: vy + va * vx, toByteOffset: i &* 4, as: SIMD8<Float>.self)
                i &+= 8
            }
        }
        if i + 4 <= n {
            let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
            let vx = rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
            let vy = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
            ry.storeBytes(of: vy + SIMD4<Float>(repeating: alpha) * vx, toByteOffset: i &* 4, as: SIMD4<Float>.self)
            i &+= 4
        }
        while i < n {
            y[i] += alpha * x[i]
            i &+= 1
        }
    }

    /// Σ x[i]² accumulated in Double (the noise normaliser must not lose the small terms).
    @inlinable @inline(__always)
    public static func squaredNorm(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { let v = Double(x[i]); s += v * v }
        return s
    }

    /// True when no element is NaN or infinite.
    @inlinable
    public static func allFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Bool {
        var ok = true
        for i in 0..<n where !x[i].isFinite { ok = false }
        return ok
    }
}

/// `Kernels` for every lane at once, on lane-major buffers (element i holds value i of every lane).
/// Each lane's result has the same bits as the scalar kernel's: the same products, added in the
/// same order, with no fused multiply-add.
enum LaneKernels {
    /// Σ a[i]·b[i] for i < n, in `Kernels.dot`'s order: eight running sums over 8-wide chunks
    /// (sum j takes elements j, j+8, …), added up 0…7; then one 4-wide step summed left to right;
    /// then the remaining elements one by one.
    @inline(__always)
    static func dot<F: SIMD>(_ a: UnsafePointer<F>, _ b: UnsafePointer<F>, _ n: Int) -> F where F.Scalar == Float {
        var i = 0
        var sum = F()
        if n >= 8 {
            let chunks = n / 8
            // SIMD8.sum() starts from −0, and −0 + x = x for every x, so sum j = 0 can start it.
            for j in 0..<8 {
                var acc = F()   // SIMD8() is +0 in every element
                for c in 0..<chunks { acc = acc + a[c &* 8 &+ j] * b[c &* 8 &+ j] }
                sum = j == 0 ? acc : sum + acc
            }
            i = chunks &* 8
        }
        if i + 4 <= n {
            let step = ((a[i] * b[i] + a[i &+ 1] * b[i &+ 1]) + a[i &+ 2] * b[i &+ 2]) + a[i &+ 3] * b[i &+ 3]
            sum = sum + step
            i &+= 4
        }
        while i < n {
            sum = sum + a[i] * b[i]
            i &+= 1
        }
        return sum
    }

    /// norm[k] = Σ Double(x[i])² over i < n for each lane k, left to right from 0 (`Kernels.squaredNorm`).
    @inline(__always)
    static func squaredNorm<V: SIMD>(_ x: UnsafeMutablePointer<V>, _ n: Int, into norm: UnsafeMutablePointer<Double>) where V.Scalar == Float {
        let width = V.scalarCount
        norm.update(repeating: 0, count: width)
        for i in 0..<n {
            let row = x.scalars(from: i)
            for k in 0..<width {
                let v = Double(row.float(k))
                norm[k] += v * v
            }
        }
    }

    /// y[i] += alpha·x[i] for i < n (`Kernels.axpy`: elementwise, so any grouping gives the same bits).
    @inline(__always)
    static func axpy<F: SIMD>(_ alpha: F, _ x: UnsafePointer<F>, _ y: UnsafeMutablePointer<F>, _ n: Int) where F.Scalar == Float {
        for i in 0..<n { y[i] = y[i] + alpha * x[i] }
    }
}

/// Per-lane access to lane-major buffers of vectors, through raw memory.
///
/// Reading or writing one element of a Swift SIMD value (`v[k] = x`), or comparing and selecting
/// with SIMD masks, compiles in generic code to a round trip through the stack for every element;
/// plain scalar loops over the buffer's floats compile to vector code (or cheap scalar code for
/// per-lane work such as libm calls). Vector arithmetic (+, *, /) stays on the SIMD types.
extension UnsafeMutablePointer where Pointee: SIMD {
    /// The scalars of the buffer from vector `i` on: lane k of vector i + j at j·W + k.
    @inline(__always)
    func scalars(from i: Int = 0) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(self + i) }

    /// Lane k of vector i.
    @inline(__always)
    func lane(_ i: Int, _ k: Int) -> Pointee.Scalar {
        UnsafeRawPointer(self + i).load(fromByteOffset: k &* MemoryLayout<Pointee.Scalar>.stride, as: Pointee.Scalar.self)
    }

    /// Sets lane k of vector i.
    @inline(__always)
    func setLane(_ i: Int, _ k: Int, _ value: Pointee.Scalar) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: value, toByteOffset: k &* MemoryLayout<Pointee.Scalar>.stride, as: Pointee.Scalar.self)
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func float(_ i: Int) -> Float { load(fromByteOffset: i &* 4, as: Float.self) }

    @inline(__always)
    func setFloat(_ i: Int, _ value: Float) { storeBytes(of: value, toByteOffset: i &* 4, as: Float.self) }
}

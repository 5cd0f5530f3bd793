/// The hidden activation f(a) = max(a, 0.1·a) and its derivative.
/// f′(0) = 1, as in the reference (`torch.where(x >= 0, x, 0.1*x)`); this also holds for −0.0.
public enum LeakyReLU {
    public static let slope: Float = 0.1

    @inlinable @inline(__always)
    public static func value(_ a: Float) -> Float { a >= 0 ? a : 0.1 * a }

    @inlinable @inline(__always)
    public static func derivative(_ a: Float) -> Float { a >= 0 ? 1 : 0.1 }
}

import Foundation

/// `pow(v, 2.0)` from libm, which CartPole and Acrobot use for every square (docs/spec/environments.md §1, §6.1).
///
/// glibc's `pow` is not correctly rounded and differs from `v*v` in about 0.1 % of cases.
/// At -O, LLVM rewrites a visible `pow(v, 2.0)` into `v*v`; compiling this one function
/// without optimisation and never inlining it keeps the real library call.
@_optimize(none) @inline(never)
func libmSquare(_ v: Double) -> Double {
    pow(v, 2.0)
}

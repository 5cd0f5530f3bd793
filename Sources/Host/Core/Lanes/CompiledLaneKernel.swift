import CLaneKernels
import Foundation

/// The NRL step compiled for AVX-512 (16 lanes) and AVX2 (8 lanes) in C (`Sources/Host/LaneKernels`),
/// used instead of the generic Swift code when the CPU runs it. Both give the same bits
/// (LanesTests runs each).
public enum CompiledLaneKernel {
    public typealias Step = @convention(c) (UnsafeMutablePointer<nrl_lanes_step>?) -> Void

    /// The widest kernel this CPU runs: 16 (AVX-512), 8 (AVX2) or 0 (none, or NRLHOST_LANE_KERNELS=off).
    public static let cpuWidth: Int = {
        if ProcessInfo.processInfo.environment["NRLHOST_LANE_KERNELS"] == "off" { return 0 }
        return Int(nrl_lanes_kernel_width())
    }()

    /// The compiled step for `width` lanes, if this CPU runs it.
    static func nrlStep(width: Int) -> Step? {
        switch width {
        case 16 where cpuWidth >= 16: return nrl_lanes_act16
        case 8 where cpuWidth >= 8: return nrl_lanes_act8
        default: return nil
        }
    }
}

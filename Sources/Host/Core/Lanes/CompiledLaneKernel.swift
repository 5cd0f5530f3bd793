import CLaneKernels
import Foundation

/// The NRL, BP and RMHL / node perturbation steps compiled for AVX-512 and AVX2 in C (`Sources/Host/LaneKernels`), used instead of the
/// generic Swift code when the CPU runs it. Every one gives the same bits (LanesTests runs each).
public enum CompiledLaneKernel {
    typealias Step = @convention(c) (UnsafeMutablePointer<nrl_lanes_step>?) -> Void
    typealias Update = @convention(c) (UnsafeMutablePointer<nrl_lanes_step>?, UnsafePointer<nrl_lanes_update>?) -> Void

    public enum InstructionSet: Int, Comparable, Sendable {
        case avx2 = 8, avx512 = 16
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// What this CPU runs: AVX-512, AVX2, or neither (nil). NRLHOST_LANE_KERNELS=avx2 or =generic
    /// lowers it, to check on one machine what a machine without AVX-512 (or without either) computes.
    public static let available: InstructionSet? = {
        let cpu: InstructionSet? = switch nrl_lanes_kernel_width() {
        case 16: .avx512
        case 8: .avx2
        default: nil
        }
        switch ProcessInfo.processInfo.environment["NRLHOST_LANE_KERNELS"] {
        case "generic"?: return nil
        case "avx2"?: return cpu.map { min($0, .avx2) }
        default: return cpu
        }
    }()

    /// A rule's compiled step, the fold of the trace's pending outer products that goes with it, and the
    /// learning step of immediate tasks.
    struct Kernel {
        let act: Step
        let fold: Step
        let update: Update
    }

    /// The compiled NRL step for `width` lanes in `set` (capped at what the CPU runs), if there is one.
    static func nrlStep(width: Int, set: InstructionSet?) -> Kernel? {
        choose(width: width, set: set, avx512x16: nrl_lanes_act16, avx512x8: nrl_lanes_act8_avx512, avx2x8: nrl_lanes_act8)
    }

    /// The compiled BP step for `width` lanes in `set` (capped at what the CPU runs), if there is one.
    static func bpStep(width: Int, set: InstructionSet?) -> Kernel? {
        choose(width: width, set: set, avx512x16: bp_lanes_act16, avx512x8: bp_lanes_act8_avx512, avx2x8: bp_lanes_act8)
    }

    /// The compiled RMHL / node perturbation step for `width` lanes in `set` (capped at what the CPU runs), if there is one.
    static func hebbianStep(width: Int, set: InstructionSet?) -> Kernel? {
        choose(width: width, set: set, avx512x16: hebbian_lanes_act16, avx512x8: hebbian_lanes_act8_avx512,
               avx2x8: hebbian_lanes_act8)
    }

    private static func choose(width: Int, set: InstructionSet?, avx512x16: Step, avx512x8: Step, avx2x8: Step) -> Kernel? {
        guard let set, let cpu = available else { return nil }
        switch (width, min(set, cpu)) {
        case (16, .avx512): return Kernel(act: avx512x16, fold: nrl_lanes_fold16, update: nrl_lanes_update16)
        case (8, .avx512): return Kernel(act: avx512x8, fold: nrl_lanes_fold8_avx512, update: nrl_lanes_update8_avx512)
        case (8, .avx2): return Kernel(act: avx2x8, fold: nrl_lanes_fold8, update: nrl_lanes_update8)
        default: return nil
        }
    }
}

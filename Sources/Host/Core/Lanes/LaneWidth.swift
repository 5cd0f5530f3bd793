import Foundation

/// How many runs train side by side, one per SIMD lane, and the vector types that hold one value
/// of every lane. The engine is generic over this, so each width compiles to its own code.
public protocol LaneWidth {
    associatedtype Floats: SIMD where Floats.Scalar == Float
    associatedtype Words: SIMD where Words.Scalar == UInt64
    static var count: Int { get }
}

public enum SixteenLanes: LaneWidth {
    public typealias Floats = SIMD16<Float>
    public typealias Words = SIMD16<UInt64>
    public static var count: Int { 16 }
}

public enum EightLanes: LaneWidth {
    public typealias Floats = SIMD8<Float>
    public typealias Words = SIMD8<UInt64>
    public static var count: Int { 8 }
}

public enum FourLanes: LaneWidth {
    public typealias Floats = SIMD4<Float>
    public typealias Words = SIMD4<UInt64>
    public static var count: Int { 4 }
}

/// The lane width a sweep uses: forced by NRLHOST_LANES (16, 8, 4, or 1 for the single-run path),
/// otherwise `defaultWidth`.
public enum LaneWidthChoice {
    public static let supported = [16, 8, 4, 1]

    /// The width to use; `forced` (e.g. from a command-line setting) wins over the environment variable.
    public static func width(forced: Int? = nil) -> Int {
        if let forced, supported.contains(forced) { return forced }
        return widthFromEnvironment ?? defaultWidth
    }

    /// Whether NRLHOST_LANES forces the width: then sweeps use it even where runs alone would end sooner.
    public static var isForced: Bool { widthFromEnvironment != nil }

    private static var widthFromEnvironment: Int? {
        guard let text = ProcessInfo.processInfo.environment["NRLHOST_LANES"], let n = Int(text), supported.contains(n) else { return nil }
        return n
    }

    /// 8, whatever the CPU. With AVX-512, 8 lanes (the 8-lane AVX-512 kernel) measured faster per step than
    /// 16: NRL 0.55× the single-run path against 0.60×, BP 0.41× against 0.48× (`nrlhost bench --lanes-only
    /// --widths 8`; 16 lanes need twice the registers and cache). With AVX2, 8 is the kernel's width; the
    /// generic Swift code measured 0.80× at 8 lanes and 1.05× at 16.
    public static let defaultWidth = 8

    /// The engines that `runs` runs of one batch fill, widest first, for the sweep's `width`: as many
    /// engines of `width` lanes as they fill, then one of 8 lanes if 8 more remain (a width-16 sweep has
    /// 8-lane kernels too). The rest train alone: a lane that idles costs as much as one that trains.
    public static func fill(runs: Int, width: Int) -> [Int] {
        guard width > 1 else { return [] }
        var engines = Array(repeating: width, count: runs / width)
        if width == 16 && runs % 16 >= 8 { engines.append(8) }
        return engines
    }

    /// What a step in lanes costs against a step alone, per run: 0.46–0.95 measured on two CPUs (docs/lanes.md).
    public static let laneStepCost = 0.6

    /// The time `workers` take for items of these costs when each free worker takes the longest item left
    /// (as sweeps hand out their items): for choosing between training in lanes and alone. A lanes engine
    /// runs on one core, so a few engines can take longer than their runs alone on every core.
    public static func makespan(_ costs: [Double], workers: Int) -> Double {
        var loads = Array(repeating: 0.0, count: max(1, workers))
        for cost in costs.sorted(by: >) {
            let least = loads.indices.min { loads[$0] < loads[$1] }!
            loads[least] += cost
        }
        return loads.max()!
    }

    /// 16 when the CPU has AVX-512 (F, DQ, VL, BW), 8 with AVX2, 4 otherwise, read from /proc/cpuinfo.
    public static let cpuWidth: Int = {
        #if os(Linux) && arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return 4 }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512dq", "avx512vl", "avx512bw"].allSatisfy(flags.contains) { return 16 }
        if flags.contains("avx2") { return 8 }
        return 4
        #else
        return 4
        #endif
    }()
}

import BuiltinRules
import NRLCore
import XCTest

/// The lanes engine against the single-run path: for every seed, the same episode returns and lengths
/// and the same final weights, bit for bit, at every lane width, on one thread or several.
final class LanesTests: XCTestCase {
    let plugins = BuiltinRules.plugins()

    /// 24 seeds (more than 16 lanes, so lanes take a second run from the queue) with episode counts that
    /// differ, so that runs end at different steps too.
    func specs(rule: String = "nrl", environment: String = "cartpole", hidden: Int? = nil, layers: Int? = nil,
               settings: [String] = [], count: Int = 24, episodes: Int = 100) throws -> [RunSpec] {
        try (0..<count).map { i in
            try RunRequest(rule: rule, environment: environment, episodes: episodes + (i % 5) * episodes / 10, seed: UInt64(7 + i),
                           hidden: hidden, layers: layers, settings: settings).resolve(in: plugins)
        }
    }

    struct Result: Equatable {
        var returns: [UInt64] = []
        var lengths: [Int] = []
        var weights: [UInt32] = []
    }

    /// Each spec trained alone by `Session` + `Trainer`.
    func single(_ specs: [RunSpec]) throws -> [Result] {
        try specs.map { spec in
            let session = try Session(spec: spec, plugins: plugins)
            var result = Result()
            try Trainer(session: session).run { record in
                result.returns.append(record.totalReward.bitPattern)
                result.lengths.append(record.length)
            }
            let w = session.network.weights
            result.weights = (0..<w.count).map { w.values[$0].bitPattern }
            return result
        }
    }

    /// `kernels`: the compiled kernels of this width where the CPU runs them (`CompiledLaneKernel`); nil: the generic Swift code.
    func lanes(_ specs: [RunSpec], width: Int, threads: Int = 1,
               kernels: CompiledLaneKernel.InstructionSet? = .avx512) throws -> [Result] {
        let results = Locked([Result](repeating: Result(), count: specs.count))
        try LaneSweep(specs: specs, width: width, threads: threads, plugins: plugins, kernels: kernels).run(
            onEpisode: { r, record in
                results.withValue { $0[r].returns.append(record.totalReward.bitPattern); $0[r].lengths.append(record.length) }
            },
            onFinish: { r, outcome in
                XCTAssertNil(outcome.error)
                results.withValue { $0[r].weights = outcome.finalWeights.map(\.bitPattern) }
            })
        return results.withValue { $0 }
    }

    func assertSame(_ expected: [Result], _ actual: [Result], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(expected.count, actual.count, what, file: file, line: line)
        // The first difference only: whole weight vectors would bury it.
        func first<T: Equatable>(_ e: [T], _ a: [T], _ name: String, run i: Int) {
            guard e != a else { return }
            let k = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
            XCTFail("\(what): run \(i) \(name) differ first at \(k) (of \(e.count) and \(a.count)): "
                    + "\(k < e.count ? "\(e[k])" : "none") expected, \(k < a.count ? "\(a[k])" : "none") computed", file: file, line: line)
        }
        for (i, (e, a)) in zip(expected, actual).enumerated() {
            first(e.lengths, a.lengths, "episode lengths", run: i)
            first(e.returns, a.returns, "returns (bit patterns)", run: i)
            first(e.weights, a.weights, "final weights (bit patterns)", run: i)
        }
    }

    /// Lanes at widths 16, 8 and 4 (the compiled kernels where the CPU runs them; none at 4, where rules without
    /// generic lanes code train alone), the AVX2 kernel, no kernel at all, and 16 lanes on 2 threads.
    func assertEveryEngineGives(_ expected: [Result], _ specs: [RunSpec], _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for width in [16, 8, 4] {
            assertSame(expected, try lanes(specs, width: width), "\(what), \(width) lanes", file: file, line: line)
        }
        assertSame(expected, try lanes(specs, width: 8, kernels: .avx2), "\(what), 8 lanes, AVX2", file: file, line: line)
        assertSame(expected, try lanes(specs, width: 8, kernels: nil), "\(what), 8 lanes, no kernel", file: file, line: line)
        assertSame(expected, try lanes(specs, width: 16, threads: 2), "\(what), 16 lanes on 2 threads", file: file, line: line)
    }

    func testNRLCartPoleLanesGiveTheSingleRunsBitsAtEveryWidth() throws {
        let specs = try specs()
        XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
        let expected = try single(specs)
        // The test means something only if lanes end their episodes at different steps.
        XCTAssertGreaterThan(Set(expected.map { $0.lengths[0] }).count, 4)
        XCTAssertGreaterThan(Set(expected.map { $0.lengths.reduce(0, +) }).count, 20)
        for width in LaneWidthChoice.supported {
            assertSame(expected, try lanes(specs, width: width), "width \(width)")
        }
        // The rows above used the AVX-512 kernels where this CPU has them; the AVX2 kernel and the generic code:
        assertSame(expected, try lanes(specs, width: 8, kernels: .avx2), "width 8, AVX2")
        for width in [16, 8] {
            assertSame(expected, try lanes(specs, width: width, kernels: nil), "width \(width), generic Swift")
        }
        assertSame(expected, try lanes(specs, width: 16, threads: 2), "width 16 on 2 threads")
    }

    func testNRLCartPoleLanesFollowTheParameters() throws {
        // Another learning rate, noise, reward-average rate and step scaling: still the single run's bits.
        let specs = try specs(settings: ["lr=0.1", "sigma=0.01", "gamma=0.5", "scaling=fan_out"])
        let expected = try single(specs)
        for width in [16, 8] {
            assertSame(expected, try lanes(specs, width: width), "width \(width), other parameters")
            assertSame(expected, try lanes(specs, width: width, kernels: nil), "width \(width), generic, other parameters")
        }
        assertSame(expected, try lanes(specs, width: 8, kernels: .avx2), "width 8, AVX2, other parameters")
    }

    func testEveryNetworkShapeGivesTheSingleRunsBits() throws {
        // Fan-ins that take every branch of Kernels.dot's order: 8-wide chunks only (32), chunks and a 4-wide
        // step (12), chunks, a 4-wide step and a scalar tail (13), the 4-wide step alone (4), the tail alone (3);
        // and deep networks (the paper's depth figures).
        for (hidden, layers) in [(32, 3), (12, 2), (13, 1), (3, 2), (64, 3)] {
            let specs = try specs(hidden: hidden, layers: layers, count: 10)
            XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
            let expected = try single(specs)
            for width in [16, 8] {
                assertSame(expected, try lanes(specs, width: width), "\(layers)×\(hidden), \(width) lanes")
            }
            assertSame(expected, try lanes(specs, width: 8, kernels: .avx2), "\(layers)×\(hidden), 8 lanes, AVX2")
            assertSame(expected, try lanes(specs, width: 8, kernels: nil), "\(layers)×\(hidden), 8 lanes, generic")
        }
    }

    func testBPCartPoleLanesGiveTheSingleRunsBits() throws {
        // BP trains in lanes with the compiled kernels (AVX-512 at 16 and 8 lanes, AVX2 at 8); without one
        // (width 4, the generic code) its runs train alone, which must give the same bits too.
        for (hidden, layers, settings) in [(64, 1, [String]()), (13, 2, ["lr=0.02", "gamma=0.5"]), (12, 3, [])] {
            let specs = try specs(rule: "bp", hidden: hidden, layers: layers, settings: settings, count: hidden == 64 ? 24 : 10)
            XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
            let expected = try single(specs)
            XCTAssertGreaterThan(Set(expected.map { $0.lengths.reduce(0, +) }).count, specs.count / 2)
            let what = "bp \(layers)×\(hidden) \(settings)"
            try assertEveryEngineGives(expected, specs, what)
        }
    }

    func testAcrobotLanesGiveTheSingleRunsBits() throws {
        // Acrobot's episodes run to 500 steps unless the tip swings up, so lanes end them at different steps too.
        for rule in ["nrl", "bp"] {
            let specs = try specs(rule: rule, environment: "acrobot", count: 18, episodes: 20)
            XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
            let expected = try single(specs)
            XCTAssertGreaterThan(Set(expected.flatMap(\.lengths)).count, 20)
            for width in [16, 8] {
                assertSame(expected, try lanes(specs, width: width), "\(rule) acrobot, \(width) lanes")
            }
            assertSame(expected, try lanes(specs, width: 8, kernels: .avx2), "\(rule) acrobot, 8 lanes, AVX2")
            if rule == "nrl" {
                assertSame(expected, try lanes(specs, width: 8, kernels: nil), "nrl acrobot, 8 lanes, generic")
            }
        }
    }

    func testRMHLAndNodePerturbationLanesGiveTheSingleRunsBits() throws {
        // One compiled kernel for both; node perturbation divides the step by σ². Without a kernel (width 4)
        // their runs train alone, which must give the same bits too.
        for (rule, environment, hidden, layers, settings) in [
            ("rmhl", "cartpole", 64, 1, [String]()), ("np", "cartpole", 13, 2, ["lr=0.002", "sigma=0.05"]),
            ("rmhl", "acrobot", 64, 1, []), ("np", "acrobot", 12, 3, []),
        ] {
            let specs = try specs(rule: rule, environment: environment, hidden: hidden, layers: layers, settings: settings,
                                  count: 18, episodes: environment == "acrobot" ? 20 : 100)
            XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
            let expected = try single(specs)
            XCTAssertGreaterThan(Set(expected.map { $0.lengths.reduce(0, +) }).count, specs.count / 2)
            let what = "\(rule) \(environment) \(layers)×\(hidden) \(settings)"
            try assertEveryEngineGives(expected, specs, what)
        }
    }

    func testReachingLanesGiveTheSingleRunsBits() throws {
        // Reaching rewards every step, so every rule learns after every step (NRL in its continuous form, with
        // each layer's own noise norm and the clean inputs), and its trials follow each other without a reset.
        // Every trial is 300 steps; the runs' trial counts differ, so lanes take new runs, and end trials, at
        // different steps.
        for (rule, hidden, layers, settings) in [
            ("nrl", 128, 1, [String]()), ("nrl", 13, 2, ["scaling=unbiased", "lr=0.2", "env.fail_reward=-0.3"]),
            ("bp", 128, 1, []), ("bp", 12, 3, ["gamma=0.5"]), ("rmhl", 128, 1, []), ("np", 13, 2, []),
        ] {
            let specs = try specs(rule: rule, environment: "reaching", hidden: hidden, layers: layers, settings: settings,
                                  count: 18, episodes: 10)
            XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
            XCTAssertTrue(specs.allSatisfy(LaneSupport.pays))
            let expected = try single(specs)
            XCTAssertGreaterThan(Set(expected.map(\.returns)).count, specs.count - 1)
            let what = "\(rule) reaching \(layers)×\(hidden) \(settings)"
            try assertEveryEngineGives(expected, specs, what)
        }
    }

    func testEnvironmentSettingsGiveTheSingleRunsBits() throws {
        // CartPole with Sutton & Barto's reward (0 per step, −1 at the end): the lanes step the same environment.
        let specs = try specs(settings: ["env.sutton_barto_reward=true"], count: 16)
        XCTAssertTrue(specs.allSatisfy(LaneSupport.supports))
        let expected = try single(specs)
        XCTAssertTrue(expected.contains { $0.returns.contains { Double(bitPattern: $0) != 0 } })
        assertSame(expected, try lanes(specs, width: 8), "sutton_barto_reward, 8 lanes")
    }

    func testSweepsUseLanesWhereTheyPayAndFillEveryEngine() throws {
        XCTAssertTrue(LaneSupport.pays(try RunRequest(rule: "nrl", environment: "cartpole", seed: 1).resolve(in: plugins)))
        XCTAssertTrue(LaneSupport.pays(try RunRequest(rule: "bp", environment: "cartpole", seed: 1).resolve(in: plugins)))
        XCTAssertTrue(LaneSupport.pays(try RunRequest(rule: "nrl", environment: "acrobot", seed: 1, layers: 3).resolve(in: plugins)))
        // 2×128 on CartPole: 17,152 weights, past what the caches hold in 8 lanes.
        let wide = try RunRequest(rule: "nrl", environment: "cartpole", seed: 1, hidden: 128, layers: 2).resolve(in: plugins)
        XCTAssertTrue(LaneSupport.supports(wide))
        XCTAssertFalse(LaneSupport.pays(wide))
        // Engines a batch fills; the rest of its runs train alone.
        XCTAssertEqual(LaneWidthChoice.fill(runs: 10, width: 16), [8])
        XCTAssertEqual(LaneWidthChoice.fill(runs: 40, width: 16), [16, 16, 8])
        XCTAssertEqual(LaneWidthChoice.fill(runs: 7, width: 16), [])
        XCTAssertEqual(LaneWidthChoice.fill(runs: 20, width: 8), [8, 8])
        XCTAssertEqual(LaneWidthChoice.fill(runs: 9, width: 4), [4, 4])
        XCTAssertEqual(LaneWidthChoice.fill(runs: 9, width: 1), [])
        // Longest first, each to the least busy worker; an engine of 8 runs on one core against them alone on two.
        XCTAssertEqual(LaneWidthChoice.makespan([3, 3, 2, 2, 2], workers: 2), 7)
        XCTAssertEqual(LaneWidthChoice.makespan([5, 1], workers: 4), 5)
        XCTAssertGreaterThan(LaneWidthChoice.makespan([8 * LaneWidthChoice.laneStepCost], workers: 2),
                             LaneWidthChoice.makespan(Array(repeating: 1, count: 8), workers: 2))
    }

    func testTheCompiledKernelsAreThoseTheCPUHas() {
        // The C kernels' own CPU check agrees with the kernel's flags in /proc/cpuinfo, so the tests above ran
        // the AVX-512 and AVX2 kernels wherever the CPU has them (and did not quietly fall back to generic code).
        guard ProcessInfo.processInfo.environment["NRLHOST_LANE_KERNELS"] == nil else { return }
        XCTAssertEqual(CompiledLaneKernel.available?.rawValue ?? 4, LaneWidthChoice.cpuWidth)
    }

    func testRunsTheLanesEngineDoesNotComputeAreLeftToTheSingleRunPath() throws {
        XCTAssertFalse(LaneSupport.supports(try RunRequest(rule: "wp", environment: "cartpole", seed: 1).resolve(in: plugins)))
        XCTAssertFalse(LaneSupport.supports(try RunRequest(rule: "nrl-noisy", environment: "acrobot", seed: 1).resolve(in: plugins)))
    }
}

import Foundation
@testable import NRLCore
@testable import LuaBridge
import TestSupport
import XCTest

/// The environments against the reference recordings in Tests/Golden (README.md there), plus those in
/// NRL_SHARED's golden/ when it is set.
final class EnvironmentGoldenTests: XCTestCase {
    /// The golden trajectories: every JSON file in Tests/Golden and NRL_SHARED's golden/, whatever its
    /// name (the rule fixtures live in a subfolder).
    func goldenFiles() throws -> [ReferenceFile] {
        try ReferenceData.trajectories()
    }

    /// A recording shipped in the repository, by file name.
    func load(_ file: String) throws -> Data {
        try Data(contentsOf: ReferenceData.shippedTrajectory(file))
    }

    // MARK: The recordings replay bit for bit

    func testEveryGoldenFileReplaysBitForBit() throws {
        let files = try goldenFiles()
        XCTAssertGreaterThanOrEqual(files.filter(\.isShipped).count, 7, "the repository ships 7 golden trajectories in \(ReferenceData.shippedTrajectoryFolder.path)")
        var environments = Set<String>()
        for file in files {
            let report = try GoldenReplay.check(fileAt: file.url)
            let name = file.description
            XCTAssertGreaterThan(report.steps, 0, name)
            XCTAssertNil(report.perStep, "\(name) per-step: \(report.perStep.map(String.init(describing:)) ?? "")")
            XCTAssertNil(report.observationFunction,
                         "\(name) observation function: \(report.observationFunction.map(String.init(describing:)) ?? "")")
            XCTAssertNil(report.freeRun, "\(name) free run: \(report.freeRun.map(String.init(describing:)) ?? "")")
            if file.isShipped { environments.insert(EnvironmentRegistry.builtin.canonicalName(report.envID) ?? report.envID) }
        }
        XCTAssertEqual(environments, Set(EnvironmentRegistry.builtin.ids), "every built-in environment has a recording in the repository")
    }

    // MARK: The traps are real (these fail for a naive implementation)

    /// glibc's pow(v, 2) is not v·v for this v (docs/spec/environments.md §1). If `libmSquare` were optimised into
    /// a product, the release build would fail here.
    func testLibmSquareCallsLibraryPowRatherThanMultiplying() {
        let v = -0.9261120045793674
        XCTAssertEqual(v * v, 0.8576834450260142)
        XCTAssertEqual(libmSquare(v), 0.8576834450260141, "libmSquare must call glibc pow(v, 2.0), not v*v")
        XCTAssertNotEqual(libmSquare(v), v * v)
    }

    /// The golden recordings never hit a case where pow(v, 2) ≠ v·v changes a state, so these
    /// one-step fixtures do: expected values from the spec's equations in CPython with
    /// math.pow (glibc 2.36), a model that also replays every golden file bit for bit.
    /// With v·v the last component would be 0.8928465763015683 (CartPole) and
    /// 5.278484769604914 (Acrobot).
    func testStepsWherePowAndProductDisagree() {
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: 6)
        defer { observation.deallocate() }

        let cartPole = CartPole(rng: Xoshiro256(seed: 0))
        cartPole.reset(state: [-0.12010929882766375, 1.033722033145645, -0.13639107447520166, 1.2249660764136445],
                       observation: observation)
        _ = cartPole.step(1, observation: observation)
        XCTAssertEqual(cartPole.state, [-0.09943485816475084, 1.2303108796787792, -0.11189175294692877, 0.8928465763015684])

        let acrobot = Acrobot(rng: Xoshiro256(seed: 0))
        acrobot.reset(state: [0.1866642748369416, -2.566321767540532, 3.818624277849448, 2.2825611640528916],
                      observation: observation)
        _ = acrobot.step(2, observation: observation)
        XCTAssertEqual(acrobot.state, [0.7767544970608717, -1.8402605675739028, 1.7475937133461281, 5.278484769604913])
    }

    func testCartPoleThetaLimitIsNotRadiansOf12() {
        XCTAssertEqual(CartPole.thetaThreshold, 0.20943951023931953)
        XCTAssertNotEqual(CartPole.thetaThreshold, 12 * (Double.pi / 180), "Python's math.radians(12)")
    }

    // MARK: The checker notices disagreements

    func trajectory(_ file: String) throws -> GoldenTrajectory {
        try JSONDecoder().decode(GoldenTrajectory.self, from: load(file))
    }

    func testOneUlpInARecordedStateFailsTheFreeRunOnly() throws {
        var t = try trajectory("cartpole_pd_truncated.json")
        t.steps[9].state![2] = t.steps[9].state![2].nextUp
        let report = GoldenReplay.check(t)
        XCTAssertFalse(report.agrees)
        XCTAssertNil(report.perStep, "1 ulp is inside the per-step tolerance")
        XCTAssertEqual(report.freeRun?.step, 10)
        XCTAssertEqual(report.freeRun?.field, "state[2]")
        XCTAssertTrue(report.freeRun?.detail.contains("1 ulp") ?? false, report.freeRun?.description ?? "")
    }

    func testOneFloatUlpInAnObservationFailsEveryCheck() throws {
        var t = try trajectory("acrobot_pump_terminated.json")
        t.steps[4].observation[4] = Double(Float(t.steps[4].observation[4]).nextUp)
        let report = GoldenReplay.check(t)
        for d in [report.perStep, report.observationFunction, report.freeRun] {
            XCTAssertEqual(d?.step, 5)
            XCTAssertEqual(d?.field, "observation[4]")
        }
    }

    func testReachingBoundaryBookkeepingIsChecked() throws {
        var t = try trajectory("reaching1d_eps_int_gt.json")
        let boundary = try XCTUnwrap(t.steps.firstIndex { $0.newTrial == true })
        XCTAssertEqual(boundary + 1, 299, "first boundary at the agent's step 299")
        t.steps[boundary].performance = t.steps[boundary].performance!.nextUp
        let report = GoldenReplay.check(t)
        XCTAssertEqual(report.perStep?.step, 299)
        XCTAssertEqual(report.perStep?.field, "performance")
        XCTAssertEqual(report.freeRun?.field, "performance")
        XCTAssertNil(report.observationFunction)
    }

    func testReachingRewardUsesTruncatedGroundTruth() throws {
        var t = try trajectory("reaching1d_eps_int_gt.json")
        t.steps[0].gt! += 1
        XCTAssertEqual(GoldenReplay.check(t).perStep?.field, "gt")
    }

    // MARK: Bad files give clear errors

    func replayError(_ json: String) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nrl-golden-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try Data(json.utf8).write(to: url)
            let report = try GoldenReplay.check(fileAt: url)
            XCTFail("expected an error, got \(report)")
        } catch let error as GoldenReplayError {
            XCTAssertTrue(error.description.hasPrefix(url.path), error.description)
            return error.description
        } catch {
            XCTFail("expected GoldenReplayError, got \(error)")
        }
        return ""
    }

    func testUnknownEnvironmentIsAClearError() {
        let message = replayError(#"{"name":"x","env_id":"Pendulum-v1","start":{"observation":[]},"steps":[]}"#)
        XCTAssertTrue(message.contains("unknown env_id 'Pendulum-v1'"), message)
    }

    func testMalformedFilesAreClearErrors() {
        XCTAssertTrue(replayError("{\"env_id\": ").contains("not valid JSON"))
        XCTAssertTrue(replayError(#"{"env_id":"CartPole-v1","start":{"observation":[0,0,0,0]}}"#).contains("missing key 'steps'"))
        let badAction = #"{"env_id":"CartPole-v1","start":{"state":[0,0,0,0],"observation":[0,0,0,0]},"#
            + #""steps":[{"t":1,"action":2,"observation":[0,0,0,0],"state":[0,0,0,0],"reward":1,"terminated":false,"truncated":false}]}"#
        XCTAssertTrue(replayError(badAction).contains("steps[0].action = 2"))
        let notFloat = #"{"env_id":"CartPole-v1","start":{"state":[0,0,0,0],"observation":[0.1,0,0,0]},"steps":[]}"#
        XCTAssertTrue(replayError(notFloat).contains("start.observation[0] = 0.1 is not a float32 value"))
        let missingGroundTruths = #"{"env_id":"Reaching1D-v0","start":{"position":3,"observation":[\#(Array(repeating: "0", count: 32).joined(separator: ","))]},"steps":[]}"#
        XCTAssertTrue(replayError(missingGroundTruths).contains("ground_truths is missing"))
        let nips = #"{"env_id":"Acrobot-v1","config":{"book_or_nips":"nips"},"start":{"observation":[0,0,0,0,0,0]},"steps":[]}"#
        XCTAssertTrue(replayError(nips).contains("only \"book\" is implemented"))
    }
}

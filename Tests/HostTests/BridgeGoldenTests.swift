import Foundation
import NRLCore
import NRLTools
import TestSupport
import XCTest

/// A bridged gym:CartPole-v1 (Gymnasium itself, in the Python worker) replays every CartPole golden file
/// bit for bit from its reset seed and recorded actions. Python is found through `PythonLocation`; when
/// it is missing the test fails with that message (never skips).
final class BridgeGoldenTests: XCTestCase {
    func testBridgedCartPoleReplaysEveryGoldenFileBitForBit() throws {
        let python = try PythonLocation.find()
        let files = try ReferenceData.trajectories().filter { $0.name.hasPrefix("cartpole") || $0.description.contains("cartpole") }
        var replayed = 0
        for file in files {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file.url)) as! [String: Any]
            guard json["env_id"] as? String == "CartPole-v1" else { continue }
            let start = json["start"] as! [String: Any]
            guard let seed = (start["reset_seed"] as? NSNumber)?.uint64Value else { continue }
            replayed += 1
            let env = try BridgeEnvironment(python: python, family: "gym", id: "CartPole-v1", kwargs: [],
                                            random: Xoshiro256(seed: 0), timeout: 30)
            XCTAssertEqual(env.info.observationSize, 4)
            XCTAssertEqual(env.info.actionCount, 2)
            XCTAssertEqual(env.info.maxEpisodeSteps, 500)
            let obs = ObservationBuffer(count: 4)
            try env.reset(seed: seed, observation: obs.pointer)
            XCTAssertEqual(obs.values, (start["observation"] as! [NSNumber]).map { Float($0.doubleValue) }, "\(file) reset")
            let steps = json["steps"] as! [[String: Any]]
            for (k, step) in steps.enumerated() {
                let outcome = try env.step((step["action"] as! NSNumber).intValue, observation: obs.pointer)
                let expected = (step["observation"] as! [NSNumber]).map { Float($0.doubleValue) }
                XCTAssertEqual(obs.values.map(\.bitPattern), expected.map(\.bitPattern), "\(file) step \(k + 1) observation")
                XCTAssertEqual(outcome.reward.bitPattern, (step["reward"] as! NSNumber).doubleValue.bitPattern, "\(file) step \(k + 1) reward")
                XCTAssertEqual(outcome.terminated, step["terminated"] as? Bool, "\(file) step \(k + 1) terminated")
                XCTAssertEqual(outcome.truncated, step["truncated"] as? Bool, "\(file) step \(k + 1) truncated")
            }
        }
        XCTAssertGreaterThanOrEqual(replayed, 3, "the repository's three CartPole recordings all have a reset seed")
    }

    /// Malformed frames are refused before anything is trusted: an unknown code, an over-long length,
    /// a stream that ends inside a frame, and silence past the deadline.
    func testFrameReaderRefusesMalformedFrames() throws {
        func reader(_ bytes: [UInt8], closeAfter: Bool = true) -> (FrameReader, Int32) {
            var fds: [Int32] = [-1, -1]
            XCTAssertEqual(pipe(&fds), 0)
            _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, bytes.count) }
            if closeAfter { close(fds[1]) }
            return (FrameReader(fd: fds[0]), fds[1])
        }
        let soon = { DispatchTime.now().uptimeNanoseconds + 200_000_000 }
        XCTAssertThrowsError(try reader([7, 0, 0, 0, 0]).0.read(deadline: soon())) {
            XCTAssertEqual(($0 as? FrameError).map { "\($0)" }, "malformed frame: response code 7 (only 0, ok, and 1, error, exist)")
        }
        XCTAssertThrowsError(try reader([0, 0xff, 0xff, 0xff, 0xff]).0.read(deadline: soon())) {
            XCTAssertEqual($0 as? FrameError, .malformed("a frame of 4294967295 bytes, over the 16 MiB limit"))
        }
        XCTAssertThrowsError(try reader([0, 8, 0, 0, 0, 1, 2]).0.read(deadline: soon())) { XCTAssertEqual($0 as? FrameError, .endOfStream) }
        XCTAssertThrowsError(try reader([0, 8, 0], closeAfter: false).0.read(deadline: soon())) { XCTAssertEqual($0 as? FrameError, .timedOut) }
        let (good, _) = reader([0, 2, 0, 0, 0, 9, 8, 1, 0, 0, 0, 0])
        let a = try good.read(deadline: soon())
        XCTAssertEqual(a.code, 0); XCTAssertEqual(Array(a.payload), [9, 8])
        let b = try good.read(deadline: soon())
        XCTAssertEqual(b.code, 1); XCTAssertEqual(b.payload.count, 0)
    }
}

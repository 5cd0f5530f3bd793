import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// Lua snippets run in `setup(ctx)` of a rule on a 4-3-2 network (weights from seed 7; streams: noise
/// `noiseSeed`, actions 2, script 3), after a prelude of helpers, as the API tests write them: a
/// snippet's values are checked in Lua (an `error` fails the test), its bad input by the whole message.
struct SetupSnippets {
    /// Helpers every snippet sees (local to `setup`).
    let prelude: String
    /// The script's file name, in messages.
    let fileName: String
    let folder: URL

    var head: String { "return rule {\n  setup = function(ctx)\n" + prelude + "\n" }
    /// The line of the first statement of a snippet.
    var bodyLine: Int { head.filter { $0 == "\n" }.count + 1 }
    var path: String { folder.appendingPathComponent(fileName).path }

    func script(_ body: String) -> String {
        head + body + "\n  end,\n  act = function() return 1 end,\n  learn = function() end,\n}\n"
    }

    /// Runs `body` after the prelude; returns what it logged.
    @discardableResult
    func run(_ body: String, noiseSeed: UInt64 = 1) throws -> [String: Double] {
        let descriptor = try ScriptRules.descriptor(path: try writeScratchFile(fileName, script(body), in: folder))
        let info = EnvironmentInfo(name: "snippet", observationSize: 4, actionCount: 2, rewardTiming: .immediate)
        let network = Network(shape: NetworkShape(sizes: [4, 3, 2]))
        var weightStream = Xoshiro256(seed: 7)
        network.initializeXavier(&weightStream)
        let context = RuleContext(network: network, environment: info, parameters: Parameters([:]),
                                  noiseRandom: Xoshiro256(seed: noiseSeed), actionRandom: Xoshiro256(seed: 2),
                                  scriptRandom: Xoshiro256(seed: 3))
        return try descriptor.make(context).takeEpisodeMetrics()
    }

    /// Runs `body` and fails with its error, if any.
    func assertRuns(_ body: String, file: StaticString = #filePath, line: UInt = #line) {
        do { try run(body) } catch { XCTFail("\(error)", file: file, line: line) }
    }

    /// Each `(statement, message)`: the one-line statement must fail with exactly "FILE:LINE: message".
    func assertErrors(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (statement, message) in cases {
            do {
                try run(statement)
                XCTFail("\(statement): no error", file: file, line: line)
            } catch let error as ScriptError {
                XCTAssertEqual(error.description, "\(path):\(bodyLine): \(message)", statement, file: file, line: line)
            } catch {
                XCTFail("\(statement): \(error)", file: file, line: line)
            }
        }
    }
}

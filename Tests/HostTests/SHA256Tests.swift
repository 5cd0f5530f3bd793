import Foundation
@testable import NRLCore
import XCTest

/// The content hash of scripts is SHA-256 as `sha256sum` computes it, at the padding boundaries
/// (55, 56, 63, 64, 65 bytes) and for longer, arbitrary bytes.
final class SHA256Tests: XCTestCase {
    func sha256sum(_ bytes: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    func testAgreesWithSha256sum() throws {
        var random = Xoshiro256(seed: 7)
        for length in [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            XCTAssertEqual(SHA256.hex(bytes), try sha256sum(bytes), "\(length) bytes")
        }
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  // FIPS 180-2's example
    }
}

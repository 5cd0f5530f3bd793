import Foundation

/// Runs the built `nrlhost` binary the way a user does and captures what they would see.
public struct CommandResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var output: String { stdout + stderr }
}

public enum NRLHostBinary {
    /// The folder holding the built products (beside the test bundle).
    public static var url: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("nrlhost")
        }
        return Bundle.main.bundleURL.appendingPathComponent("nrlhost")
    }

    /// Starts `nrlhost args…` (with `environment` added to this process's variables); the caller waits or signals.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Runs `nrlhost args…` to the end.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let (process, out, err) = try start(arguments, environment: environment)
        return finish(process, out, err)
    }

    public static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) -> CommandResult {
        // Read before waiting so a full pipe never blocks the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A fresh temporary folder, removed by the caller.
public func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nrlhost-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

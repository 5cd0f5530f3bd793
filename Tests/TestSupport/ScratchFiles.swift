import Foundation

/// Writes `text` as `name` in the test's scratch folder `dir`; returns the file's path.
public func writeScratchFile(_ name: String, _ text: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

import Foundation

/// The project's outside truth lives in ../shared beside the checkout (CI lays it there too);
/// NRL_SHARED overrides the location.
public enum SharedData {
    public static var folder: URL {
        if let path = ProcessInfo.processInfo.environment["NRL_SHARED"] { return URL(fileURLWithPath: path) }
        // Tests/TestSupport/SharedData.swift → package root → ../shared
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }

    public static func url(_ relative: String) -> URL { folder.appendingPathComponent(relative) }

    /// The JSON files in a folder of shared/, sorted; fails loudly when the folder is missing.
    public static func jsonFiles(in relative: String) throws -> [URL] {
        let dir = url(relative)
        guard FileManager.default.fileExists(atPath: dir.path) else {
            throw SharedDataMissing(path: dir.path)
        }
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

public struct SharedDataMissing: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "the shared test data is not at \(path); put shared/ beside the checkout or set NRL_SHARED" }
}

/// The golden README's scale-relative error: max|y − ref| / max|ref| (max|y| when ref is all zero).
public func scaleRelativeError(_ y: [Double], _ ref: [Double]) -> Double {
    precondition(y.count == ref.count, "length \(y.count) vs \(ref.count)")
    let scale = ref.map(abs).max() ?? 0
    let diff = zip(y, ref).map { abs($0 - $1) }.max() ?? 0
    return scale == 0 ? (y.map(abs).max() ?? 0) : diff / scale
}

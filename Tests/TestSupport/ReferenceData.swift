import Foundation

/// One reference file (a golden trajectory or a rule fixture) and where it came from.
public struct ReferenceFile: CustomStringConvertible, Sendable {
    public let url: URL
    /// True for the files shipped in the repository (Tests/Golden); false for those NRL_SHARED adds.
    public let isShipped: Bool

    public var name: String { url.lastPathComponent }
    /// The file name for a shipped file, `NRL_SHARED:<path>` for an added one: unique within one list,
    /// and what test messages name.
    public var description: String { isShipped ? name : "NRL_SHARED:\(url.path)" }
}

/// The reference data the tests check against.
///
/// - The repository's own copy, always: `Tests/Golden/*.json` (trajectories) and `Tests/Golden/rules/*.json`
///   (rule fixtures), found from this file's path, so the tests need nothing beside the checkout.
/// - With `NRL_SHARED=DIR`, also every `*.json` in `DIR/golden` and `DIR/golden/rules` (the shared
///   folder's layout), whatever their names and count, so new reference data is checked without code
///   changes. A missing `DIR` or `DIR/golden` is an error, not a silent skip; `DIR/golden/rules` may be
///   absent.
///
/// Same name in both places: a file whose bytes equal the shipped file's is checked once (it is the same
/// data); a file with other bytes is checked too, as `NRL_SHARED:<path>`, so a newer recording of a
/// shipped file cannot hide behind the old one.
public enum ReferenceData {
    /// Tests/TestSupport/ReferenceData.swift → the package root.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The shipped golden trajectories.
    public static let shippedTrajectoryFolder = packageRoot.appendingPathComponent("Tests/Golden")
    /// The shipped rule fixtures.
    public static let shippedRuleFolder = shippedTrajectoryFolder.appendingPathComponent("rules")

    /// The folder NRL_SHARED names, or nil when it is unset or empty; throws when it names a folder
    /// that does not exist or has no `golden/` inside.
    public static func sharedFolder() throws -> URL? {
        guard let path = ProcessInfo.processInfo.environment["NRL_SHARED"], !path.isEmpty else { return nil }
        let folder = URL(fileURLWithPath: path)
        guard isDirectory(folder) else {
            throw ReferenceDataError("NRL_SHARED=\(path) is not a folder; unset it, or point it at a folder holding golden/ (and golden/rules/)")
        }
        guard isDirectory(folder.appendingPathComponent("golden")) else {
            throw ReferenceDataError("NRL_SHARED=\(path) has no golden/ folder; it must have the shared layout: DIR/golden/*.json, DIR/golden/rules/*.json")
        }
        return folder
    }

    /// Every golden trajectory: the shipped ones, then those in NRL_SHARED's golden/. Logs the names.
    public static func trajectories() throws -> [ReferenceFile] {
        let files = try collect(shipped: shippedTrajectoryFolder, shared: sharedFolder()?.appendingPathComponent("golden"))
        log(files, what: "golden trajectories")
        return files
    }

    /// Every rule fixture: the shipped ones, then those in NRL_SHARED's golden/rules/.
    public static func ruleFixtures() throws -> [ReferenceFile] {
        try collect(shipped: shippedRuleFolder, shared: sharedFolder()?.appendingPathComponent("golden/rules"), sharedMayBeMissing: true)
    }

    /// A trajectory shipped in the repository, by file name (for tests that alter one known recording).
    public static func shippedTrajectory(_ name: String) -> URL { shippedTrajectoryFolder.appendingPathComponent(name) }

    /// Prints the files a test checks, one line, so a run's log shows what NRL_SHARED added.
    public static func log(_ files: [ReferenceFile], what: String) {
        let shipped = files.filter(\.isShipped).map(\.name)
        let added = files.filter { !$0.isShipped }.map(\.url.path)
        print("reference data: \(files.count) \(what): \(shipped.count) shipped (\(shipped.joined(separator: ", ")))"
            + (added.isEmpty ? "" : ", \(added.count) from NRL_SHARED (\(added.joined(separator: ", ")))"))
    }

    /// The `*.json` files of a folder, sorted by name.
    static func jsonFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func collect(shipped: URL, shared: URL?, sharedMayBeMissing: Bool = false) throws -> [ReferenceFile] {
        guard isDirectory(shipped) else {
            throw ReferenceDataError("the shipped reference data is not at \(shipped.path) (it is part of the repository)")
        }
        let own = try jsonFiles(in: shipped)
        var files = own.map { ReferenceFile(url: $0, isShipped: true) }
        guard let shared, !(sharedMayBeMissing && !isDirectory(shared)) else { return files }
        let byName = Dictionary(uniqueKeysWithValues: own.map { ($0.lastPathComponent, $0) })
        var identical = 0
        for url in try jsonFiles(in: shared) {
            if let twin = byName[url.lastPathComponent], try Data(contentsOf: twin) == Data(contentsOf: url) {
                identical += 1
                continue
            }
            files.append(ReferenceFile(url: url, isShipped: false))
        }
        print("reference data: NRL_SHARED \(shared.path): \(files.count - own.count) files added, "
            + "\(identical) identical to shipped files (checked once)")
        return files
    }

    static func isDirectory(_ url: URL) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
    }
}

public struct ReferenceDataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The golden README's scale-relative error: max|y − ref| / max|ref| (max|y| when ref is all zero).
public func scaleRelativeError(_ y: [Double], _ ref: [Double]) -> Double {
    precondition(y.count == ref.count, "length \(y.count) vs \(ref.count)")
    let scale = ref.map(abs).max() ?? 0
    let diff = zip(y, ref).map { abs($0 - $1) }.max() ?? 0
    return scale == 0 ? (y.map(abs).max() ?? 0) : diff / scale
}

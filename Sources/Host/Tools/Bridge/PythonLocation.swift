import Foundation

/// Where the Python that runs the Gymnasium/NeuroGym bridge's worker is (docs/bridge.md, "Setup"):
///
/// 1. `NRLHOST_PYTHON`, when it is set and not empty: that interpreter, which must exist and be executable;
/// 2. else `<repo>/.venv/bin/python`, the virtual environment `make python` creates, where `<repo>` is the
///    nearest folder above this program's executable that holds `Package.swift` (the executable is
///    `<repo>/.build/<config>/nrlhost`, and the test bundle is beside it);
/// 3. else an error that says to run `make python` (in that checkout, when there is one) or to set
///    `NRLHOST_PYTHON`.
public enum PythonLocation {
    public static let environmentVariable = "NRLHOST_PYTHON"
    /// The virtual environment's interpreter, relative to the repository.
    public static let venvPython = ".venv/bin/python"

    public struct NotFound: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The interpreter to start the worker with.
    public static func find() throws -> String {
        try find(environment: ProcessInfo.processInfo.environment, executable: currentExecutable)
    }

    /// The interpreter, given the process environment and the path of the running executable.
    public static func find(environment: [String: String], executable: String) throws -> String {
        let fileManager = FileManager.default
        if let named = environment[environmentVariable], !named.isEmpty {
            var isFolder: ObjCBool = false
            guard fileManager.fileExists(atPath: named, isDirectory: &isFolder), !isFolder.boolValue,
                  fileManager.isExecutableFile(atPath: named) else {
                throw NotFound(description: "\(environmentVariable)=\(named) is not an executable file. Point it at a Python "
                    + "with gymnasium 0.29.1 and neurogym 2.3.1, or unset it and run `make python` in the nrlhost "
                    + "checkout (it creates .venv/ there, which nrlhost then finds).")
            }
            return named
        }
        guard let repository = repository(above: executable) else {
            throw NotFound(description: "no Python for the Gymnasium/NeuroGym bridge: \(executable) is not inside an nrlhost "
                + "checkout, so there is no .venv/ to find. Run `make python` in the checkout (it creates .venv/ with "
                + "the pinned gymnasium and neurogym) and run nrlhost from its .build/, or set \(environmentVariable) "
                + "to a Python with gymnasium 0.29.1 and neurogym 2.3.1.")
        }
        let python = repository.appendingPathComponent(venvPython).path
        guard fileManager.isExecutableFile(atPath: python) else {
            throw NotFound(description: "no Python for the Gymnasium/NeuroGym bridge: \(python) does not exist. Run `make python` "
                + "in \(repository.path) (it creates .venv/ with the pinned gymnasium and neurogym, about a minute), "
                + "or set \(environmentVariable) to a Python with gymnasium 0.29.1 and neurogym 2.3.1.")
        }
        return python
    }

    /// The nearest folder above `executable` that holds `Package.swift`.
    static func repository(above executable: String) -> URL? {
        var folder = URL(fileURLWithPath: executable).standardizedFileURL.deletingLastPathComponent()
        while true {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path || folder.path == "/" { return nil }
            folder = parent
        }
    }

    /// This program's executable, symbolic links resolved (Linux: /proc/self/exe).
    public static var currentExecutable: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let path = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}

import Foundation
import NRLCore

/// Where the Python interpreter with gymnasium and neurogym is: `NRLHOST_PYTHON`, else `<repo>/.venv/bin/python`
/// found from the executable (…/.build/<config>/nrlhost → repo), else an error saying `make python`.
public enum PythonLocation {
    public static func find() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let p = environment["NRLHOST_PYTHON"], !p.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: p) else {
                throw UsageError("NRLHOST_PYTHON=\(p) is not an executable file; point it at a Python with gymnasium and neurogym, or unset it and run `make python`")
            }
            return p
        }
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(".venv/bin/python").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw UsageError("no Python environment for gym:/neurogym: tasks: run `make python` in the repository (it makes .venv/ with gymnasium and neurogym), or set NRLHOST_PYTHON to a Python that has them")
    }
}

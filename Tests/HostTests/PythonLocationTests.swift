import Foundation
import NRLTools
import XCTest

/// `PythonLocation`: NRLHOST_PYTHON, else the checkout's .venv/bin/python above the executable, else a message
/// that names `make python`.
final class PythonLocationTests: XCTestCase {
    private var folder: URL!

    override func setUp() {
        folder = temporaryFolder()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    private func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nrlhost-python-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A checkout: Package.swift, and .venv/bin/python when `venv`; returns where its debug build's nrlhost is.
    private func checkout(venv: Bool) throws -> String {
        try Data().write(to: folder.appendingPathComponent("Package.swift"))
        let build = folder.appendingPathComponent(".build/x86_64-unknown-linux-gnu/debug")
        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        if venv {
            let bin = folder.appendingPathComponent(".venv/bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let python = bin.appendingPathComponent("python")
            try Data("#!/bin/sh\n".utf8).write(to: python)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        }
        return build.appendingPathComponent("nrlhost").path
    }

    private func message(_ body: () throws -> String) -> String {
        do {
            let found = try body()
            XCTFail("found \(found), expected an error")
            return ""
        } catch {
            return String(describing: error)
        }
    }

    func testTheCheckoutsVenvAboveTheExecutable() throws {
        let executable = try checkout(venv: true)
        let found = try PythonLocation.find(environment: [:], executable: executable)
        XCTAssertEqual(found, folder.appendingPathComponent(".venv/bin/python").standardizedFileURL.path)
    }

    func testTheEnvironmentVariableComesFirst() throws {
        let executable = try checkout(venv: true)
        XCTAssertEqual(try PythonLocation.find(environment: ["NRLHOST_PYTHON": "/bin/sh"], executable: executable), "/bin/sh")
        // Empty counts as unset.
        XCTAssertEqual(try PythonLocation.find(environment: ["NRLHOST_PYTHON": ""], executable: executable),
                       folder.appendingPathComponent(".venv/bin/python").standardizedFileURL.path)
        let missing = folder.appendingPathComponent("no-such-python").path
        let text = message { try PythonLocation.find(environment: ["NRLHOST_PYTHON": missing], executable: executable) }
        XCTAssertTrue(text.contains("NRLHOST_PYTHON=\(missing) is not an executable file"), text)
        XCTAssertTrue(text.contains("make python"), text)
        let notExecutable = folder.appendingPathComponent("Package.swift").path
        XCTAssertTrue(message { try PythonLocation.find(environment: ["NRLHOST_PYTHON": notExecutable], executable: executable) }
            .contains("is not an executable file"))
    }

    func testNoVenvSaysToRunMakePython() throws {
        let executable = try checkout(venv: false)
        let text = message { try PythonLocation.find(environment: [:], executable: executable) }
        let repository = folder.standardizedFileURL.path
        XCTAssertTrue(text.contains("\(repository)/.venv/bin/python does not exist"), text)
        XCTAssertTrue(text.contains("Run `make python` in \(repository)"), text)
        XCTAssertTrue(text.contains("NRLHOST_PYTHON"), text)
    }

    func testOutsideACheckoutSaysToRunMakePython() {
        let text = message { try PythonLocation.find(environment: [:], executable: folder.appendingPathComponent("nrlhost").path) }
        XCTAssertTrue(text.contains("not inside an nrlhost checkout"), text)
        XCTAssertTrue(text.contains("make python"), text)
    }

    /// This checkout's own: the test bundle is in .build/, so the locator finds `make python`'s .venv/ (which
    /// `make test` creates) or NRLHOST_PYTHON. No skipping when it is missing: the test fails with the message.
    func testThisCheckoutHasAPython() throws {
        let python = try PythonLocation.find()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: python), python)
    }
}

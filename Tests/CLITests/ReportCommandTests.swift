import Foundation
import TestSupport
import XCTest

/// `nrlhost report` as a user runs it.
final class ReportCommandTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let tiny = """
    return experiment {
      name = "tiny",
      rules = { "nrl", "bp" },
      envs = { "cartpole" },
      seeds = { 1, 2 },
      episodes = 60,
      groups = {
        { name = "fig1" },
        { name = "depth", layers = { 2 } },
      },
    }

    """

    func makeStore() throws -> String {
        let experiment = dir.appendingPathComponent("tiny.lua")
        try Self.tiny.write(to: experiment, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("tiny.sqlite").path
        let r = try NRLHostBinary.run(["compare", experiment.path, "--store", store, "--jobs", "1"])
        XCTAssertEqual(r.status, 0, r.output)
        return store
    }

    func testTerminalTableAndFiles() throws {
        let store = try makeStore()
        let t = try NRLHostBinary.run(["report", store])
        XCTAssertEqual(t.status, 0, t.output)
        XCTAssertTrue(t.stdout.contains("tiny: 8 runs, 8 completed, 0 failed"), t.stdout)
        XCTAssertTrue(t.stdout.contains("final performance (mean ± sd)"), t.stdout)
        XCTAssertTrue(t.stdout.contains("1x64") && t.stdout.contains("2x64"), t.stdout)
        XCTAssertFalse(t.stdout.contains("gradient alignment"), "diagnostics are off on the terminal unless asked")

        let html = dir.appendingPathComponent("out/report.html"), md = dir.appendingPathComponent("docs/report.md")
        let svg = dir.appendingPathComponent("docs/figures")
        let f = try NRLHostBinary.run(["report", store, "--html", html.path, "--md", md.path, "--svg", svg.path, "--no-diagnostics"])
        XCTAssertEqual(f.status, 0, f.output)
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertFalse(page.contains("id=\"diagnostics\""))
        let files = try FileManager.default.contentsOfDirectory(atPath: svg.path).sorted()
        XCTAssertEqual(files, ["curves-depth-per-run-2l.svg", "curves-fig1-per-run-1l.svg", "depth-per-run.svg",
                               "profiles-depth-per-run-2l.svg", "profiles-fig1-per-run-1l.svg"])
        XCTAssertTrue(try String(contentsOf: md, encoding: .utf8).contains("](figures/profiles-fig1-per-run-1l.svg)"))
        let markdown = try String(contentsOf: md, encoding: .utf8)
        XCTAssertTrue(markdown.contains("](figures/curves-fig1-per-run-1l.svg)"), markdown)
        XCTAssertTrue(markdown.contains("| fig1 | per-run | cartpole | 1x64 | nrl |"), markdown)
    }

    func testMissingCorruptAndForeignStores() throws {
        let missing = try NRLHostBinary.run(["report", dir.appendingPathComponent("nope.sqlite").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no store at"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nope.sqlite").path), "nothing is created")

        let corrupt = dir.appendingPathComponent("corrupt.sqlite")
        try Data("not a database".utf8).write(to: corrupt)
        let c = try NRLHostBinary.run(["report", corrupt.path, "--html", dir.appendingPathComponent("x.html").path])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("not a readable SQLite database"), c.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.html").path))

        let foreign = dir.appendingPathComponent("foreign.sqlite").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [foreign, "CREATE TABLE people (name TEXT);"]
        try process.run()
        process.waitUntilExit()
        let f = try NRLHostBinary.run(["report", foreign])
        XCTAssertEqual(f.status, 1)
        XCTAssertTrue(f.stderr.contains("not an nrlhost results store"), f.stderr)

        let band = try NRLHostBinary.run(["report", foreign, "--band", "quartiles"])
        XCTAssertNotEqual(band.status, 0)
        XCTAssertTrue(band.stderr.contains("--band is minmax or sd"), band.stderr)
    }
}

import Foundation
import TestSupport
import XCTest

/// Every function docs/lua-api.md lists in its "At a glance" table has a test: some file under Tests/
/// calls it. The table is read from the repository, so a function added to the docs without a test
/// fails here, named. (tools/check_editor_defs.py checks the same table against the editor definitions.)
///
/// What counts as a call, by the entry's form:
/// - `rule { … }`: `rule {` (or `rule{`);
/// - `m:forward(…)`, `x:scale(c)`: `:forward(`, `:scale(`;
/// - `nrl.pow(x, y)`, `nrl.version`, `ctx.env`: the name with its prefix, `nrl.pow`, `ctx.env`;
/// - `log(…)`, `tostring(v)`, `load(…)`: `log(` not preceded by a name, a `.` or a `:`;
/// - entries no text search finds reliably (`print` is a Swift function too; `v[i]`, `#v`) name the test
///   that covers them in `coveredByNamedTest`, and that test must exist.
final class DocumentedFunctionTests: XCTestCase {
    static let root = ReferenceData.packageRoot
    static let docPath = "docs/lua-api.md"

    static let coveredByNamedTest: [String: String] = [
        "print(…)": "testPrintGoesToStandardErrorAndIsCapped",
        "v[i]": "testVectorIndexingLengthAndText",
        "v[i] = x": "testVectorIndexingLengthAndText",
        "#v": "testVectorIndexingLengthAndText",
    ]

    /// The code spans of the first column of the At-a-glance table, group rows skipped.
    static func glanceEntries(_ text: String) -> [String] {
        guard let start = text.range(of: "\n## At a glance\n") else { return [] }
        let rest = text[start.upperBound...]
        let body = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        let code = try! NSRegularExpression(pattern: "`([^`]+)`")
        var entries: [String] = []
        for line in body.split(separator: "\n").map(String.init) {
            guard line.hasPrefix("|"), !line.hasPrefix("|---"), !line.hasPrefix("| function ") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cells.count > 2 else { continue }
            let first = cells[1].trimmingCharacters(in: .whitespaces)
            if first.hasPrefix("**") { continue }
            let range = NSRange(first.startIndex..., in: first)
            for m in code.matches(in: first, range: range) {
                entries.append(String(first[Range(m.range(at: 1), in: first)!]))
            }
        }
        return entries
    }

    /// The regular expression a test file must match to call `entry`, or nil for a form this test does
    /// not know (a failure: teach it).
    static func pattern(for entry: String) -> String? {
        func match(_ p: String) -> [String]? {
            let re = try! NSRegularExpression(pattern: p)
            guard let m = re.firstMatch(in: entry, range: NSRange(entry.startIndex..., in: entry)) else { return nil }
            return (1..<m.numberOfRanges).map { String(entry[Range(m.range(at: $0), in: entry)!]) }
        }
        if let g = match(#"^(\w+)\s*\{"#) { return #"(?<![\w.:])"# + g[0] + #"\s*\{"# }
        if let g = match(#"^\w+:(\w+)\("#) { return ":" + g[0] + #"\("# }
        if let g = match(#"^(\w+)\.(\w+)(\(|$)"#) { return #"\b"# + g[0] + #"\."# + g[1] + #"\b"# }
        if let g = match(#"^(\w+)\("#) { return #"(?<![\w.:])"# + g[0] + #"\("# }
        return nil
    }

    /// Every .swift and .lua file under Tests/ but this one.
    static func testSources() throws -> [(name: String, text: String)] {
        let tests = root.appendingPathComponent("Tests")
        guard let walk = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil) else { return [] }
        var files: [(String, String)] = []
        for case let url as URL in walk where ["swift", "lua"].contains(url.pathExtension) {
            if url.lastPathComponent == "DocumentedFunctionTests.swift" { continue }
            files.append((url.path.replacingOccurrences(of: root.path + "/", with: ""), try String(contentsOf: url, encoding: .utf8)))
        }
        return files
    }

    func testTheTableIsRead() throws {
        let entries = Self.glanceEntries(try String(contentsOf: Self.root.appendingPathComponent(Self.docPath), encoding: .utf8))
        for known in ["rule { … }", "m:forward(obs, pass [, opts])", "x:clip_norm(max)", "nrl.version", "ctx.signals",
                      "self.rng", "r:integer(m [, n])", "math.pow(x, y)", "#v"] {
            XCTAssertTrue(entries.contains(known), "\(known) not found in the At-a-glance table; found \(entries)")
        }
        XCTAssertGreaterThan(entries.count, 80)
        XCTAssertEqual(Set(Self.coveredByNamedTest.keys).subtracting(entries), [], "coveredByNamedTest names entries the table no longer has")
    }

    func testEveryDocumentedFunctionIsCalledByATest() throws {
        let entries = Self.glanceEntries(try String(contentsOf: Self.root.appendingPathComponent(Self.docPath), encoding: .utf8))
        XCTAssertFalse(entries.isEmpty, "no At-a-glance table in \(Self.docPath)")
        let sources = try Self.testSources()
        XCTAssertGreaterThan(sources.count, 10, "the test sources were not found under \(Self.root.path)/Tests")
        var missing: [String] = [], unknown: [String] = []
        for entry in entries {
            let pattern: String
            if let test = Self.coveredByNamedTest[entry] {
                pattern = #"func "# + test + #"\("#
            } else if let p = Self.pattern(for: entry) {
                pattern = p
            } else {
                unknown.append(entry)
                continue
            }
            let re = try NSRegularExpression(pattern: pattern)
            let called = sources.contains { re.firstMatch(in: $0.text, range: NSRange($0.text.startIndex..., in: $0.text)) != nil }
            if !called { missing.append("`\(entry)` (no file under Tests/ matches \(pattern))") }
        }
        XCTAssertEqual(unknown, [], "At-a-glance entries of a form this test cannot search for; teach DocumentedFunctionTests.pattern(for:)")
        XCTAssertEqual(missing, [], "documented functions no test calls:\n" + missing.joined(separator: "\n"))
    }
}

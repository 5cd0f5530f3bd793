import Foundation
import TestSupport
import XCTest

/// What a hostile (or careless) script can do to what nrlhost writes — run folders, stores, exports,
/// reports, grade tables and files — through the built binary: no finished episode lost, valid JSON
/// for any number, no path outside the intended folder, RFC 4180 CSV, capped messages, no terminal
/// escapes, and a verdict for a crashed worker.
final class HostileOutputTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    func sql(_ store: String, _ query: String) throws -> [String] { try sqliteRows(store, query) }

    func lines(_ url: URL) -> [Substring] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// Waits until `condition` holds (true) or `seconds` pass (false).
    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// A rule that finishes five short episodes, then hangs in the sixth (with no instruction limit,
    /// only the clock — or a kill — stops it).
    static let hangsInEpisode6 = """
        return rule {
          name = "hangs",
          act = function(ctx, obs)
            if ctx.episode == 6 then while true do end end
            return 1
          end,
          learn = function() end,
        }

        """

    // MARK: 4. No finished episode is ever lost

    /// SIGKILL during a hang after five finished episodes: all five are in episodes.csv.
    func testKilledRunKeepsEveryFinishedEpisode() throws {
        let rule = try write("hangs.lua", Self.hangsInEpisode6)
        let out = dir.appendingPathComponent("out")
        let (process, o, e) = try NRLHostBinary.start(["run", rule, "--env", "cartpole", "--episodes", "50", "--out", out.path,
                                                      "--max-instructions=0", "--max-seconds=60"])
        let csv = out.appendingPathComponent("episodes.csv")
        let reached = wait(30) { lines(csv).count >= 6 }
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        _ = NRLHostBinary.finish(process, o, e)
        XCTAssertTrue(reached, "the five finished episodes never reached episodes.csv: \(lines(csv))")
        let rows = lines(csv)
        XCTAssertEqual(rows.first, "episode,return,length")
        XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" }, ["1", "2", "3", "4", "5"])
    }

    /// SIGKILL of a sweep during a hang: the run's five finished episodes are in the store (the run
    /// still "running"); the same command again redoes that run from scratch, replacing them.
    func testKilledSweepKeepsEveryFinishedEpisodeAndResumesWithoutDuplicates() throws {
        let rule = try write("hangs.lua", Self.hangsInEpisode6)
        let experiment = try write("hang.lua", """
            return experiment { name = "hang", rules = { "\(rule)" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 50 }

            """)
        let store = dir.appendingPathComponent("hang.sqlite").path
        let arguments = ["compare", experiment, "--store", store, "--jobs", "1", "--max-instructions=0", "--max-seconds=4"]
        let (process, o, e) = try NRLHostBinary.start(arguments)
        let reached = wait(30) { (try? sql(store, "SELECT count(*) FROM episodes"))?.first == "5" }
        kill(process.processIdentifier, SIGKILL)
        _ = NRLHostBinary.finish(process, o, e)
        XCTAssertTrue(reached, "the five finished episodes never reached the store")
        XCTAssertEqual(try sql(store, "SELECT episode FROM episodes ORDER BY episode"), ["1", "2", "3", "4", "5"])
        XCTAssertEqual(try sql(store, "SELECT status FROM runs"), ["running"])

        let again = try NRLHostBinary.run(arguments)
        XCTAssertEqual(again.status, 1, again.output)
        XCTAssertEqual(try sql(store, "SELECT status FROM runs"), ["failed"])
        XCTAssertEqual(try sql(store, "SELECT episode FROM episodes ORDER BY episode"), ["1", "2", "3", "4", "5"],
                       "the rerun replaces the partial episodes, never duplicates them")
    }

    // MARK: 5. Non-finite numbers

    /// Rewards of 1e308 twice: the return is +infinity. A rule that logs ±inf and NaN.
    static let infiniteEnvironment = """
        return env {
          name = "overflow", observations = 1, actions = 2, max_steps = 10,
          reset = function(self, options) self.t = 0 return { 0 } end,
          step = function(self, action)
            self.t = self.t + 1
            return { 0 }, 1e308, self.t >= 2, false
          end,
        }

        """

    static let logsNonFinite = """
        return rule {
          name = "nonfinite",
          act = function(ctx, obs)
            log("big", math.huge) log("small", -math.huge) log("nothing", 0/0)
            return 1
          end,
          learn = function() end,
        }

        """

    /// JSON parsed strictly (Foundation refuses bare inf/NaN).
    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], "\(url.path) is a JSON object")
    }

    func testInfiniteReturnGivesTheDocumentedMessageAndValidJSON() throws {
        let env = try write("overflow.lua", Self.infiniteEnvironment)
        let out = dir.appendingPathComponent("out")
        let r = try NRLHostBinary.run(["run", "bp", "--env", env, "--episodes", "5", "--out", out.path])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("the return became NaN or infinite in episode 1"), r.stderr)
        XCTAssertFalse(r.stderr.contains("EncodingError"), r.stderr)
        let record = try json(out.appendingPathComponent("run.json"))
        let outcome = try XCTUnwrap(record["outcome"] as? [String: Any])
        XCTAssertEqual(outcome["status"] as? String, "failed")
        XCTAssertEqual(outcome["finalPerformance"] as? String, "inf")
        XCTAssertEqual(lines(out.appendingPathComponent("episodes.csv")), ["episode,return,length", "1,inf,2"])

        // The same in a sweep: the store, the export and the report.
        let experiment = try write("overflow-exp.lua", """
            return experiment { name = "overflow", rules = { "bp" }, envs = { "\(env)" }, seeds = { 1 }, episodes = 5 }

            """)
        let store = dir.appendingPathComponent("o.sqlite").path
        let c = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(c.status, 1, c.output)
        XCTAssertTrue(c.stdout.contains("the return became NaN or infinite in episode 1"), c.stdout)
        XCTAssertEqual(try sql(store, "SELECT status, final_performance FROM runs"), ["failed|Inf"])
        let csv = dir.appendingPathComponent("csv")
        XCTAssertEqual(try NRLHostBinary.run(["export", store, "--csv", csv.path]).status, 0)
        XCTAssertEqual(lines(csv.appendingPathComponent("episodes.csv")), ["run_id,episode,return,length", "1,1,inf,2"])
        let runs = parseCSV(try String(contentsOf: csv.appendingPathComponent("runs.csv"), encoding: .utf8))
        let column = try XCTUnwrap(runs[0].firstIndex(of: "final_performance"))
        XCTAssertEqual(runs[1][column], "inf", "\(runs)")
        let report = try NRLHostBinary.run(["report", store, "--md", dir.appendingPathComponent("r.md").path, "--no-diagnostics"])
        XCTAssertEqual(report.status, 0, report.output)
    }

    func testNonFiniteMetricsAreWrittenAsInfAndNan() throws {
        let rule = try write("nonfinite.lua", Self.logsNonFinite)
        let out = dir.appendingPathComponent("out")
        let r = try NRLHostBinary.run(["run", rule, "--env", "cartpole", "--episodes", "2", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(lines(out.appendingPathComponent("metrics.csv")),
                       ["episode,name,value", "1,big,inf", "1,nothing,nan", "1,small,-inf", "2,big,inf", "2,nothing,nan", "2,small,-inf"])
        XCTAssertEqual((try json(out.appendingPathComponent("run.json"))["outcome"] as? [String: Any])?["status"] as? String, "completed")
    }

    /// A graded submission on an environment whose return overflows: an error verdict with the
    /// documented message, and a JSON file any parser reads.
    func testGradingAnInfiniteReturnGivesValidJSON() throws {
        let env = try write("overflow.lua", Self.infiniteEnvironment)
        let assignment = try write("a.lua", """
            return assignment {
              name = "overflow", title = "t", env = "\(env)", hidden = 4, episodes = 5,
              seeds = { practice = { 1 }, grading = { 2 } },
              limits = { instructions = 1000000, memory_mb = 16, seconds = 10 },
              scoring = { metric = "final", baseline = 0, pass = 1, full = 2 },
            }

            """)
        let submission = try write("s.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let output = dir.appendingPathComponent("g.json")
        let r = try NRLHostBinary.run(["grade", assignment, submission, "--json", output.path])
        XCTAssertEqual(r.status, 0, r.output)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]])
        XCTAssertEqual(results.first?["status"] as? String, "error")
        XCTAssertTrue((results.first?["reason"] as? String ?? "").contains("the return became NaN or infinite in episode 1"), "\(results)")
    }

    // MARK: 7. Paths

    /// Runs `nrlhost args…` in `folder`.
    func run(in folder: URL, _ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = NRLHostBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return NRLHostBinary.finish(process, out, err)
    }

    /// Every file under `folder`, relative.
    func files(under folder: URL) -> Set<String> {
        let base = folder.standardizedFileURL.path
        var found = Set<String>()
        let e = FileManager.default.enumerator(atPath: base)
        while let p = e?.nextObject() as? String { found.insert(p) }
        return found
    }

    func testExperimentNamesNeverBecomePathsOutsideRuns() throws {
        let work = dir.appendingPathComponent("a/b/c/d/e")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let names: [(String, String)] = [
            ("../../../../x", "must not contain '/'"), ("/tmp/nrlhost-hostile-x", "must not contain '/'"), ("..", "must not start with '.'"),
            (".hidden", "must not start with '.'"), ("a\\\\b", "must not contain '/' or"), ("", "is empty"),
            ("bell\\u{07}\\u{1B}[2J", "must not contain control characters"), ("new\\nline", "must not contain control characters"),
            (String(repeating: "n", count: 300), "is longer than 100 bytes"),
        ]
        let before = files(under: dir)
        for (k, (name, message)) in names.enumerated() {
            let experiment = work.appendingPathComponent("e\(k).lua")
            try "return experiment { name = \"\(name)\", rules = { \"bp\" }, envs = { \"cartpole\" }, seeds = { 1 }, episodes = 2 }\n"
                .write(to: experiment, atomically: true, encoding: .utf8)
            let r = try run(in: work, ["compare", experiment.path])
            XCTAssertEqual(r.status, 1, "\(name.debugDescription): \(r.output)")
            XCTAssertTrue(r.stderr.contains("\(experiment.path):1:"), "file:line expected: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "«\(message)» expected for \(name.debugDescription): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("\u{1B}"), "no escape reaches the terminal")
        }
        let written = files(under: dir).subtracting(before).filter { !$0.hasSuffix(".lua") }
        XCTAssertEqual(written, [], "nothing written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/nrlhost-hostile-x.sqlite"))
        // An ordinary name still makes runs/<name>.sqlite in the working folder.
        let good = work.appendingPathComponent("good.lua")
        try "return experiment { name = \"my sweep-1\", rules = { \"bp\" }, envs = { \"cartpole\" }, seeds = { 1 }, episodes = 2 }\n"
            .write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(in: work, ["compare", good.path]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("runs/my sweep-1.sqlite").path))
    }

    /// Group names and labels become figure file names only through a file-safe, bounded form.
    func testGroupNamesAndLabelsStayInsideTheFigureFolder() throws {
        let long = String(repeating: "g", count: 5000)
        let experiment = try write("groups.lua", """
            return experiment {
              name = "groups", envs = { "cartpole" }, seeds = { 1, 2 }, episodes = 3,
              groups = {
                { name = "../../../escape", rules = { "bp", { "bp", label = "../../x\\u{1B}[2J", set = { lr = 0.02 } } } },
                { name = "\(long)", rules = { "bp" } },
                { name = "/etc/passwd", rules = { "bp" } },
              },
            }

            """)
        let store = dir.appendingPathComponent("g.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["compare", experiment, "--store", store]).status, 0)
        let figures = dir.appendingPathComponent("figures")
        let r = try NRLHostBinary.run(["report", store, "--svg", figures.path, "--no-diagnostics"])
        XCTAssertEqual(r.status, 0, r.output)
        let made = try FileManager.default.contentsOfDirectory(atPath: figures.path)
        XCTAssertEqual(made.count, 6, "a learning-curve and a performance-profile figure per group: \(made)")
        for name in made {
            XCTAssertTrue(name.hasSuffix(".svg") && !name.contains("/") && !name.hasPrefix(".") && name.utf8.count <= 120, name)
        }
        let terminal = try NRLHostBinary.run(["report", store])
        XCTAssertEqual(terminal.status, 0, terminal.output)
        XCTAssertFalse(terminal.output.contains("\u{1B}"), "no escape reaches the terminal")
    }

    // MARK: 8. Output hygiene

    /// A tiny RFC 4180 reader: records of fields.
    func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? { if let p = pending { pending = nil; return p }; return scalars.next() }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let d = next() {
                        if d == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = d }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\n" {
                record.append(field); records.append(record); record = []; field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    /// Labels with a carriage return, a CRLF (one grapheme), a comma inside a cluster and quotes
    /// survive `export` whole.
    func testExportQuotesEveryFieldThatNeedsIt() throws {
        let labels = ["cr\\ronly", "crlf\\r\\nlabel", "comma,\\u{301} in a cluster", "say \\\"hi\\\""]
        let rules = labels.enumerated().map { k, l in "{ \"bp\", label = \"\(l)\", set = { lr = 0.0\(k + 1) } }" }
        let experiment = try write("labels.lua", """
            return experiment { name = "labels", rules = { \(rules.joined(separator: ", ")) }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2 }

            """)
        let store = dir.appendingPathComponent("l.sqlite").path
        let c = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(c.status, 0, c.output)
        let csv = dir.appendingPathComponent("csv")
        XCTAssertEqual(try NRLHostBinary.run(["export", store, "--csv", csv.path]).status, 0)
        let records = parseCSV(try String(contentsOf: csv.appendingPathComponent("runs.csv"), encoding: .utf8))
        XCTAssertEqual(records.count, 5)
        XCTAssertTrue(records.allSatisfy { $0.count == records[0].count }, "\(records)")
        let column = try XCTUnwrap(records[0].firstIndex(of: "label"))
        XCTAssertEqual(Set(records.dropFirst().map { $0[column] }),
                       Set(["cr\ronly", "crlf\r\nlabel", "comma,\u{301} in a cluster", "say \"hi\""]))
    }

    /// Metric names are checked per Unicode scalar and bounded in bytes.
    func testMetricNamesAreCheckedByScalarAndBytes() throws {
        let bad = [",\\u{301}", "a\\r\\nb", "tab\\tname", "quote\\\"", String(repeating: "é", count: 40), "",
                   "x\\u{1B}[2J", String(repeating: "m", count: 65)]
        for (k, name) in bad.enumerated() {
            let rule = try write("bad\(k).lua", "return rule {\n  act = function(ctx, obs)\n    log(\"\(name)\", 1)\n    return 1\n  end,\n  learn = function() end,\n}\n")
            let r = try NRLHostBinary.run(["run", rule, "--env", "cartpole", "--episodes", "1", "--out", dir.appendingPathComponent("o\(k)").path])
            XCTAssertEqual(r.status, 1, "\(name.debugDescription): \(r.output)")
            XCTAssertTrue(r.stderr.contains("\(rule):3:"), r.stderr)
            XCTAssertTrue(r.stderr.contains("at most 64 bytes"), r.stderr)
            XCTAssertFalse(r.stderr.contains("\u{1B}"), r.stderr)
        }
        // A 200 KB name: refused with a short message.
        let huge = try write("huge.lua", "return rule {\n  act = function(ctx, obs)\n    log(string.rep('a', 200000), 1)\n    return 1\n  end,\n  learn = function() end,\n}\n")
        let h = try NRLHostBinary.run(["run", huge, "--env", "cartpole", "--episodes", "1"])
        XCTAssertEqual(h.status, 1, h.stderr)
        XCTAssertLessThan(h.stderr.utf8.count, 2000)
        // Names that are fine.
        let good = try write("good.lua", "return rule {\n  act = function(ctx, obs)\n    log('loss', 1) log('δ_1.x', 2) log('e\\u{301}t\\u{e9}', 3)\n    return 1\n  end,\n  learn = function() end,\n}\n")
        let out = dir.appendingPathComponent("good")
        let g = try NRLHostBinary.run(["run", good, "--env", "cartpole", "--episodes", "1", "--out", out.path])
        XCTAssertEqual(g.status, 0, g.output)
        XCTAssertEqual(lines(out.appendingPathComponent("metrics.csv")).count, 4)
    }

    /// A 20 MB error message is cut to a few KB everywhere it lands, and marked as cut.
    func testHugeErrorMessagesAreCapped() throws {
        let rule = try write("huge.lua", """
            return rule {
              name = "huge",
              act = function(ctx, obs)
                error(string.rep("x", 20000000))
              end,
              learn = function() end,
            }

            """)
        let out = dir.appendingPathComponent("out")
        let r = try NRLHostBinary.run(["run", rule, "--env", "cartpole", "--episodes", "2", "--out", out.path, "--max-memory", "256"])
        XCTAssertEqual(r.status, 1)
        XCTAssertLessThan(r.stderr.utf8.count, 10_000)
        XCTAssertTrue(r.stderr.contains("\(rule):4:"), String(r.stderr.prefix(300)))
        XCTAssertTrue(r.stderr.contains("[cut: "), String(r.stderr.suffix(300)))
        let message = (try json(out.appendingPathComponent("run.json"))["outcome"] as? [String: Any])?["message"] as? String ?? ""
        XCTAssertLessThan(message.utf8.count, 5000)
        XCTAssertTrue(message.contains("[cut: "))

        let experiment = try write("huge-exp.lua", """
            return experiment { name = "huge", rules = { "\(rule)" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2 }

            """)
        let store = dir.appendingPathComponent("h.sqlite").path
        let c = try NRLHostBinary.run(["compare", experiment, "--store", store, "--max-memory", "256"])
        XCTAssertEqual(c.status, 1)
        XCTAssertLessThan(c.output.utf8.count, 20_000)
        XCTAssertLessThan(Int(try sql(store, "SELECT length(message) FROM runs").first ?? "0") ?? 0, 5000)
    }

    /// A submission's error full of terminal escapes cannot rewrite the grader's table.
    func testGradeTableShowsEscapesInsteadOfObeyingThem() throws {
        let assignment = try write("a.lua", GradeTests.hostileAssignment)
        let forger = try write("forger.lua", """
            return rule {
              act = function(ctx, obs)
                error("\\r\\27[1A\\27[2K" .. "forger.lua  passed  100.0\\n\\27]0;owned\\7" .. string.rep("y", 30000))
              end,
              learn = function() end,
            }

            """)
        let output = dir.appendingPathComponent("g.json")
        let r = try NRLHostBinary.run(["grade", assignment, forger, "--json", output.path])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertFalse(r.output.contains("\u{1B}"), "an escape reached the terminal")
        XCTAssertFalse(r.output.contains("\r"), "a carriage return reached the terminal")
        XCTAssertTrue(r.stdout.contains("\\x1B[1A"), r.stdout)
        let row = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("forger.lua") && $0.contains("error") })
        XCTAssertTrue(row.contains("[cut: "), String(row))
        let data = try Data(contentsOf: output)
        XCTAssertLessThan(data.count, 20_000)
    }

    /// A script's own print cannot move the cursor or forge lines either.
    func testPrintedEscapesAreShownNotObeyed() throws {
        let rule = try write("printer.lua", """
            return rule {
              setup = function() print("\\r\\27[1A\\27[2Kpassed 100.0\\7", "tab\\tok") end,
              act = function() return 1 end,
              learn = function() end,
            }

            """)
        let r = try NRLHostBinary.run(["run", rule, "--env", "cartpole", "--episodes", "1"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "an escape reached the terminal")
        XCTAssertFalse(r.stderr.contains("\r"), "a carriage return reached the terminal")
        XCTAssertTrue(r.stderr.contains("\\x0D\\x1B[1A\\x1B[2Kpassed 100.0\\x07\ttab\tok\n"), r.stderr)
    }

    // MARK: 12. Crashes in grading

    /// The pids of `parent`'s children whose command line contains `marker`.
    func children(of parent: Int32, containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.range(of: ")", options: .backwards) else { return false }
            let fields = stat[close.upperBound...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent else { return false }
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(marker)
        }
    }

    /// A worker that dies of a signal mid-run: the verdict names the signal and where grading was;
    /// the grader goes on and writes its files.
    func testACrashedWorkerIsReportedWithItsSignalAndPlace() throws {
        let assignment = try write("a.lua", """
            return assignment {
              name = "crash", title = "t", env = "cartpole", hidden = 4, episodes = 20,
              seeds = { practice = { 1 }, grading = { 2, 3 } },
              limits = { instructions = 2000000000, memory_mb = 64, seconds = 60 },
              scoring = { metric = "final", baseline = 0, pass = 400, full = 500 },
            }

            """)
        let slow = try write("slow.lua", """
            return rule {
              act = function(ctx, obs)
                if ctx.episode == 3 then for i = 1, 1e9 do end end
                return 1
              end,
              learn = function() end,
            }

            """)
        let honest = try write("honest.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let output = dir.appendingPathComponent("g.json")
        let (process, o, e) = try NRLHostBinary.start(["grade", assignment, slow, honest, "--jobs", "1", "--json", output.path])
        var worker: Int32?
        XCTAssertTrue(wait(30) { worker = children(of: process.processIdentifier, containing: "slow.lua").first; return worker != nil })
        usleep(1_500_000)  // well inside episode 3
        if let worker { kill(worker, SIGSEGV) }
        let r = NRLHostBinary.finish(process, o, e)
        XCTAssertEqual(r.status, 0, r.output)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]])
        XCTAssertEqual(results.count, 2)
        let reason = results.first?["reason"] as? String ?? ""
        XCTAssertEqual(results.first?["status"] as? String, "error")
        XCTAssertTrue(reason.contains("crashed with SIGSEGV"), reason)
        XCTAssertTrue(reason.contains("while grading cartpole, run 1 of 2, episode 3"), reason)
        XCTAssertEqual(results.last?["status"] as? String, "failed", "the next submission is graded")
    }

    /// An assignment whose loading crashes (here: killed by a signal while it loads) stops the
    /// grader with a message and exit 1, not a crash of the grader.
    func testAnAssignmentThatCrashesItsLoaderDoesNotCrashTheGrader() throws {
        let assignment = try write("slow-assignment.lua", """
            local slow = string.find(string.rep("a", 28), string.rep("a?", 28) .. string.rep("a", 28))
            return assignment {
              name = "slow", title = "t", env = "cartpole", hidden = 4, episodes = 2,
              seeds = { practice = { 1 }, grading = { 2 } },
              scoring = { metric = "final", baseline = 0, pass = 400, full = 500 },
            }

            """)
        let submission = try write("s.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let (process, o, e) = try NRLHostBinary.start(["grade", assignment, submission])
        var loader: Int32?
        XCTAssertTrue(wait(30) { loader = children(of: process.processIdentifier, containing: "--assignment-only").first; return loader != nil })
        // Only once it is stuck in the pattern: a signal sent before the loader has installed its
        // handlers meets the Swift runtime's backtracer, which may let a sent signal return.
        usleep(1_000_000)
        if let loader { kill(loader, SIGSEGV) }
        let r = NRLHostBinary.finish(process, o, e)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("loading the assignment \(assignment) crashed the process loading it (SIGSEGV"), r.stderr)
    }
}

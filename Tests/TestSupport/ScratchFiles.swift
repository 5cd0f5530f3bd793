import Foundation

/// Writes `text` as `name` in the test's scratch folder `dir`; returns the file's path.
public func writeScratchFile(_ name: String, _ text: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// A rule script that fails in its third episode with "boom in episode 3", at line 4 (for sweeps that
/// must record a failed run and go on).
public let ruleFailingInEpisode3 = """
    return rule {
      name = "explodes",
      act = function(ctx, obs)
        if ctx.episode == 3 then error("boom in episode 3") end
        return 1
      end,
      learn = function() end,
    }

    """

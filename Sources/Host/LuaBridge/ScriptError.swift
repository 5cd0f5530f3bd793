import NRLCore
/// Something a script did wrong, located in the script: what a user sees is
/// "scripts/myrule.lua:12: act must return an action 1..2, got 3".
public struct ScriptError: Error, CustomStringConvertible {
    /// "file:line" of the offending script line, when known.
    public var location: String?
    public var message: String
    /// The Lua stack traceback, when the error came from running script code.
    public var traceback: String?

    /// Every script error is made here, so this is where a script's text is capped: a message (and
    /// a traceback) keeps its first `ScriptText.messageLimit` bytes, marked "… [cut: N more bytes]",
    /// before it reaches a terminal, run.json, a store or a grade file.
    public init(location: String?, message: String, traceback: String? = nil) {
        self.location = location.map { ScriptText.capped($0, limit: 1024) }
        self.message = ScriptText.capped(message)
        self.traceback = traceback.map { ScriptText.capped($0) }
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }

    /// Splits a Lua error message "file:line: text" into its location and text.
    static func parse(_ raw: String, traceback: String? = nil) -> ScriptError {
        // "scripts/x.lua:12: message" — the location is everything up to the second colon that
        // follows a line number.
        // The location is on the first line, near the start: look no further than that (an error
        // message may be megabytes long).
        let scalars = Array(raw.prefix(2048))
        var i = 0
        while i < scalars.count {
            if scalars[i] == ":" {
                var j = i + 1
                while j < scalars.count, scalars[j].isNumber { j += 1 }
                if j > i + 1, j < scalars.count, scalars[j] == ":" {
                    let location = String(scalars[0..<j])
                    let message = String(raw.dropFirst(j + 1)).trimmingCharacters(in: .whitespaces)
                    return ScriptError(location: location, message: message, traceback: traceback)
                }
            }
            if scalars[i] == "\n" { break }
            i += 1
        }
        return ScriptError(location: nil, message: raw, traceback: traceback)
    }
}

import Foundation

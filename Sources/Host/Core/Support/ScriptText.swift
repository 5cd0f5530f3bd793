/// Text that came from a script (an error message, a label, a metric name) on its way to a file or
/// a terminal: capped in size, and with control characters made visible before a terminal sees them.
public enum ScriptText {
    /// Bytes of a script-provided message kept (error messages, reasons): enough for any honest
    /// message and its traceback, small enough for a terminal, run.json, a store and a grade file.
    public static let messageLimit = 4096

    /// `text` if it is at most `limit` UTF-8 bytes; otherwise its first `limit` bytes (cut at a
    /// character boundary) and "… [cut: N more bytes]".
    public static func capped(_ text: String, limit: Int = messageLimit) -> String {
        let total = text.utf8.count
        guard total > limit else { return text }
        var kept = 0
        var end = text.unicodeScalars.startIndex
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            if kept + size > limit { break }
            kept += size
            end = text.unicodeScalars.index(after: end)
        }
        return String(text.unicodeScalars[..<end]) + "… [cut: \(total - kept) more bytes]"
    }

    /// `text` safe to print on a terminal: control characters (C0 but newline when `keepNewlines`,
    /// DEL, C1) and the bidirectional overrides that reorder what a terminal shows become visible
    /// escapes ("\x1B", "\u{202E}"), so a script cannot move the cursor, clear the screen or
    /// overwrite a line of the grader's table.
    public static func terminalSafe(_ text: String, keepNewlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepNewlines: keepNewlines) else { out.append(scalar); continue }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let escaped = scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    /// One line for a table cell: `terminalSafe` with newlines escaped too.
    public static func oneLine(_ text: String) -> String { terminalSafe(text, keepNewlines: false) }

    private static func needsEscape(_ s: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A: return !keepNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }
}

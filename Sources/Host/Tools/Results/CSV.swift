/// The one CSV writer (RFC 4180): fields joined by commas, a field quoted (its quotes doubled) when
/// it holds a comma, a quote, a carriage return or a line feed — checked byte by byte, so a comma
/// or a newline inside a grapheme cluster ("\r\n", a combining mark after a comma) is quoted too.
/// Lines end with "\n". Numbers: `number(_:)`.
public enum CSV {
    public static func field(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, with its line end.
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A number as the files write it: Swift's shortest round-trip form; non-finite values as
    /// `inf`, `-inf` and `nan` (what pandas and R read back as numbers).
    public static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(x)"
    }
}

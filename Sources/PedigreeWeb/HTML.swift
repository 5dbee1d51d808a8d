/// HTML text: every string from the store or the request goes through `escape`.
enum HTML {
    /// Escapes text for element content and quoted attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A URL with query fields (empty values left out), escaped for an attribute.
    static func url(_ path: String, _ fields: [(String, String)]) -> String {
        let query = fields.filter { !$0.1.isEmpty }.map { "\(WebApp.formEscape($0.0))=\(WebApp.formEscape($0.1))" }.joined(separator: "&")
        return escape(query.isEmpty ? path : path + "?" + query)
    }

    /// JSON for a `<script type="application/json">` block: `<` never appears raw, so no text in
    /// it can close the element.
    static func scriptJSON(_ text: String) -> String {
        text.replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// Graphviz's SVG without its XML prologue and comments, to be placed inside the page.
    static func inlineSVG(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let start = text.range(of: "<svg") else { return "" }
        return String(text[start.lowerBound...])
    }

    /// A count with thousands separators.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}

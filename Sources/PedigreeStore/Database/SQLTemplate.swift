/// A statement in the store's one SQL spelling (backquoted identifiers; `?` or `?N` parameters,
/// which may repeat), split for an engine whose spelling differs: the text between parameters
/// with identifiers requoted, and which parameter goes at each place.
struct SQLTemplate {
    /// The text around the parameters: `parts.count == places.count + 1`.
    let parts: [String]
    /// For each place, the 1-based parameter it takes.
    let places: [Int]

    /// `quote` replaces each backquote outside string literals (PostgreSQL takes none).
    init(_ sql: String, quote: String) {
        var parts: [String] = []
        var places: [Int] = []
        var current = ""
        var next = 1
        var inString = false
        var i = sql.startIndex
        while i < sql.endIndex {
            let c = sql[i]
            i = sql.index(after: i)
            if inString {
                current.append(c)
                if c == "'" { inString = false }
            } else if c == "'" {
                inString = true
                current.append(c)
            } else if c == "`" {
                current += quote
            } else if c == "?" {
                var digits = ""
                while i < sql.endIndex, let d = sql[i].wholeNumberValue, d >= 0 {
                    digits.append(sql[i])
                    i = sql.index(after: i)
                }
                let index = Int(digits) ?? next
                next = index + 1
                parts.append(current)
                current = ""
                places.append(index)
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        self.parts = parts
        self.places = places
    }

    /// The text with each place written by `place` (given the place's position and its parameter).
    func render(_ place: (_ position: Int, _ parameter: Int) -> String) -> String {
        var text = parts[0]
        for (position, parameter) in places.enumerated() {
            text += place(position, parameter)
            text += parts[position + 1]
        }
        return text
    }

    /// The distinct parameters in order of first use, numbered densely from 1 (`$1`...): what a
    /// server that numbers its own parameters is sent, so that parameters the text does not use
    /// are not sent at all.
    var denseOrder: [Int] {
        var seen: [Int] = []
        for p in places where !seen.contains(p) { seen.append(p) }
        return seen
    }
}

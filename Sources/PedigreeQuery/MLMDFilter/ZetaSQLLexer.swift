internal import PedigreeModel
internal import PedigreeGraph
internal import Foundation

enum ZetaSQLLexer {
    static func normalize(_ text: String) throws(MLMDFilterError) -> String {
        let b = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        func at(_ k: Int) -> UInt8 { k < b.count ? b[k] : 0 }
        func isWord(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
        }
        func fail(_ message: String, _ start: Int, _ end: Int) -> MLMDFilterError {
            .invalid("Syntax error: \(message)", at: SourceRange(start, max(end, start + 1)))
        }
        func quoted(_ s: String, _ q: UInt8) -> [UInt8] {
            // Two literals in a row stay two tokens ('it''s' is not one string in ZetaSQL).
            var r: [UInt8] = out.last == q ? [0x20, q] : [q]
            for c in s.utf8 {
                r.append(c)
                if c == q { r.append(c) }
            }
            r.append(q)
            return r
        }
        while i < b.count {
            let c = b[i]
            // Comments.
            if c == UInt8(ascii: "#") || (c == UInt8(ascii: "-") && at(i + 1) == UInt8(ascii: "-")) {
                while i < b.count, b[i] != 0x0a { i += 1 }
                out.append(0x20)
                continue
            }
            if c == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                let start = i
                i += 2
                while i < b.count, !(b[i] == UInt8(ascii: "*") && at(i + 1) == UInt8(ascii: "/")) { i += 1 }
                guard i < b.count else { throw fail("Unclosed comment", start, b.count) }
                i += 2
                out.append(0x20)
                continue
            }
            if c == UInt8(ascii: "="), at(i + 1) == UInt8(ascii: "=") { throw fail("Unexpected \"=\"", i + 1, i + 2) }
            // Names, and the prefixes of raw and bytes literals.
            if isWord(c), !(c >= 48 && c <= 57) {
                var j = i
                while j < b.count, isWord(b[j]) { j += 1 }
                let word = String(decoding: b[i..<j], as: UTF8.self).lowercased()
                if ["r", "b", "rb", "br"].contains(word), at(j) == UInt8(ascii: "'") || at(j) == UInt8(ascii: "\"") {
                    if word.contains("b") { throw .invalid("No matching signature for a BYTES literal", at: SourceRange(i, j)) }
                    let (value, end) = try string(b, from: j, raw: true)
                    out += quoted(value, UInt8(ascii: "'"))
                    i = end
                    continue
                }
                out += b[i..<j]
                i = j
                continue
            }
            // A unary plus before a number: ZetaSQL takes it, the parser does not.
            if c == UInt8(ascii: "+") {
                var j = i + 1
                while j < b.count, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x0a || b[j] == 0x0d { j += 1 }
                if j < b.count, (b[j] >= 48 && b[j] <= 57) || (b[j] == UInt8(ascii: ".") && at(j + 1) >= 48 && at(j + 1) <= 57) {
                    i = j
                    continue
                }
            }
            // Numbers: hex integers; `3.` as `3.0`; a float too large for a double is infinity,
            // which MLMD prints as CAST("inf" AS FLOAT64), and SQLite reads that as 0.
            let isDigit = c >= 48 && c <= 57
            let startsNumber =
                isDigit || (c == UInt8(ascii: ".") && at(i + 1) >= 48 && at(i + 1) <= 57 && (i == 0 || !isWord(b[i - 1])))
            if startsNumber {
                if c == UInt8(ascii: "0"), at(i + 1) | 0x20 == UInt8(ascii: "x") {
                    var j = i + 2
                    while j < b.count, isWord(b[j]) { j += 1 }
                    let digits = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                    guard let v = UInt64(digits, radix: 16), v <= UInt64(Int64.max) else {
                        throw .invalid("Invalid hex integer literal: 0x\(digits)", at: SourceRange(i, j))
                    }
                    out += Array(String(v).utf8)
                    i = j
                    continue
                }
                var j = i
                func digits() { while j < b.count, b[j] >= 48 && b[j] <= 57 { j += 1 } }
                digits()
                var isFloat = false
                if at(j) == UInt8(ascii: "."), !isWord(at(j + 1)) || (at(j + 1) >= 48 && at(j + 1) <= 57) {
                    isFloat = true
                    j += 1
                    digits()
                }
                if at(j) | 0x20 == UInt8(ascii: "e") {
                    var k = j + 1
                    if at(k) == UInt8(ascii: "+") || at(k) == UInt8(ascii: "-") { k += 1 }
                    if at(k) >= 48 && at(k) <= 57 {
                        isFloat = true
                        j = k
                        digits()
                    }
                }
                var text = String(decoding: b[i..<j], as: UTF8.self)
                if isFloat {
                    if text.hasSuffix(".") { text += "0" }
                    if text.hasPrefix(".") { text = "0" + text }
                    if let d = Double(text), d.isInfinite { text = "0.0" }
                }
                out += Array(text.utf8)
                i = j
                continue
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                let (value, end) = try string(b, from: i, raw: false)
                out += quoted(value, UInt8(ascii: "'"))
                i = end
                continue
            }
            if c == UInt8(ascii: "`") {
                let start = i
                var value: [UInt8] = []
                i += 1
                while true {
                    guard i < b.count else { throw fail("Unclosed identifier literal", start, b.count) }
                    if b[i] == UInt8(ascii: "`") { break }
                    if b[i] == UInt8(ascii: "\\") {
                        let (scalar, next) = try escape(b, at: i)
                        value += Array(String(scalar).utf8)
                        i = next
                        continue
                    }
                    value.append(b[i])
                    i += 1
                }
                i += 1
                guard !value.isEmpty else { throw fail("Invalid empty identifier", start, i) }
                out += quoted(String(decoding: value, as: UTF8.self), UInt8(ascii: "`"))
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A string literal starting at the quote at `start`: its value and the offset after it.
    static func string(_ b: [UInt8], from start: Int, raw: Bool) throws(MLMDFilterError) -> (String, Int) {
        let q = b[start]
        let triple = start + 2 < b.count && b[start + 1] == q && b[start + 2] == q
        var i = start + (triple ? 3 : 1)
        var value: [UInt8] = []
        while true {
            guard i < b.count else {
                throw .invalid("Syntax error: Unclosed \(triple ? "triple-quoted " : "")string literal", at: SourceRange(start, b.count))
            }
            let c = b[i]
            if c == q {
                if !triple { return (String(decoding: value, as: UTF8.self), i + 1) }
                if i + 2 < b.count, b[i + 1] == q, b[i + 2] == q { return (String(decoding: value, as: UTF8.self), i + 3) }
            }
            if c == 0x0a, !triple { throw .invalid("Syntax error: Unclosed string literal", at: SourceRange(start, i)) }
            if c == UInt8(ascii: "\\") {
                if raw {
                    value.append(c)
                    if i + 1 < b.count { value.append(b[i + 1]) }
                    i += 2
                    continue
                }
                let (scalar, next) = try escape(b, at: i)
                value += Array(String(scalar).utf8)
                i = next
                continue
            }
            value.append(c)
            i += 1
        }
    }

    /// One backslash escape at `i`: the character and the offset after it.
    static func escape(_ b: [UInt8], at i: Int) throws(MLMDFilterError) -> (Character, Int) {
        func hex(_ from: Int, _ count: Int) -> UInt32? {
            guard from + count <= b.count else { return nil }
            return UInt32(String(decoding: b[from..<(from + count)], as: UTF8.self), radix: 16)
        }
        let illegal = MLMDFilterError.invalid("Syntax error: Illegal escape sequence", at: SourceRange(i, min(b.count, i + 2)))
        guard i + 1 < b.count else { throw illegal }
        let e = b[i + 1]
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 0x0a, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0d, UInt8(ascii: "a"): 0x07,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0c, UInt8(ascii: "v"): 0x0b, UInt8(ascii: "\\"): 0x5c,
            UInt8(ascii: "?"): 0x3f, UInt8(ascii: "'"): 0x27, UInt8(ascii: "\""): 0x22, UInt8(ascii: "`"): 0x60,
        ]
        if let v = simple[e] { return (Character(Unicode.Scalar(v)), i + 2) }
        var code: UInt32?
        var next = i + 2
        switch e {
        case UInt8(ascii: "x"), UInt8(ascii: "X"):
            code = hex(i + 2, 2)
            next = i + 4
        case UInt8(ascii: "u"):
            code = hex(i + 2, 4)
            next = i + 6
        case UInt8(ascii: "U"):
            code = hex(i + 2, 8)
            next = i + 10
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            if i + 4 <= b.count, b[(i + 1)..<(i + 4)].allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                code = UInt32(String(decoding: b[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8)
                next = i + 4
            }
        default: break
        }
        guard let code, let scalar = Unicode.Scalar(code) else { throw illegal }
        return (Character(scalar), next)
    }

    /// ZetaSQL's `ToStringLiteral` body: C escapes, the quote escaped, `\xNN` for other
    /// unprintable ASCII (and for a hex digit right after one).
    static func escape(_ s: String, quote: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        var lastHex = false
        for c in s.utf8 {
            var hex = false
            switch c {
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0x5c: out += [0x5c, 0x5c]
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
                if c == quote { out.append(0x5c) }
                out.append(c)
            default:
                let isHexDigit = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
                if c < 0x80, c < 0x20 || c > 0x7e || (lastHex && isHexDigit) {
                    out += [0x5c, UInt8(ascii: "x"), digits[Int(c >> 4)], digits[Int(c & 15)]]
                    hex = true
                } else {
                    out.append(c)
                }
            }
            lastHex = hex
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// ZetaSQL's analysis of the rewritten filter and MLMD's SQL for it (`FilterQueryBuilder`).

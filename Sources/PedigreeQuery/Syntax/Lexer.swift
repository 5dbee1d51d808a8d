/// Scans UTF-8 bytes into tokens. Allocates nothing per token.
package struct Lexer {
    package let source: [UInt8]
    private var at = 0

    package init(_ source: [UInt8]) { self.source = source }

    @inline(__always)
    private func byte(_ i: Int) -> UInt8 { i < source.count ? source[i] : 0 }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// The next token; `.end` at the end, forever.
    package mutating func next() -> Token {
        skipSpaceAndComments()
        let start = at
        guard at < source.count else { return Token(kind: .end, range: SourceRange(at, at)) }
        let c = source[at]
        func single(_ kind: Token.Kind) -> Token {
            at += 1
            return Token(kind: kind, range: SourceRange(start, at))
        }
        switch c {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "."):
            if Self.isDigit(byte(at + 1)) { return number(start) }
            return single(.dot)
        case UInt8(ascii: "*"): return single(.star)
        case UInt8(ascii: "+"): return single(.plus)
        case UInt8(ascii: "-"): return single(.minus)
        case UInt8(ascii: "="):
            at += byte(at + 1) == UInt8(ascii: "=") ? 2 : 1
            return Token(kind: .equal, range: SourceRange(start, at))
        case UInt8(ascii: "!"):
            if byte(at + 1) == UInt8(ascii: "=") {
                at += 2
                return Token(kind: .notEqual, range: SourceRange(start, at))
            }
            return invalidCharacter(start)
        case UInt8(ascii: "<"):
            if byte(at + 1) == UInt8(ascii: "=") { at += 2; return Token(kind: .lessEqual, range: SourceRange(start, at)) }
            if byte(at + 1) == UInt8(ascii: ">") { at += 2; return Token(kind: .notEqual, range: SourceRange(start, at)) }
            return single(.less)
        case UInt8(ascii: ">"):
            if byte(at + 1) == UInt8(ascii: "=") { at += 2; return Token(kind: .greaterEqual, range: SourceRange(start, at)) }
            return single(.greater)
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return quoted(start, quote: c, kind: .string)
        case UInt8(ascii: "`"): return quoted(start, quote: c, kind: .quotedName)
        case UInt8(ascii: "$"):
            at += 1
            guard Self.isLetter(byte(at)) else { return Token(kind: .invalid, range: SourceRange(start, at)) }
            while Self.isLetter(byte(at)) || Self.isDigit(byte(at)) { at += 1 }
            return Token(kind: .parameter, range: SourceRange(start, at))
        default:
            if Self.isLetter(c) {
                while at < source.count, Self.isLetter(source[at]) || Self.isDigit(source[at]) { at += 1 }
                return Token(kind: .identifier, range: SourceRange(start, at))
            }
            if Self.isDigit(c) { return number(start) }
            return invalidCharacter(start)
        }
    }

    /// Consumes one whole (possibly multi-byte) character that starts no token.
    private mutating func invalidCharacter(_ start: Int) -> Token {
        at += 1
        while at < source.count, source[at] & 0xC0 == 0x80 { at += 1 }
        return Token(kind: .invalid, range: SourceRange(start, at))
    }

    private mutating func number(_ start: Int) -> Token {
        var kind = Token.Kind.integer
        while Self.isDigit(byte(at)) { at += 1 }
        if byte(at) == UInt8(ascii: "."), Self.isDigit(byte(at + 1)) || at == start {
            kind = .decimal
            at += 1
            while Self.isDigit(byte(at)) { at += 1 }
        }
        if byte(at) == UInt8(ascii: "e") || byte(at) == UInt8(ascii: "E") {
            var j = at + 1
            if byte(j) == UInt8(ascii: "+") || byte(j) == UInt8(ascii: "-") { j += 1 }
            if Self.isDigit(byte(j)) {
                kind = .decimal
                at = j
                while Self.isDigit(byte(at)) { at += 1 }
            }
        }
        return Token(kind: kind, range: SourceRange(start, at))
    }

    /// A string or quoted name; a doubled quote stands for one. Unterminated: `.invalid`.
    private mutating func quoted(_ start: Int, quote: UInt8, kind: Token.Kind) -> Token {
        at += 1
        while at < source.count {
            if source[at] == quote {
                if byte(at + 1) == quote {
                    at += 2
                    continue
                }
                at += 1
                return Token(kind: kind, range: SourceRange(start, at))
            }
            at += 1
        }
        return Token(kind: .invalid, range: SourceRange(start, at))
    }

    private mutating func skipSpaceAndComments() {
        while at < source.count {
            let c = source[at]
            if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d {
                at += 1
            } else if c == UInt8(ascii: "#") {
                while at < source.count, source[at] != 0x0a { at += 1 }
            } else {
                return
            }
        }
    }
}

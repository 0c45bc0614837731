/// A token of a Jinja template.
enum JinjaToken: Equatable, Sendable {
    case text(String)
    case outputStart, outputEnd      // {{ }}
    case statementStart, statementEnd  // {% %}
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case symbol(String)
}

/// Splits a template into text and tag tokens, applying whitespace control the way
/// `transformers` configures Jinja: `trim_blocks=True, lstrip_blocks=True`, plus `{%-`/`-%}` markers.
struct JinjaLexer {
    private let source: [Character]
    private var position = 0
    private var tokens: [JinjaToken] = []
    /// After `-%}`/`-}}`: strip leading whitespace of the next text.
    private var stripNextText = false
    /// Whether the current text begins at the start of a line (for `lstrip_blocks`).
    private var lineStarting = true

    static func tokenize(_ template: String) throws -> [JinjaToken] {
        var lexer = JinjaLexer(source: Array(template))
        try lexer.run()
        return lexer.tokens
    }

    private init(source: [Character]) { self.source = source }

    private func peek(_ offset: Int = 0) -> Character? {
        position + offset < source.count ? source[position + offset] : nil
    }

    private mutating func run() throws {
        var text = ""
        while position < source.count {
            let character = source[position]
            if character == "{", let next = peek(1), next == "{" || next == "%" || next == "#" {
                try emitTagOrComment(opener: next, pendingText: &text)
                continue
            }
            text.append(character)
            position += 1
        }
        appendText(text)
    }

    private mutating func appendText(_ raw: String) {
        var text = Substring(raw)
        if stripNextText {
            text = text.drop(while: \.isWhitespace)
            stripNextText = false
        }
        if !text.isEmpty { tokens.append(.text(String(text))) }
    }

    /// Handles `{{`, `{%` or `{#` at `position`, flushing `pendingText` with the right trimming.
    private mutating func emitTagOrComment(opener: Character, pendingText: inout String) throws {
        position += 2
        var text = pendingText
        pendingText = ""
        if peek() == "-" {
            position += 1
            while let last = text.last, last.isWhitespace { text.removeLast() }
        } else if peek() == "+" {
            position += 1
        } else if opener != "{" {
            // lstrip_blocks: drop spaces/tabs between the start of the line and a block or comment tag.
            let lineStart = text.lastIndex(of: "\n").map { text.index(after: $0) }
            if lineStart != nil || lineStarting {
                let start = lineStart ?? text.startIndex
                if text[start...].allSatisfy({ $0 == " " || $0 == "\t" }) { text.removeSubrange(start...) }
            }
        }
        appendText(text)

        switch opener {
        case "#":
            try skipComment()
        case "{":
            tokens.append(.outputStart)
            try lexExpression(closer: "}")
            tokens.append(.outputEnd)
        default:
            tokens.append(.statementStart)
            try lexExpression(closer: "%")
            tokens.append(.statementEnd)
        }
    }

    private mutating func skipComment() throws {
        while position + 1 < source.count {
            if source[position] == "#", source[position + 1] == "}" {
                let stripped = position > 0 && source[position - 1] == "-"
                position += 2
                finishTag(stripped: stripped, isBlock: true)
                return
            }
            position += 1
        }
        throw TokenizerError.templateError("unterminated comment")
    }

    /// After a closing delimiter: `-` strips following whitespace; block tags drop one newline (trim_blocks).
    private mutating func finishTag(stripped: Bool, isBlock: Bool) {
        lineStarting = false
        if stripped {
            stripNextText = true
            var index = position
            while index < source.count, source[index].isWhitespace { index += 1 }
            lineStarting = index > position && source[index - 1] == "\n"
        } else if isBlock, peek() == "\n" || peek() == "\r\n" {
            position += 1
            lineStarting = true
        }
    }

    /// Lexes expression tokens up to `-?` + closer + `}`.
    private mutating func lexExpression(closer: Character) throws {
        while true {
            while let character = peek(), character.isWhitespace { position += 1 }
            guard let character = peek() else {
                throw TokenizerError.templateError("unterminated tag, expected \"\(closer)}\"")
            }
            if character == "-", peek(1) == closer, peek(2) == "}" {
                position += 3
                finishTag(stripped: true, isBlock: closer == "%")
                return
            }
            if character == closer, peek(1) == "}" {
                position += 2
                finishTag(stripped: false, isBlock: closer == "%")
                return
            }
            if character == "'" || character == "\"" {
                tokens.append(.string(try lexString(quote: character)))
            } else if character.isNumber, character.isASCII {
                tokens.append(lexNumber())
            } else if character.isLetter || character == "_" {
                var name = ""
                while let next = peek(), next.isLetter || next.isNumber || next == "_" {
                    name.append(next)
                    position += 1
                }
                tokens.append(.name(name))
            } else {
                tokens.append(.symbol(try lexSymbol()))
            }
        }
    }

    private mutating func lexString(quote: Character) throws -> String {
        position += 1
        var value = ""
        while let character = peek() {
            position += 1
            if character == quote { return value }
            guard character == "\\", let escaped = peek() else {
                value.append(character)
                continue
            }
            position += 1
            switch escaped {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "\\", "'", "\"": value.append(escaped)
            default: value.append("\\"); value.append(escaped)
            }
        }
        throw TokenizerError.templateError("unterminated string literal")
    }

    private mutating func lexNumber() -> JinjaToken {
        var digits = ""
        while let character = peek(), character.isASCII, character.isNumber || character == "_" {
            if character != "_" { digits.append(character) }
            position += 1
        }
        if peek() == ".", let after = peek(1), after.isASCII, after.isNumber {
            digits.append(".")
            position += 1
            while let character = peek(), character.isASCII, character.isNumber {
                digits.append(character)
                position += 1
            }
            return .float(Double(digits) ?? 0)
        }
        return Int(digits).map(JinjaToken.integer) ?? .float(Double(digits) ?? 0)
    }

    private mutating func lexSymbol() throws -> String {
        let twoCharacter = ["==", "!=", "<=", ">=", "//", "**"]
        if let next = peek(1) {
            let pair = String([source[position], next])
            if twoCharacter.contains(pair) {
                position += 2
                return pair
            }
        }
        let character = source[position]
        guard "()[]{}.,:|~+-*/%<>=".contains(character) else {
            throw TokenizerError.templateError("unexpected character \"\(character)\" in tag")
        }
        position += 1
        return String(character)
    }
}

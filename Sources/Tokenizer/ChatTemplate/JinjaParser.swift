/// Recursive-descent parser for the Jinja subset: statements here, expressions in JinjaExpressionParser.swift.
struct JinjaParser {
    let tokens: [JinjaToken]
    var position = 0
    /// Current nesting of blocks and expressions, bounded by `JinjaLimits.maxNestingDepth`: every level is a
    /// level of the tree, and rendering and freeing the tree recurse once per level.
    var depth = 0

    static func parse(_ tokens: [JinjaToken]) throws -> [JinjaNode] {
        var parser = JinjaParser(tokens: tokens)
        let (nodes, end) = try parser.parseBlock(until: [])
        if let end { throw TokenizerError.templateError("unexpected {% \(end) %}") }
        return nodes
    }

    private init(tokens: [JinjaToken]) { self.tokens = tokens }

    // MARK: Statements

    /// Parses nodes until a `{% name %}` with name in `terminators` (consumed up to the name) or the end.
    private mutating func parseBlock(until terminators: Set<String>) throws -> ([JinjaNode], String?) {
        try enter()
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while position < tokens.count {
            switch advance() {
            case .text(let text):
                nodes.append(.text(text))
            case .outputStart:
                nodes.append(.output(try parseExpression()))
                try expect(.outputEnd)
            case .statementStart:
                guard case .name(let keyword) = advance() else { throw TokenizerError.templateError("expected a statement name after {%") }
                if terminators.contains(keyword) { return (nodes, keyword) }
                if let node = try parseStatement(keyword) { nodes.append(node) }
            default:
                throw TokenizerError.templateError("unexpected token \(tokens[position - 1])")
            }
        }
        if !terminators.isEmpty {
            throw TokenizerError.templateError("missing {% \(terminators.sorted().joined(separator: " / ")) %}")
        }
        return (nodes, nil)
    }

    private mutating func parseStatement(_ keyword: String) throws -> JinjaNode? {
        switch keyword {
        case "if":
            var branches: [(condition: JinjaExpression, body: [JinjaNode])] = []
            var condition = try parseExpression()
            try expect(.statementEnd)
            while true {
                let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                switch end {
                case "elif":
                    condition = try parseExpression()
                    try expect(.statementEnd)
                case "else":
                    try expect(.statementEnd)
                    let (otherwise, _) = try parseBlock(until: ["endif"])
                    try expect(.statementEnd)
                    return .ifChain(branches: branches, otherwise: otherwise)
                default:
                    try expect(.statementEnd)
                    return .ifChain(branches: branches, otherwise: [])
                }
            }
        case "for":
            var targets = [try parseName()]
            while peek() == .symbol(",") {
                position += 1
                targets.append(try parseName())
            }
            guard advance() == .name("in") else { throw TokenizerError.templateError("expected 'in' in for loop") }
            let iterable = try parseExpression(allowConditional: false)
            var condition: JinjaExpression?
            if peek() == .name("if") {
                position += 1
                condition = try parseExpression(allowConditional: false)
            }
            try expect(.statementEnd)
            let (body, end) = try parseBlock(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            try expect(.statementEnd)
            if end == "else" {
                (otherwise, _) = try parseBlock(until: ["endfor"])
                try expect(.statementEnd)
            }
            return .forLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
        case "set":
            let name = try parseName()
            var attribute: String?
            if peek() == .symbol(".") {
                position += 1
                attribute = try parseName()
            }
            guard advance() == .symbol("=") else { throw TokenizerError.templateError("only '{% set name = value %}' is supported") }
            let value = try parseExpression()
            try expect(.statementEnd)
            return .set(name: name, attribute: attribute, value: value)
        case "break", "continue":
            try expect(.statementEnd)
            return keyword == "break" ? .breakLoop : .continueLoop
        case "generation", "endgeneration":
            // transformers' assistant-mask markers render nothing.
            try expect(.statementEnd)
            return nil
        default:
            throw TokenizerError.templateError("unsupported statement {% \(keyword) %}")
        }
    }

    // MARK: Token helpers

    func peek(_ offset: Int = 0) -> JinjaToken? {
        position + offset < tokens.count ? tokens[position + offset] : nil
    }

    mutating func advance() -> JinjaToken? {
        defer { position += 1 }
        return peek()
    }

    mutating func expect(_ token: JinjaToken) throws {
        guard let next = advance(), next == token else {
            throw TokenizerError.templateError("expected \(token), found \(tokens.indices.contains(position - 1) ? "\(tokens[position - 1])" : "end of template")")
        }
    }

    /// One level deeper; the caller undoes it with `depth -= 1` when the level is done.
    mutating func enter() throws {
        depth += 1
        guard depth <= JinjaLimits.maxNestingDepth else {
            throw JinjaLimits.exceeded("levels of nested blocks and expressions", JinjaLimits.maxNestingDepth)
        }
    }

    mutating func parseName() throws -> String {
        guard case .name(let name) = advance() else { throw TokenizerError.templateError("expected a name") }
        return name
    }
}

/// Expression parsing, with Jinja's precedence from loosest to tightest:
/// `a if c else b` < `or` < `and` < `not` < comparisons and `in` < `+ -` < `~` < `* / // %` < unary `-`
/// < postfix (`.name`, `[...]`, calls) and filters/tests (`|f`, `is t`).
extension JinjaParser {
    mutating func parseExpression(allowConditional: Bool = true) throws -> JinjaExpression {
        try enter()
        defer { depth -= 1 }
        let value = try parseOr()
        guard allowConditional, peek() == .name("if") else { return value }
        position += 1
        let condition = try parseOr()
        var otherwise: JinjaExpression?
        if peek() == .name("else") {
            position += 1
            otherwise = try parseExpression()
        }
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    private mutating func parseOr() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseAnd()
        while peek() == .name("or") {
            try enter()
            position += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseNot()
        while peek() == .name("and") {
            try enter()
            position += 1
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpression {
        if peek() == .name("not") {
            position += 1
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseAdditive()
        while true {
            if case .symbol(let op) = peek(), ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                try enter()
                position += 1
                left = .binary(op, left, try parseAdditive())
            } else if peek() == .name("in") {
                try enter()
                position += 1
                left = .binary("in", left, try parseAdditive())
            } else if peek() == .name("not"), peek(1) == .name("in") {
                try enter()
                position += 2
                left = .not(.binary("in", left, try parseAdditive()))
            } else {
                return left
            }
        }
    }

    private mutating func parseAdditive() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseConcat()
        while case .symbol(let op) = peek(), op == "+" || op == "-" {
            try enter()
            position += 1
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseMultiplicative()
        while peek() == .symbol("~") {
            try enter()
            position += 1
            left = .binary("~", left, try parseMultiplicative())
        }
        return left
    }

    private mutating func parseMultiplicative() throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var left = try parseUnary()
        while case .symbol(let op) = peek(), ["*", "/", "//", "%"].contains(op) {
            try enter()
            position += 1
            left = .binary(op, left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws -> JinjaExpression {
        if peek() == .symbol("-") {
            position += 1
            try enter()
            defer { depth -= 1 }
            return try parseFilters(.negate(try parseUnary(withFilters: false)))
        }
        return try parseUnary(withFilters: true)
    }

    private mutating func parseUnary(withFilters: Bool) throws -> JinjaExpression {
        let value = try parsePostfix(try parsePrimary())
        return withFilters ? try parseFilters(value) : value
    }

    /// `|filter`, `|filter(args)`, `is [not] test`, `is test(args)`.
    private mutating func parseFilters(_ base: JinjaExpression) throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var value = base
        while true {
            if peek() == .symbol("|") {
                try enter()
                position += 1
                let name = try parseName()
                var arguments: [JinjaExpression] = []
                if peek() == .symbol("(") { arguments = try parseArguments().positional }
                value = .filter(value, name: name, arguments: arguments)
            } else if peek() == .name("is") {
                try enter()
                position += 1
                var negated = false
                if peek() == .name("not") {
                    position += 1
                    negated = true
                }
                let name: String
                switch advance() {
                case .name(let test): name = test
                case .symbol("=="): name = "eq"
                default: throw TokenizerError.templateError("expected a test name after 'is'")
                }
                var arguments: [JinjaExpression] = []
                if peek() == .symbol("(") {
                    arguments = try parseArguments().positional
                } else if case .string = peek() {
                    arguments = [try parsePrimary()]
                } else if case .integer = peek() {
                    arguments = [try parsePrimary()]
                }
                value = .test(value, name: name, arguments: arguments, negated: negated)
            } else {
                return value
            }
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        let outerDepth = depth
        defer { depth = outerDepth }
        var value = base
        while true {
            switch peek() {
            case .symbol("."):
                try enter()
                position += 1
                value = .attribute(value, try parseName())
            case .symbol("["):
                try enter()
                position += 1
                value = try parseSubscript(value)
            case .symbol("("):
                try enter()
                let (positional, keywords) = try parseArguments()
                value = .call(value, arguments: positional, keywordArguments: keywords)
            default:
                return value
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpression) throws -> JinjaExpression {
        var parts: [JinjaExpression?] = [nil]
        var isSlice = false
        while peek() != .symbol("]") {
            if peek() == .symbol(":") {
                position += 1
                isSlice = true
                parts.append(nil)
            } else {
                guard parts[parts.count - 1] == nil else { throw TokenizerError.templateError("malformed subscript") }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        position += 1
        guard isSlice else {
            guard let index = parts[0] else { throw TokenizerError.templateError("empty subscript") }
            return .index(base, index)
        }
        guard parts.count <= 3 else { throw TokenizerError.templateError("malformed slice") }
        return .slice(base, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
    }

    private mutating func parseArguments() throws -> (positional: [JinjaExpression], keywords: [(name: String, value: JinjaExpression)]) {
        try expect(.symbol("("))
        var positional: [JinjaExpression] = []
        var keywords: [(name: String, value: JinjaExpression)] = []
        while peek() != .symbol(")") {
            if case .name(let name) = peek(), peek(1) == .symbol("=") {
                position += 2
                keywords.append((name, try parseExpression()))
            } else {
                positional.append(try parseExpression())
            }
            if peek() == .symbol(",") { position += 1 } else { break }
        }
        try expect(.symbol(")"))
        return (positional, keywords)
    }

    private mutating func parsePrimary() throws -> JinjaExpression {
        switch advance() {
        case .string(var value):
            // Adjacent string literals concatenate, as in Python.
            while case .string(let next) = peek() {
                value += next
                position += 1
            }
            return .literal(.string(value))
        case .integer(let value): return .literal(.integer(value))
        case .float(let value): return .literal(.float(value))
        case .name("true"), .name("True"): return .literal(.boolean(true))
        case .name("false"), .name("False"): return .literal(.boolean(false))
        case .name("none"), .name("None"): return .literal(.none)
        case .name(let name): return .name(name)
        case .symbol("("):
            let value = try parseExpression()
            try expect(.symbol(")"))
            return value
        case .symbol("["):
            var items: [JinjaExpression] = []
            while peek() != .symbol("]") {
                items.append(try parseExpression())
                if peek() == .symbol(",") { position += 1 } else { break }
            }
            try expect(.symbol("]"))
            return .list(items)
        case .symbol("{"):
            var pairs: [(key: JinjaExpression, value: JinjaExpression)] = []
            while peek() != .symbol("}") {
                let key = try parseExpression()
                try expect(.symbol(":"))
                pairs.append((key, try parseExpression()))
                if peek() == .symbol(",") { position += 1 } else { break }
            }
            try expect(.symbol("}"))
            return .dictionary(pairs)
        case let token:
            throw TokenizerError.templateError("unexpected \(token.map { "\($0)" } ?? "end of template") in expression")
        }
    }
}

/// Renders parsed template nodes against a context of variables.
struct JinjaEvaluator {
    /// Innermost scope last; `for` bodies push a scope so their `set`s do not leak (as in Jinja).
    private var scopes: [[String: JinjaValue]]
    private var output = ""

    /// How a block finished: normally, or by `{% break %}` / `{% continue %}` bubbling up to its loop.
    private enum Completion {
        case normal, breakLoop, continueLoop
    }

    static func render(_ nodes: [JinjaNode], context: [String: JinjaValue]) throws -> String {
        var evaluator = JinjaEvaluator(scopes: [context])
        guard try evaluator.execute(nodes) == .normal else {
            throw TokenizerError.templateError("{% break %} or {% continue %} outside a for loop")
        }
        return evaluator.output
    }

    private init(scopes: [[String: JinjaValue]]) { self.scopes = scopes }

    private func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined
    }

    // MARK: Statements

    private mutating func execute(_ nodes: [JinjaNode]) throws -> Completion {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try evaluate(expression).text
            case .ifChain(let branches, let otherwise):
                let body = try branches.first(where: { try evaluate($0.condition).isTruthy })?.body ?? otherwise
                let completion = try execute(body)
                if completion != .normal { return completion }
            case .forLoop(let targets, let iterable, let condition, let body, let otherwise):
                try executeFor(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
            case .set(let name, let attribute, let value):
                let newValue = try evaluate(value)
                if let attribute {
                    guard case .namespace(let namespace) = lookup(name) else {
                        throw TokenizerError.templateError("cannot set attribute '\(attribute)' on '\(name)': not a namespace")
                    }
                    namespace.attributes[attribute] = newValue
                } else {
                    scopes[scopes.count - 1][name] = newValue
                }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private mutating func executeFor(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?,
                                     body: [JinjaNode], otherwise: [JinjaNode]) throws {
        var items: [JinjaValue]
        switch try evaluate(iterable) {
        case .list(let list): items = list
        case .dictionary(let dictionary): items = dictionary.keys.map { .string($0) }
        case .string(let string): items = string.map { .string(String($0)) }
        case .undefined, .none: items = []
        case let other: throw TokenizerError.templateError("cannot iterate over \(other.typeName)")
        }
        if let condition {
            items = try items.filter { item in
                scopes.append(try bind(targets, to: item))
                defer { scopes.removeLast() }
                return try evaluate(condition).isTruthy
            }
        }
        if items.isEmpty {
            let completion = try execute(otherwise)
            if completion != .normal { throw TokenizerError.templateError("{% break %} or {% continue %} outside a for loop") }
            return
        }
        for (index, item) in items.enumerated() {
            var scope = try bind(targets, to: item)
            var loop = JinjaDictionary()
            loop["index"] = .integer(index + 1)
            loop["index0"] = .integer(index)
            loop["revindex"] = .integer(items.count - index)
            loop["revindex0"] = .integer(items.count - index - 1)
            loop["first"] = .boolean(index == 0)
            loop["last"] = .boolean(index == items.count - 1)
            loop["length"] = .integer(items.count)
            loop["previtem"] = index > 0 ? items[index - 1] : .undefined
            loop["nextitem"] = index + 1 < items.count ? items[index + 1] : .undefined
            scope["loop"] = .dictionary(loop)
            scopes.append(scope)
            defer { scopes.removeLast() }
            if try execute(body) == .breakLoop { break }
        }
    }

    private func bind(_ targets: [String], to item: JinjaValue) throws -> [String: JinjaValue] {
        guard targets.count > 1 else { return [targets[0]: item] }
        guard case .list(let parts) = item, parts.count == targets.count else {
            throw TokenizerError.templateError("cannot unpack \(item.typeName) into \(targets.count) loop variables")
        }
        return Dictionary(uniqueKeysWithValues: zip(targets, parts))
    }

    // MARK: Expressions

    func evaluate(_ expression: JinjaExpression) throws -> JinjaValue {
        switch expression {
        case .literal(let literal):
            return JinjaValue(literal)
        case .name(let name):
            return lookup(name)
        case .list(let items):
            return .list(try items.map(evaluate))
        case .dictionary(let pairs):
            var dictionary = JinjaDictionary()
            for pair in pairs {
                guard case .string(let key) = try evaluate(pair.key) else {
                    throw TokenizerError.templateError("dictionary keys must be strings")
                }
                dictionary[key] = try evaluate(pair.value)
            }
            return .dictionary(dictionary)
        case .attribute(let base, let name):
            return try JinjaBuiltins.member(of: try evaluate(base), name, description: name)
        case .index(let base, let index):
            return try JinjaBuiltins.item(of: try evaluate(base), try evaluate(index))
        case .slice(let base, let start, let stop, let step):
            return try JinjaBuiltins.slice(try evaluate(base), start: try start.map(evaluate),
                                           stop: try stop.map(evaluate), step: try step.map(evaluate))
        case .call(let callee, let arguments, let keywordArguments):
            let positional = try arguments.map(evaluate)
            var keywords = JinjaDictionary()
            for argument in keywordArguments { keywords[argument.name] = try evaluate(argument.value) }
            switch callee {
            case .name(let name):
                return try JinjaBuiltins.callGlobal(name, positional, keywords)
            case .attribute(let base, let method):
                return try JinjaBuiltins.callMethod(method, on: try evaluate(base), positional)
            default:
                throw TokenizerError.templateError("only global functions and methods can be called")
            }
        case .filter(let base, let name, let arguments):
            return try JinjaBuiltins.filter(name, try evaluate(base), try arguments.map(evaluate))
        case .test(let base, let name, let arguments, let negated):
            let result = try JinjaBuiltins.test(name, try evaluate(base), try arguments.map(evaluate))
            return .boolean(result != negated)
        case .not(let operand):
            return .boolean(!(try evaluate(operand).isTruthy))
        case .negate(let operand):
            switch try evaluate(operand) {
            case .integer(let value) where value != .min: return .integer(-value)
            case .float(let value): return .float(-value)
            case let other: throw TokenizerError.templateError("cannot negate \(other.typeName)")
            }
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .binary(let op, let left, let right):
            return try JinjaBuiltins.binary(op, try evaluate(left), try evaluate(right))
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map(evaluate) ?? .undefined
        }
    }
}

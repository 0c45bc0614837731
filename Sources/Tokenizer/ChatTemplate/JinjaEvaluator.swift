import Foundation

/// Renders parsed template nodes against a context of variables.
struct JinjaEvaluator {
    /// Innermost scope last; `for` bodies push a scope so their `set`s do not leak (as in Jinja).
    private var scopes: [[String: JinjaValue]]
    private var output = ""
    private var budget = JinjaBudget()
    /// `strftime_now`'s fields, computed at its first call: one instant per render, and no formatting per call.
    private var strftimeFields: [Character: String]?

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
            try budget.step()
            switch node {
            case .text(let text):
                try write(text)
            case .output(let expression):
                let value = try evaluate(expression)
                if case .string(let text) = value { try write(text) } else {
                    try budget.process(value)
                    try write(value.text)
                }
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
                    try budget.checkNamespaceAttribute(newValue)
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

    private mutating func write(_ text: String) throws {
        try JinjaLimits.checkString(output.utf8.count + text.utf8.count)
        output += text
    }

    private mutating func executeFor(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?,
                                     body: [JinjaNode], otherwise: [JinjaNode]) throws {
        var items: [JinjaValue]
        let iterated = try evaluate(iterable)
        if case .list = iterated {} else { try budget.process(bytes: iterated.shallowSize) }  // strings and keys are copied
        switch iterated {
        case .list(let list): items = list
        case .dictionary(let dictionary): items = dictionary.keys.map { .string($0) }
        case .string(let string): items = try JinjaLimits.characters(string)
        case .undefined, .none: items = []
        case let other: throw TokenizerError.templateError("cannot iterate over \(other.typeName)")
        }
        if let condition {
            items = try items.filter { item in
                try budget.loopIteration()
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
            try budget.loopIteration()
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

    /// Values an operation builds go through `budget.produced`, which enforces the size limits and charges them;
    /// operations whose cost grows with an operand (comparing, searching, indexing a string) charge that operand.
    mutating func evaluate(_ expression: JinjaExpression) throws -> JinjaValue {
        try budget.step()
        switch expression {
        case .literal(let literal):
            return JinjaValue(literal)
        case .name(let name):
            return lookup(name)
        case .list(let items):
            return try budget.produced(.list(try items.map { try evaluate($0) }))
        case .dictionary(let pairs):
            var dictionary = JinjaDictionary()
            for pair in pairs {
                guard case .string(let key) = try evaluate(pair.key) else {
                    throw TokenizerError.templateError("dictionary keys must be strings")
                }
                dictionary[key] = try evaluate(pair.value)
            }
            return try budget.produced(.dictionary(dictionary))
        case .attribute(let base, let name):
            return try JinjaBuiltins.member(of: try evaluate(base), name, description: name)
        case .index(let base, let index):
            let container = try evaluate(base)
            if case .string(let string) = container { try budget.process(bytes: string.utf8.count) }
            return try JinjaBuiltins.item(of: container, try evaluate(index))
        case .slice(let base, let start, let stop, let step):
            let container = try evaluate(base)
            try budget.process(bytes: container.shallowSize)
            let (start, stop, step) = (try start.map { try evaluate($0) }, try stop.map { try evaluate($0) }, try step.map { try evaluate($0) })
            return try budget.produced(try JinjaBuiltins.slice(container, start: start, stop: stop, step: step))
        case .call(let callee, let arguments, let keywordArguments):
            let positional = try arguments.map { try evaluate($0) }
            var keywords = JinjaDictionary()
            for argument in keywordArguments { keywords[argument.name] = try evaluate(argument.value) }
            switch callee {
            case .name("strftime_now"):
                guard case .string(let format)? = positional.first else { throw TokenizerError.templateError("strftime_now() takes a format string") }
                if strftimeFields == nil { strftimeFields = JinjaBuiltins.strftimeFields(Date()) }
                return try budget.produced(.string(JinjaBuiltins.strftime(format, fields: strftimeFields!)))
            case .name(let name):
                if name == "namespace" { for value in keywords.values.values { try budget.checkNamespaceAttribute(value) } }
                return try budget.produced(try JinjaBuiltins.callGlobal(name, positional, keywords))
            case .attribute(let base, let method):
                let receiver = try evaluate(base)
                try budget.process(bytes: receiver.shallowSize + positional.reduce(0) { $0 + $1.shallowSize })
                return try budget.produced(try JinjaBuiltins.callMethod(method, on: receiver, positional))
            default:
                throw TokenizerError.templateError("only global functions and methods can be called")
            }
        case .filter(let base, let name, let arguments):
            let value = try evaluate(base)
            let arguments = try arguments.map { try evaluate($0) }
            // Filters that print or compare nested values work through all of them.
            let deep = ["join", "tojson", "string", "selectattr", "rejectattr", "select", "reject"].contains(name)
            try deep ? budget.process(value) : budget.process(bytes: value.shallowSize)
            return try budget.produced(try JinjaBuiltins.filter(name, value, arguments))
        case .test(let base, let name, let arguments, let negated):
            let value = try evaluate(base)
            let arguments = try arguments.map { try evaluate($0) }
            try budget.process(value)
            for argument in arguments { try budget.process(argument) }
            let result = try JinjaBuiltins.test(name, value, arguments)
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
            let (left, right) = (try evaluate(left), try evaluate(right))
            // Comparing, searching and printing (`~` of a list) walk the whole operands.
            try budget.process(left)
            try budget.process(right)
            return try budget.produced(try JinjaBuiltins.binary(op, left, right))
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map { try evaluate($0) } ?? .undefined
        }
    }
}

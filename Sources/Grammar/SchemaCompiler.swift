/// JSON Schema (the subset in README "Structured outputs") -> an NFA of rules. Rule 0 is the whole value.
///
/// Subschemas are inlined; a `$ref` back into a schema being inlined (recursion) becomes a call of a rule for
/// that target, and values of any JSON type are calls of the `any` rule (arbitrary nesting). Output is compact
/// JSON with properties in `properties` order.
struct SchemaCompiler {
    static let annotations: Set<String> = [
        "title", "description", "examples", "$schema", "$id", "id", "default", "$comment", "deprecated", "readOnly",
        "writeOnly", "$vocabulary",
    ]
    /// JSON Schema's own keywords (drafts 4 to 2020-12) that this compiler does not enforce: a schema using one is
    /// refused, since dropping it could admit output the schema rejects. A member outside JSON Schema's vocabulary
    /// (`self` in Snowplow schemas, `javaName`, OpenAPI's `nullable`) constrains nothing — validators ignore it — so it
    /// is ignored here too, like an annotation.
    static let unsupported: Set<String> = [
        "multipleOf", "uniqueItems", "contains", "minContains", "maxContains", "minProperties", "maxProperties",
        "propertyNames", "patternProperties", "dependentRequired", "dependentSchemas", "dependencies", "additionalItems",
        "unevaluatedItems", "unevaluatedProperties", "not", "if", "then", "else", "$dynamicRef", "$dynamicAnchor",
        "$recursiveRef", "$recursiveAnchor", "$anchor", "contentEncoding", "contentMediaType", "contentSchema",
    ]
    static let keywords: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "prefixItems", "minItems",
        "maxItems", "$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "minLength", "maxLength", "pattern",
        "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    ]
    static let jsonTypes = ["null", "boolean", "object", "array", "number", "string", "integer"]

    private enum PendingRule {
        case any
        case schema(pointer: String)
    }

    let document: JSONValue
    private(set) var nfa = NFA()
    private(set) var rules: [Fragment] = []
    private var ruleIds: [String: Int] = [:]
    private var pending: [(id: Int, rule: PendingRule)] = []
    /// Targets of `$ref`s being inlined right now: a `$ref` to one of them is recursion.
    private var expanding: [String] = []
    private var mergeDepth = 0
    /// How many `enum` checks this compiler is nested in (each compiles the rest of its schema on its own).
    private let enumDepth: Int
    /// The schema's determinization work so far (its ByteDFAs, the enum checks' compilers), which GrammarTables continues.
    private(set) var budget: DeterminizationBudget

    init(document: JSONValue, enumDepth: Int = 0, budget: DeterminizationBudget = DeterminizationBudget()) {
        self.document = document
        self.enumDepth = enumDepth
        self.budget = budget
    }

    /// Compiles `schema` (found at `pointer` in the document) as rule 0, then every rule it calls.
    /// `isWholeSchema`: `schema` is the one at `pointer` (a `$ref` to it is then recursion into rule 0).
    mutating func compile(root schema: JSONValue, at pointer: String, isWholeSchema: Bool = true) throws(GrammarError) {
        rules = [Fragment(start: 0, end: 0)]
        if isWholeSchema {
            ruleIds[pointer] = 0
            expanding = [pointer]
        }
        rules[0] = try compile(schema, at: pointer)
        while let (id, rule) = pending.popLast() {
            switch rule {
            case .any:
                rules[id] = anyValueBody(rule: id)
            case .schema(let target):
                expanding = [target]
                rules[id] = try compile(try lookup(target, from: target), at: target)
            }
        }
    }

    // MARK: - Schemas

    private mutating func compile(_ schema: JSONValue, at pointer: String) throws(GrammarError) -> Fragment {
        let members: [(key: String, value: JSONValue)]
        switch schema {
        case .bool(true): return anyValue()
        case .bool(false): throw GrammarError(message: "schema 'false' admits no value", pointer: pointer)
        case .object(let object): members = object
        default: throw GrammarError(message: "a schema must be an object or a boolean", pointer: pointer)
        }
        try Self.checkKeywords(members, at: pointer)
        if nfa.numStates > nfa.stateLimit {
            throw GrammarError(message: "the schema needs more than \(nfa.stateLimit) automaton states", pointer: pointer)
        }
        let constraints = members.filter { Self.isConstraint($0.key) }
        if constraints.contains(where: { $0.key == "allOf" }) || (schema["$ref"] != nil && constraints.count > 1) {
            return try compile(try merge([schema], at: pointer), at: pointer)
        }
        if let reference = schema["$ref"] { return try self.reference(reference, at: appendPointer(pointer, "$ref")) }
        for key in ["anyOf", "oneOf"] {
            guard let value = schema[key] else { continue }
            // oneOf is compiled as anyOf: the grammar cannot tell "exactly one" (document: keep branches disjoint).
            let branches = try Self.schemaArray(value, key, at: pointer)
            let rest = constraints.filter { $0.key != key }
            var fragments: [Fragment] = []
            for (index, branch) in branches.enumerated() {
                let branchPointer = appendPointer(appendPointer(pointer, key), String(index))
                let merged = rest.isEmpty ? branch : try merge([.object(rest), branch], at: branchPointer)
                fragments.append(try compile(merged, at: branchPointer))
            }
            return fragments.isEmpty ? nfa.nothing() : nfa.alternation(fragments)
        }
        if schema["enum"] != nil || schema["const"] != nil { return try enumeration(constraints, at: pointer) }
        return try typed(constraints, at: pointer)
    }

    static func isConstraint(_ key: String) -> Bool {
        (keywords.contains(key) || unsupported.contains(key)) && key != "$defs" && key != "definitions"
    }

    static func checkKeywords(_ members: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) {
        for (key, value) in members where unsupported.contains(key) && !isSatisfied(key, value, by: members) {
            throw GrammarError.unsupported(key, at: appendPointer(pointer, key))
        }
    }

    /// Keywords of `unsupported` that whatever this compiler generates for `members` satisfies anyway, so enforcing
    /// them takes nothing: one about a type the schema's `type` excludes; `uniqueItems: false` or with at most one
    /// item; object keywords about members that are never generated (no extra members are generated when
    /// `additionalProperties` is false, or absent beside `properties`; an object with neither `properties` nor
    /// `required` beside `patternProperties` / `propertyNames` / `dependencies` is generated as `{}`); member counts
    /// the listed and required members already meet; `multipleOf: 1` on integers; `then` / `else` without `if`.
    static func isSatisfied(_ key: String, _ value: JSONValue, by members: [(key: String, value: JSONValue)]) -> Bool {
        func member(_ name: String) -> JSONValue? { members.first { $0.key == name }?.value }
        let types: [String]? = switch member("type") {
        case .string(let type): [type]
        case .array(let list): list.compactMap { if case .string(let type) = $0 { type } else { nil } }
        default: nil
        }
        func excludes(_ wanted: [String]) -> Bool { types.map { Set($0).isDisjoint(with: wanted) } ?? false }
        let objectKeywords: Set<String> = [
            "minProperties", "maxProperties", "patternProperties", "propertyNames", "dependencies", "dependentRequired",
            "dependentSchemas", "unevaluatedProperties",
        ]
        let arrayKeywords: Set<String> = ["uniqueItems", "contains", "minContains", "maxContains", "additionalItems", "unevaluatedItems"]
        if objectKeywords.contains(key), excludes(["object"]) { return true }
        if arrayKeywords.contains(key), excludes(["array"]) { return true }
        if key == "multipleOf", excludes(["number", "integer"]) { return true }

        var listed: Set<String> = []
        if case .object(let properties) = member("properties") { listed.formUnion(properties.map(\.key)) }
        if case .array(let names) = member("required") {
            for case .string(let name) in names { listed.insert(name) }
        }
        let additional = member("additionalProperties")
        let onlyListed = additional == .bool(false) || (additional == nil && member("properties") != nil)
            || (additional == nil && listed.isEmpty && member("properties") == nil)
        switch key {
        case "uniqueItems":
            return value == .bool(false) || (member("maxItems")?.doubleValue ?? 2) <= 1
        case "minProperties":
            var required = 0
            if case .array(let names) = member("required") {
                required = Set(names.compactMap { if case .string(let name) = $0 { name } else { nil } }).count
            }
            return (value.doubleValue ?? 1) <= Double(required)
        case "maxProperties":
            return onlyListed && Double(listed.count) <= (value.doubleValue ?? -1)
        case "patternProperties", "propertyNames", "unevaluatedProperties":
            return onlyListed && listed.isEmpty
        case "dependencies", "dependentRequired", "dependentSchemas":
            // Only a member that is generated can trigger a dependency.
            guard onlyListed, case .object(let dependencies) = value else { return false }
            return dependencies.allSatisfy { !listed.contains($0.key) }
        case "multipleOf":
            return value.doubleValue == 1 && types == ["integer"]
        case "then", "else":
            return member("if") == nil
        default:
            return false
        }
    }

    static func schemaArray(_ value: JSONValue, _ key: String, at pointer: String) throws(GrammarError) -> [JSONValue] {
        guard case .array(let items) = value, !items.isEmpty else {
            throw GrammarError.invalid(key, at: appendPointer(pointer, key), "expected a non-empty array of schemas")
        }
        return items
    }

    // MARK: - $ref

    private mutating func reference(_ value: JSONValue, at pointer: String) throws(GrammarError) -> Fragment {
        guard case .string(let text) = value else { throw GrammarError.invalid("$ref", at: pointer, "expected a string") }
        let target = try Self.targetPointer(text, at: pointer)
        if expanding.contains(target) { return nfa.call(ruleId(for: target)) }
        let schema = try lookup(target, from: pointer)
        expanding.append(target)
        defer { expanding.removeLast() }
        return try compile(schema, at: target)
    }

    /// "#/$defs/a%20b" -> "/$defs/a b" (still ~-escaped).
    static func targetPointer(_ reference: String, at pointer: String) throws(GrammarError) -> String {
        guard reference.hasPrefix("#") else {
            throw GrammarError(message: "only local $ref ('#...') is supported, got '\(reference)'", keyword: "$ref", pointer: pointer)
        }
        let fragment = String(reference.dropFirst())
        guard fragment.isEmpty || fragment.hasPrefix("/") else {
            throw GrammarError(message: "$ref to an anchor ('\(reference)') is not supported", keyword: "$ref", pointer: pointer)
        }
        return percentDecoded(fragment)
    }

    private func lookup(_ target: String, from pointer: String) throws(GrammarError) -> JSONValue {
        var value = document
        for token in target.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = unescapePointerToken(token)
            switch value {
            case .object: if let next = value[key] { value = next; continue }
            case .array(let items): if let index = Int(key), items.indices.contains(index) { value = items[index]; continue }
            default: break
            }
            throw GrammarError(message: "$ref target '#\(target)' does not exist", keyword: "$ref", pointer: pointer)
        }
        return value
    }

    private mutating func ruleId(for key: String) -> Int {
        if let id = ruleIds[key] { return id }
        let id = rules.count
        rules.append(Fragment(start: 0, end: 0))
        ruleIds[key] = id
        pending.append((id, key == "<any>" ? .any : .schema(pointer: key)))
        return id
    }

    // MARK: - allOf and $ref with siblings

    /// One schema object equivalent to all of `schemas` together (allOf and $ref flattened); refuses what it
    /// cannot merge exactly.
    private mutating func merge(_ schemas: [JSONValue], at pointer: String) throws(GrammarError) -> JSONValue {
        mergeDepth += 1
        defer { mergeDepth -= 1 }
        guard mergeDepth < 32 else {
            throw GrammarError(message: "allOf / $ref merging does not terminate (recursive $ref)", keyword: "allOf", pointer: pointer)
        }
        // Members in order: a $ref's target, then allOf's members, then the schema's own keywords (so a base
        // type's properties come before those added next to the $ref).
        var parts: [[(key: String, value: JSONValue)]] = []
        var steps = 0
        func flatten(_ schema: JSONValue, _ compiler: SchemaCompiler) throws(GrammarError) {
            steps += 1
            guard steps < 256 else {
                throw GrammarError(message: "allOf / $ref merging does not terminate (recursive $ref)", keyword: "allOf", pointer: pointer)
            }
            switch schema {
            case .bool(true): return
            case .bool(false): throw GrammarError(message: "schema 'false' admits no value", keyword: "allOf", pointer: pointer)
            case .object(let members):
                try Self.checkKeywords(members, at: pointer)
                if let reference = schema["$ref"] {
                    guard case .string(let text) = reference else { throw GrammarError.invalid("$ref", at: pointer, "expected a string") }
                    try flatten(try compiler.lookup(try Self.targetPointer(text, at: pointer), from: pointer), compiler)
                }
                if let all = schema["allOf"] {
                    for member in try Self.schemaArray(all, "allOf", at: pointer) { try flatten(member, compiler) }
                }
                let rest = members.filter { Self.isConstraint($0.key) && $0.key != "allOf" && $0.key != "$ref" }
                if !rest.isEmpty { parts.append(rest) }
            default: throw GrammarError(message: "a schema must be an object or a boolean", pointer: pointer)
            }
        }
        for schema in schemas { try flatten(schema, self) }
        var merged: [(key: String, value: JSONValue)] = []
        func index(of key: String) -> Int? { merged.firstIndex { $0.key == key } }
        func set(_ key: String, _ value: JSONValue) {
            if let i = index(of: key) { merged[i].value = value } else { merged.append((key, value)) }
        }
        for part in parts {
            for (key, value) in part {
                guard let existing = index(of: key).map({ merged[$0].value }) else { set(key, value); continue }
                if existing == value { continue }
                switch key {
                case "type":
                    let a = try Self.typeList(existing, at: pointer), b = try Self.typeList(value, at: pointer)
                    var both = a.filter { b.contains($0) }
                    if a.contains("number"), b.contains("integer"), !both.contains("integer") { both.append("integer") }
                    if b.contains("number"), a.contains("integer"), !both.contains("integer") { both.append("integer") }
                    set(key, .array(both.map { .string($0) }))
                case "properties":
                    guard case .object(var a) = existing, case .object(let b) = value else {
                        throw GrammarError.invalid(key, at: appendPointer(pointer, key), "expected an object")
                    }
                    for (name, schema) in b {
                        if let i = a.firstIndex(where: { $0.key == name }) {
                            a[i].value = .object([("allOf", .array([a[i].value, schema]))])
                        } else {
                            a.append((name, schema))
                        }
                    }
                    set(key, .object(a))
                case "required":
                    guard case .array(let a) = existing, case .array(let b) = value else {
                        throw GrammarError.invalid(key, at: appendPointer(pointer, key), "expected an array")
                    }
                    set(key, .array(a + b.filter { !a.contains($0) }))
                case "enum", "const":
                    let a = key == "enum" ? (try Self.enumValues(existing, at: pointer)) : [existing]
                    let b = key == "enum" ? (try Self.enumValues(value, at: pointer)) : [value]
                    set("enum", .array(a.filter { b.contains($0) }))
                    if key == "const", let i = index(of: "const") { merged.remove(at: i) }
                case "minLength", "minItems", "minimum", "exclusiveMinimum":
                    if (value.doubleValue ?? 0) > (existing.doubleValue ?? 0) { set(key, value) }
                case "maxLength", "maxItems", "maximum", "exclusiveMaximum":
                    if (value.doubleValue ?? 0) < (existing.doubleValue ?? 0) { set(key, value) }
                default:
                    throw GrammarError(message: "allOf: cannot merge two different '\(key)'", keyword: key, pointer: pointer)
                }
            }
        }
        // A member's additionalProperties applies to the properties other members add.
        for part in parts {
            guard let additional = part.first(where: { $0.key == "additionalProperties" })?.value, additional != .bool(true),
                  let i = index(of: "properties"), case .object(var properties) = merged[i].value else { continue }
            let own: [String]
            if let ownProperties = part.first(where: { $0.key == "properties" })?.value, case .object(let members) = ownProperties {
                own = members.map(\.key)
            } else {
                own = []
            }
            let required: [JSONValue] = index(of: "required").flatMap { if case .array(let names) = merged[$0].value { names } else { nil } } ?? []
            var kept: [(key: String, value: JSONValue)] = []
            for (name, schema) in properties {
                if own.contains(name) { kept.append((name, schema)); continue }
                if additional == .bool(false) {
                    if required.contains(.string(name)) {
                        throw GrammarError(message: "allOf: required property '\(name)' is forbidden by additionalProperties: false",
                                           keyword: "additionalProperties", pointer: pointer)
                    }
                    continue
                }
                kept.append((name, .object([("allOf", .array([schema, additional]))])))
            }
            properties = kept
            merged[i].value = .object(properties)
        }
        return .object(merged)
    }

    // MARK: - enum / const

    static func enumValues(_ value: JSONValue, at pointer: String) throws(GrammarError) -> [JSONValue] {
        guard case .array(let values) = value else { throw GrammarError.invalid("enum", at: appendPointer(pointer, "enum"), "expected an array") }
        return values
    }

    private mutating func enumeration(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        var values: [JSONValue]? = nil
        if let list = constraints.first(where: { $0.key == "enum" })?.value { values = try Self.enumValues(list, at: pointer) }
        if let constant = constraints.first(where: { $0.key == "const" })?.value {
            values = values.map { $0.filter { $0 == constant } } ?? [constant]
        }
        var candidates = values ?? []
        let rest = constraints.filter { $0.key != "enum" && $0.key != "const" }
        if !rest.isEmpty {
            // Keep the values the rest of the schema admits, checked by running its own grammar over each one.
            guard enumDepth < 4 else {
                throw GrammarError(message: "enum/const inside a recursive schema is not supported", keyword: "enum", pointer: pointer)
            }
            var sub = SchemaCompiler(document: document, enumDepth: enumDepth + 1, budget: budget)
            try sub.compile(root: .object(rest), at: pointer, isWholeSchema: false)
            budget = sub.budget
            let tables = try GrammarTables(sub, budget: &budget)
            candidates = candidates.filter { tables.accepts(Array($0.compactText.utf8)) }
        }
        return candidates.isEmpty ? nfa.nothing() : nfa.alternation(candidates.map { nfa.literal($0.compactText) })
    }

    // MARK: - Types

    static func typeList(_ value: JSONValue, at pointer: String) throws(GrammarError) -> [String] {
        let names: [JSONValue]
        switch value {
        case .string: names = [value]
        case .array(let items): names = items
        default: throw GrammarError.invalid("type", at: appendPointer(pointer, "type"), "expected a string or an array of strings")
        }
        var result: [String] = []
        for name in names {
            guard case .string(let text) = name, jsonTypes.contains(text) else {
                throw GrammarError.invalid("type", at: appendPointer(pointer, "type"), "unknown type \(name.compactText)")
            }
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    private mutating func typed(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        func has(_ keys: [String]) -> Bool { constraints.contains { keys.contains($0.key) } }
        var types: [String]
        if let value = constraints.first(where: { $0.key == "type" })?.value {
            types = try Self.typeList(value, at: pointer)
        } else if constraints.isEmpty {
            return anyValue()
        } else {
            types = ["null", "boolean", "number", "string", "object", "array"]
        }
        if types.contains("number") { types.removeAll { $0 == "integer" } }
        var options: [Fragment] = []
        for type in types {
            switch type {
            case "null": options.append(nfa.literal("null"))
            case "boolean": options.append(nfa.alternation([nfa.literal("true"), nfa.literal("false")]))
            case "integer": options.append(try integer(constraints, at: pointer))
            case "number": options.append(try number(constraints, at: pointer))
            case "string": options.append(try string(constraints, at: pointer))
            case "object": options.append(try object(constraints, at: pointer))
            default: options.append(try array(constraints, at: pointer))
            }
        }
        return options.isEmpty ? nfa.nothing() : nfa.alternation(options)
    }

    static func count(_ key: String, in constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Int? {
        guard let value = constraints.first(where: { $0.key == key })?.value else { return nil }
        guard let number = value.doubleValue, number >= 0, number == number.rounded(), number < 1e9 else {
            throw GrammarError.invalid(key, at: appendPointer(pointer, key), "expected a non-negative integer")
        }
        return Int(number)
    }

    // MARK: Numbers

    private struct Bounds {
        var lower: Double?, lowerInclusive = true, lowerKey = ""
        var upper: Double?, upperInclusive = true, upperKey = ""
    }

    private static func bounds(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Bounds {
        var bounds = Bounds()
        for (key, value) in constraints where ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].contains(key) {
            guard let number = value.doubleValue, number.isFinite else {
                throw GrammarError.invalid(key, at: appendPointer(pointer, key), "expected a number")
            }
            let exclusive = key.hasPrefix("exclusive")
            if key.hasSuffix("inimum") {
                if bounds.lower.map({ number > $0 || (number == $0 && exclusive) }) ?? true {
                    bounds.lower = number; bounds.lowerInclusive = !exclusive; bounds.lowerKey = key
                }
            } else if bounds.upper.map({ number < $0 || (number == $0 && exclusive) }) ?? true {
                bounds.upper = number; bounds.upperInclusive = !exclusive; bounds.upperKey = key
            }
        }
        return bounds
    }

    private static func int64(_ value: Double, _ key: String, at pointer: String) throws(GrammarError) -> Int64 {
        guard abs(value) < 9.0e18 else { throw GrammarError.invalid(key, at: appendPointer(pointer, key), "bound out of range") }
        return Int64(value)
    }

    private mutating func integer(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        let bounds = try Self.bounds(constraints, at: pointer)
        var low: Int64?, high: Int64?
        if let lower = bounds.lower {
            low = try Self.int64(bounds.lowerInclusive ? lower.rounded(.up) : lower.rounded(.down) + 1, bounds.lowerKey, at: pointer)
        }
        if let upper = bounds.upper {
            high = try Self.int64(bounds.upperInclusive ? upper.rounded(.down) : upper.rounded(.up) - 1, bounds.upperKey, at: pointer)
        }
        return nfa.integers(min: low, max: high)
    }

    private mutating func number(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        let bounds = try Self.bounds(constraints, at: pointer)
        if bounds.lower == nil, bounds.upper == nil { return nfa.freeNumber() }
        // Exact only for integer bounds (then a decimal's integer and fraction parts decide); others are refused.
        for (value, key) in [(bounds.lower, bounds.lowerKey), (bounds.upper, bounds.upperKey)] {
            if let value, value != value.rounded() {
                throw GrammarError(message: "'\(key)' \(value) on a number cannot be enforced exactly (only integer bounds)",
                                   keyword: key, pointer: appendPointer(pointer, key))
            }
        }
        return nfa.boundedNumbers(
            lower: try bounds.lower.map { (value: Double) throws(GrammarError) in try Self.int64(value, bounds.lowerKey, at: pointer) },
            lowerInclusive: bounds.lowerInclusive,
            upper: try bounds.upper.map { (value: Double) throws(GrammarError) in try Self.int64(value, bounds.upperKey, at: pointer) },
            upperInclusive: bounds.upperInclusive)
    }

    // MARK: Strings

    private mutating func string(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        let minLength = try Self.count("minLength", in: constraints, at: pointer) ?? 0
        let maxLength = try Self.count("maxLength", in: constraints, at: pointer)
        var regexes: [(String, String)] = []
        if let pattern = constraints.first(where: { $0.key == "pattern" })?.value {
            guard case .string(let text) = pattern else { throw GrammarError.invalid("pattern", at: appendPointer(pointer, "pattern"), "expected a string") }
            regexes.append((text, "pattern"))
        }
        if let format = constraints.first(where: { $0.key == "format" })?.value {
            if case .string(let name) = format, let regex = StringFormat.pattern(name) {
                regexes.append((regex, "format"))
            } else if case .string(let name) = format, !StringFormat.standardNames.contains(name) {
                // Not a format JSON Schema defines (OpenAPI's int32, password, ...): an annotation to validators.
            } else {
                throw GrammarError(message: "unsupported format \(format.compactText)", keyword: "format", pointer: appendPointer(pointer, "format"))
            }
        }
        let hasLength = minLength > 0 || maxLength != nil
        if !hasLength && regexes.isEmpty { return nfa.freeString() }
        if let maxLength, maxLength < minLength { return nfa.nothing() }
        let lengthLimit = regexes.isEmpty ? 10_000 : 1_000
        if max(minLength, maxLength ?? 0) > lengthLimit {
            throw GrammarError(message: "string lengths above \(lengthLimit) are not supported here",
                               keyword: maxLength.map { $0 > lengthLimit } ?? false ? "maxLength" : "minLength", pointer: pointer)
        }
        var contents: [Fragment] = []
        if hasLength {
            contents.append(try nfa.repeated(min: minLength, max: maxLength) { (nfa: inout NFA) in nfa.anyJSONCharacter() })
        }
        for (regex, key) in regexes {
            let node: RegexNode
            do {
                node = try RegexNode.parse(regex)
            } catch {
                throw GrammarError(message: "unsupported pattern: \(error.message)", keyword: key, pointer: appendPointer(pointer, key))
            }
            do {
                contents.append(try node.emit(into: &nfa))
            } catch {
                throw GrammarError(message: error.message, keyword: key, pointer: appendPointer(pointer, key))
            }
        }
        var content = contents[0]
        if contents.count > 1 {
            guard var dfa = try ByteDFA(nfa, contents[0], budget: &budget) else { return nfa.nothing() }
            for other in contents.dropFirst() {
                guard let next = try ByteDFA(nfa, other, budget: &budget) else { return nfa.nothing() }
                dfa = try dfa.intersection(next, budget: &budget)
            }
            content = dfa.emit(into: &nfa)
        }
        return nfa.sequence([nfa.literal("\""), content, nfa.literal("\"")])
    }

    // MARK: Objects

    private mutating func object(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        var properties: [(name: String, schema: JSONValue, pointer: String, required: Bool)] = []
        if let value = constraints.first(where: { $0.key == "properties" })?.value {
            guard case .object(let members) = value else { throw GrammarError.invalid("properties", at: appendPointer(pointer, "properties"), "expected an object") }
            for (name, schema) in members { properties.append((name, schema, appendPointer(appendPointer(pointer, "properties"), name), false)) }
        }
        var additional = constraints.first(where: { $0.key == "additionalProperties" })?.value
        let constrainsNames = constraints.contains {
            ["patternProperties", "propertyNames", "dependencies", "dependentRequired", "dependentSchemas", "unevaluatedProperties",
             "maxProperties"].contains($0.key)
        }
        let hasRequired = constraints.contains { $0.key == "required" }
        // With no `properties` either, an object schema says nothing about members: any are allowed — unless it
        // constrains members by name, which generating none satisfies (`isSatisfied`).
        if additional == nil, properties.isEmpty { additional = constrainsNames && !hasRequired ? .bool(false) : .bool(true) }
        if let value = constraints.first(where: { $0.key == "required" })?.value {
            guard case .array(let names) = value else { throw GrammarError.invalid("required", at: appendPointer(pointer, "required"), "expected an array of strings") }
            for name in names {
                guard case .string(let text) = name else { throw GrammarError.invalid("required", at: appendPointer(pointer, "required"), "expected an array of strings") }
                if let index = properties.firstIndex(where: { $0.name == text }) { properties[index].required = true; continue }
                if additional == .bool(false) {
                    throw GrammarError(message: "required property '\(text)' is forbidden by additionalProperties: false",
                                       keyword: "required", pointer: appendPointer(pointer, "required"))
                }
                properties.append((text, additional ?? .bool(true), appendPointer(pointer, "additionalProperties"), true))
            }
        }
        let open = nfa.literal("{")
        var noneYet: Int32? = open.end  // reached with no member written yet
        var someYet: Int32? = nil       // reached after at least one member
        for property in properties {
            let key = jsonQuoted(property.name) + ":"
            let join = nfa.addState()
            if let noneYet {
                let first = nfa.literal(key)
                nfa.epsilon(noneYet, first.start)
                nfa.epsilon(first.end, join)
            }
            if let someYet {
                let next = nfa.literal("," + key)
                nfa.epsilon(someYet, next.start)
                nfa.epsilon(next.end, join)
            }
            let value = try compile(property.schema, at: property.pointer)
            nfa.epsilon(join, value.start)
            let hub = nfa.addState()
            nfa.epsilon(value.end, hub)
            if !property.required {
                if let someYet { nfa.epsilon(someYet, hub) }
            } else {
                noneYet = nil
            }
            someYet = hub
        }
        if let additional, additional != .bool(false) {
            let additionalPointer = appendPointer(pointer, "additionalProperties")
            let loop = nfa.addState()
            if let noneYet {
                let first = nfa.sequence([try keyString(excluding: properties.map(\.name)), nfa.literal(":"), try compile(additional, at: additionalPointer)])
                nfa.epsilon(noneYet, first.start)
                nfa.epsilon(first.end, loop)
            }
            if let someYet { nfa.epsilon(someYet, loop) }
            let next = nfa.sequence([nfa.literal(","), try keyString(excluding: properties.map(\.name)), nfa.literal(":"),
                                     try compile(additional, at: additionalPointer)])
            nfa.epsilon(loop, next.start)
            nfa.epsilon(next.end, loop)
            someYet = loop
        }
        let close = nfa.literal("}")
        if let noneYet { nfa.epsilon(noneYet, close.start) }
        if let someYet { nfa.epsilon(someYet, close.start) }
        return Fragment(start: open.start, end: close.end)
    }

    /// A quoted key that is none of `names` (in the grammar's one encoding per string, so exclusion is exact).
    private mutating func keyString(excluding names: [String]) throws(GrammarError) -> Fragment {
        guard !names.isEmpty else { return nfa.freeString() }
        let all = nfa.sequence([nfa.literal("\""), nfa.star(nfa.jsonCharacter(.all)), nfa.literal("\"")])
        let listed = nfa.alternation(names.map { nfa.literal(jsonQuoted($0)) })
        guard let allDFA = try ByteDFA(nfa, all, budget: &budget), let listedDFA = try ByteDFA(nfa, listed, budget: &budget)
        else { return nfa.nothing() }
        return try allDFA.intersection(listedDFA.complement(), budget: &budget).emit(into: &nfa)
    }

    // MARK: Arrays

    private mutating func array(_ constraints: [(key: String, value: JSONValue)], at pointer: String) throws(GrammarError) -> Fragment {
        var prefix: [JSONValue] = []
        if let value = constraints.first(where: { $0.key == "prefixItems" })?.value {
            prefix = try Self.schemaArray(value, "prefixItems", at: pointer)
        }
        let items = constraints.first(where: { $0.key == "items" })?.value ?? .bool(true)
        if case .array = items {
            throw GrammarError.invalid("items", at: appendPointer(pointer, "items"), "expected a schema (use prefixItems for tuples)")
        }
        let minItems = try Self.count("minItems", in: constraints, at: pointer) ?? 0
        var maxItems = try Self.count("maxItems", in: constraints, at: pointer)
        if items == .bool(false) { maxItems = min(maxItems ?? prefix.count, prefix.count) }
        if let maxItems, minItems > maxItems { return nfa.nothing() }
        if max(minItems, maxItems ?? 0) > 1_000 {
            throw GrammarError(message: "array lengths above 1000 are not supported", keyword: "maxItems", pointer: pointer)
        }
        func schema(at index: Int) -> (JSONValue, String) {
            index < prefix.count
                ? (prefix[index], appendPointer(appendPointer(pointer, "prefixItems"), String(index)))
                : (items, appendPointer(pointer, "items"))
        }
        let open = nfa.literal("[")
        var closers: [Int32] = []
        var current = open.end
        let explicit = min(max(prefix.count, minItems), maxItems ?? Int.max)
        for index in 0..<explicit {
            if index >= minItems { closers.append(current) }
            let (itemSchema, itemPointer) = schema(at: index)
            let element = nfa.sequence([index == 0 ? nfa.empty() : nfa.literal(","), try compile(itemSchema, at: itemPointer)])
            nfa.epsilon(current, element.start)
            current = element.end
        }
        closers.append(current)
        let (itemSchema, itemPointer) = schema(at: explicit)
        if let maxItems {
            for index in explicit..<maxItems {
                let element = nfa.sequence([index == 0 ? nfa.empty() : nfa.literal(","), try compile(itemSchema, at: itemPointer)])
                nfa.epsilon(current, element.start)
                current = element.end
                closers.append(current)
            }
        } else {
            let loop = nfa.addState()
            if explicit == 0 {
                let first = try compile(itemSchema, at: itemPointer)
                nfa.epsilon(current, first.start)
                nfa.epsilon(first.end, loop)
            } else {
                nfa.epsilon(current, loop)
            }
            let next = nfa.sequence([nfa.literal(","), try compile(itemSchema, at: itemPointer)])
            nfa.epsilon(loop, next.start)
            nfa.epsilon(next.end, loop)
            closers.append(loop)
        }
        let close = nfa.literal("]")
        for closer in closers { nfa.epsilon(closer, close.start) }
        return Fragment(start: open.start, end: close.end)
    }

    // MARK: Any value

    private mutating func anyValue() -> Fragment { nfa.call(ruleId(for: "<any>")) }

    private mutating func anyValueBody(rule: Int) -> Fragment {
        let member = { (nfa: inout NFA) -> Fragment in nfa.sequence([nfa.freeString(), nfa.literal(":"), nfa.call(rule)]) }
        let object = nfa.sequence([
            nfa.literal("{"),
            nfa.optional(nfa.sequence([member(&nfa), nfa.star(nfa.sequence([nfa.literal(","), member(&nfa)]))])),
            nfa.literal("}"),
        ])
        let array = nfa.sequence([
            nfa.literal("["),
            nfa.optional(nfa.sequence([nfa.call(rule), nfa.star(nfa.sequence([nfa.literal(","), nfa.call(rule)]))])),
            nfa.literal("]"),
        ])
        return nfa.alternation([
            nfa.literal("null"), nfa.literal("true"), nfa.literal("false"), nfa.freeNumber(), nfa.freeString(), object, array,
        ])
    }
}

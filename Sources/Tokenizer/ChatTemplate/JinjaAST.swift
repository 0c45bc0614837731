/// A constant written in the template.
enum JinjaLiteral: Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case none
}

/// Expressions, in the subset of Jinja chat templates use.
indirect enum JinjaExpression: Sendable {
    case literal(JinjaLiteral)
    case name(String)
    case list([JinjaExpression])
    case dictionary([(key: JinjaExpression, value: JinjaExpression)])
    case attribute(JinjaExpression, String)
    case index(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, arguments: [JinjaExpression], keywordArguments: [(name: String, value: JinjaExpression)])
    case filter(JinjaExpression, name: String, arguments: [JinjaExpression])
    case test(JinjaExpression, name: String, arguments: [JinjaExpression], negated: Bool)
    case not(JinjaExpression)
    case negate(JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

/// Template statements.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression)
    case forLoop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode])
    case ifChain(branches: [(condition: JinjaExpression, body: [JinjaNode])], otherwise: [JinjaNode])
    /// `{% set name = value %}` or `{% set namespace.attribute = value %}`.
    case set(name: String, attribute: String?, value: JinjaExpression)
    /// `{% break %}` / `{% continue %}` (transformers enables Jinja's loopcontrols extension).
    case breakLoop
    case continueLoop
}

import Foundation
import Grammar
import Model

/// Validated sampling and stopping options of one request, shared by both endpoints. Every range is
/// checked here so the engine only ever sees sane values; each violation is a 400 naming its field.
struct GenerationOptions: Sendable {
    var sampling: SamplingParams
    var stopStrings: [String]
    var ignoreEos: Bool
    var skipSpecialTokens: Bool
    /// Choices per prompt.
    var n: Int
    var stream: Bool
    var includeUsage: Bool
    var prediction: PredictionInput?
    var allowsSpeculation: Bool

    static let maxN = 8
    static let maxStopStrings = 4
    static let maxTopLogprobs = 20

    init(_ input: SamplingInput, numTopLogprobs: Int?, vocabularySize: Int) throws(APIError) {
        let temperature = input.temperature ?? 1
        try Self.check(temperature, "temperature", in: 0...2)
        let topP = input.topP ?? 1
        guard topP > 0, topP <= 1 else {
            throw APIError.invalidRequest("top_p must be in (0, 1] (got \(topP)).", param: "top_p")
        }
        let topK = input.topK ?? 0
        guard topK >= -1 else {
            throw APIError.invalidRequest(
                "top_k must be -1 or 0 (disabled) or a positive integer (got \(topK)).", param: "top_k")
        }
        let minP = input.minP ?? 0
        try Self.check(minP, "min_p", in: 0...1)
        let presencePenalty = input.presencePenalty ?? 0
        try Self.check(presencePenalty, "presence_penalty", in: -2...2)
        let frequencyPenalty = input.frequencyPenalty ?? 0
        try Self.check(frequencyPenalty, "frequency_penalty", in: -2...2)
        let repetitionPenalty = input.repetitionPenalty ?? 1
        guard repetitionPenalty > 0, repetitionPenalty <= 100 else {
            throw APIError.invalidRequest(
                "repetition_penalty must be in (0, 100] (got \(repetitionPenalty)).", param: "repetition_penalty")
        }
        n = input.n ?? 1
        guard (1...Self.maxN).contains(n) else {
            throw APIError.invalidRequest("n must be in 1...\(Self.maxN) (got \(n)).", param: "n")
        }
        let stops = input.stop?.strings ?? []
        guard stops.count <= Self.maxStopStrings else {
            throw APIError.invalidRequest(
                "stop accepts at most \(Self.maxStopStrings) strings (got \(stops.count)).", param: "stop")
        }
        // An empty stop string would end every generation at once; OpenAI ignores it too.
        stopStrings = stops.filter { !$0.isEmpty }
        stream = input.stream ?? false
        if input.streamOptions != nil && !stream {
            throw APIError.invalidRequest("stream_options is only allowed when stream is true.", param: "stream_options")
        }
        includeUsage = input.streamOptions?.includeUsage ?? false
        prediction = input.prediction
        allowsSpeculation = input.speculate ?? true
        ignoreEos = input.ignoreEos ?? false
        skipSpecialTokens = input.skipSpecialTokens ?? true
        let logitBias = try Self.logitBias(input.logitBias ?? [:], vocabularySize: vocabularySize)
        sampling = SamplingParams(
            temperature: Float(temperature), topP: Float(topP), topK: max(0, topK), minP: Float(minP),
            presencePenalty: Float(presencePenalty), frequencyPenalty: Float(frequencyPenalty),
            repetitionPenalty: Float(repetitionPenalty), seed: input.seed.map { UInt64(bitPattern: Int64($0)) },
            numTopLogprobs: numTopLogprobs, logitBias: logitBias)
    }

    /// `logit_bias` checked: each key a token id of the vocabulary, each bias in -100...100 (OpenAI's range).
    private static func logitBias(_ input: [String: Double], vocabularySize: Int) throws(APIError) -> [Int: Float] {
        var bias: [Int: Float] = [:]
        for (key, value) in input.sorted(by: { $0.key < $1.key }) {
            guard let token = Int(key), (0..<vocabularySize).contains(token) else {
                throw APIError.invalidRequest(
                    "logit_bias keys must be token ids in 0...\(vocabularySize - 1) (got '\(key)').", param: "logit_bias")
            }
            guard (-100...100).contains(value) else {
                throw APIError.invalidRequest(
                    "logit_bias values must be in [-100, 100] (got \(value) for token \(token)).", param: "logit_bias")
            }
            bias[token] = Float(value)
        }
        return bias
    }

    private static func check(_ value: Double, _ param: String, in range: ClosedRange<Double>) throws(APIError) {
        guard range.contains(value) else {
            throw APIError.invalidRequest(
                "\(param) must be in [\(range.lowerBound), \(range.upperBound)] (got \(value)).", param: param)
        }
    }

    /// The grammar `response_format` asks for, compiled (and cached) for `model`; nil for free text. 400 for a schema
    /// it cannot enforce, and for stop strings beside it: one would cut the JSON short while reporting a finished answer.
    func grammar(_ input: ResponseFormatInput?, body: Data, model: ServedModel) async throws(APIError) -> CompiledGrammar? {
        let grammar = try await model.grammar(for: ResponseFormat(input, body: body))
        if grammar != nil, !stopStrings.isEmpty {
            throw APIError.invalidRequest(
                "stop cannot be combined with a JSON response_format: the reply ends when the JSON value is complete.",
                param: "stop")
        }
        return grammar
    }

    /// 400 unless `value` (the number of top logprobs asked for) is in 0...20.
    static func checkTopLogprobs(_ value: Int, param: String) throws(APIError) {
        guard (0...maxTopLogprobs).contains(value) else {
            throw APIError.invalidRequest(
                "\(param) must be in 0...\(maxTopLogprobs) (got \(value)).", param: param)
        }
    }

    /// One engine request per choice of a prompt. Choice `i` draws with choice index `i` (its own random
    /// stream under the same seed), so the choices differ yet the whole response is reproducible.
    /// With a `grammar`, eos stays a stop token even with ignore_eos: the grammar allows it exactly when the JSON
    /// value is complete, and nothing else then.
    func generationRequests(
        promptTokens: [Int], maxTokens: Int, stopTokenIds: Set<Int>, predictionTokens: [Int]? = nil,
        grammar: CompiledGrammar? = nil
    ) -> [GenerationRequest] {
        (0..<n).map { index in
            var sampling = self.sampling
            sampling.choiceIndex = index
            return GenerationRequest(
                promptTokens: promptTokens, maxTokens: maxTokens, sampling: sampling, stopStrings: stopStrings,
                stopTokenIds: ignoreEos && grammar == nil ? [] : stopTokenIds, skipSpecialTokens: skipSpecialTokens,
                predictionTokens: predictionTokens, allowsSpeculation: allowsSpeculation, grammar: grammar)
        }
    }
}

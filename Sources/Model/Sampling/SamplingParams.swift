/// How to pick each next token, with OpenAI / vLLM meanings.
public struct SamplingParams: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    public var topP: Float
    /// 0 disables.
    public var topK: Int
    public var minP: Float
    /// Subtracted once from every token already generated.
    public var presencePenalty: Float
    /// Subtracted per occurrence of a token already generated.
    public var frequencyPenalty: Float
    /// > 1 discourages tokens seen in the prompt or output (logit / p when positive, · p when negative).
    public var repetitionPenalty: Float
    /// Same seed and same request give the same tokens.
    public var seed: UInt64?
    /// How many most likely alternatives to report per token; nil reports no logprobs at all.
    public var numTopLogprobs: Int?
    /// Which choice of an n > 1 request this sequence is: part of every draw's key, so choices sharing a seed
    /// still differ.
    public var choiceIndex: Int
    /// Added to a token's logit before anything else warps it (OpenAI's `logit_bias`, -100...100: -100 all but
    /// bans a token, 100 all but forces it).
    public var logitBias: [Int: Float]

    public init(temperature: Float = 1, topP: Float = 1, topK: Int = 0, minP: Float = 0, presencePenalty: Float = 0,
                frequencyPenalty: Float = 0, repetitionPenalty: Float = 1, seed: UInt64? = nil, numTopLogprobs: Int? = nil,
                choiceIndex: Int = 0, logitBias: [Int: Float] = [:]) {
        self.temperature = temperature; self.topP = topP; self.topK = topK; self.minP = minP
        self.presencePenalty = presencePenalty; self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty; self.seed = seed; self.numTopLogprobs = numTopLogprobs
        self.choiceIndex = choiceIndex; self.logitBias = logitBias
    }

    public static let greedy = SamplingParams(temperature: 0)

    var hasPenalties: Bool { presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1 || !logitBias.isEmpty }
}

public struct TokenLogprob: Sendable, Equatable {
    public var token: Int
    public var logprob: Float

    public init(token: Int, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

/// A sampled token, with its log-probability and the most likely alternatives when asked for.
/// Logprobs come from the model's raw distribution (before penalties and temperature), as vLLM reports them.
public struct SampledToken: Sendable, Equatable {
    public var token: Int
    public var logprob: Float?
    public var topLogprobs: [TokenLogprob]

    public init(token: Int, logprob: Float?, topLogprobs: [TokenLogprob]) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

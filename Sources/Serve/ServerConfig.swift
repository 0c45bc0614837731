import Foundation
import Model

/// The server's config file (`config.json` at the repository root). Missing fields take defaults.
struct ServerConfig: Codable, Sendable, Equatable {
    var host: String = "127.0.0.1"
    var port: Int = 8080
    /// Model served when `--model` is not given; a key of `models`.
    var defaultModel: String?
    var models: [String: ModelEntry] = [:]
    var scheduler: SchedulerSettings?
    var speculation: SpeculationSettings?
    /// How weight matrices are stored: "bf16" (default), "q8_0" or "q4_0"; `--dtype` overrides it. Kept a string
    /// here so a bad value is reported by `serve` with the accepted ones, not as a JSON decoding error.
    var dtype: String?

    struct ModelEntry: Codable, Sendable, Equatable {
        /// Model directory, relative to the config file's directory unless absolute.
        var path: String
        /// Script that fetches the weights into `path` (given as its argument), relative like `path`.
        var fetchScript: String?

        enum CodingKeys: String, CodingKey {
            case path
            case fetchScript = "fetch_script"
        }
    }

    struct SchedulerSettings: Codable, Sendable, Equatable {
        var maxNumSeqs: Int?
        var maxNumBatchedTokens: Int?
        var longPrefillTokenThreshold: Int?
        var longPrefillChunkTokens: Int?
        var blockSize: Int?
        var kvCacheMemoryMib: Int?
        /// How the KV cache stores K/V: "f32" (default) or "f16"; `--kv-cache-dtype` overrides it. A string, so a bad
        /// value is reported by `serve` with the accepted ones, not as a JSON decoding error.
        var kvCacheDType: String? = nil
        /// Automatic prefix caching (default on); `--enable-prefix-caching` / `--no-enable-prefix-caching` override it.
        var enablePrefixCaching: Bool? = nil

        enum CodingKeys: String, CodingKey {
            case maxNumSeqs = "max_num_seqs"
            case maxNumBatchedTokens = "max_num_batched_tokens"
            case longPrefillTokenThreshold = "long_prefill_token_threshold"
            case longPrefillChunkTokens = "long_prefill_chunk_tokens"
            case blockSize = "block_size"
            case kvCacheMemoryMib = "kv_cache_memory_mib"
            case kvCacheDType = "kv_cache_dtype"
            case enablePrefixCaching = "enable_prefix_caching"
        }
    }

    /// The `speculation` section; `--spec`, `--spec-tokens`, `--ngram-min`, `--ngram-max`, `--draft-model` override it.
    struct SpeculationSettings: Codable, Sendable, Equatable {
        var mode: SpeculationConfig.Mode?
        var numSpeculativeTokens: Int?
        var ngramMin: Int?
        var ngramMax: Int?
        var draftModel: String?
        var adaptive: Bool?

        enum CodingKeys: String, CodingKey {
            case mode, adaptive
            case numSpeculativeTokens = "num_speculative_tokens"
            case ngramMin = "ngram_min"
            case ngramMax = "ngram_max"
            case draftModel = "draft_model"
        }
    }

    enum CodingKeys: String, CodingKey {
        case host, port, models, scheduler, speculation, dtype
        case defaultModel = "default_model"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? port
        defaultModel = try container.decodeIfPresent(String.self, forKey: .defaultModel)
        models = try container.decodeIfPresent([String: ModelEntry].self, forKey: .models) ?? [:]
        scheduler = try container.decodeIfPresent(SchedulerSettings.self, forKey: .scheduler)
        speculation = try container.decodeIfPresent(SpeculationSettings.self, forKey: .speculation)
        dtype = try container.decodeIfPresent(String.self, forKey: .dtype)
    }

    /// The weight format: `flag` (`--dtype`, already validated by the parser), else `dtype`, else bf16.
    func weightFormat(flag: WeightFormat?) throws -> WeightFormat {
        if let flag { return flag }
        guard let dtype else { return .bf16 }
        guard let format = WeightFormat(rawValue: dtype) else { throw ServeError.unknownDType(dtype) }
        return format
    }

    /// The KV cache's dtype: `flag` (`--kv-cache-dtype`, already validated by the parser), else
    /// `scheduler.kv_cache_dtype`, else f32.
    func kvCacheDType(flag: KVCacheDType?) throws -> KVCacheDType {
        if let flag { return flag }
        guard let value = scheduler?.kvCacheDType else { return .f32 }
        guard let dtype = KVCacheDType(rawValue: value) else { throw ServeError.unknownKVCacheDType(value) }
        return dtype
    }

    static func load(from url: URL) throws -> ServerConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ServeError.configUnreadable(url.path, reason: "\(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(ServerConfig.self, from: data)
        } catch let error as DecodingError {
            throw ServeError.configUnreadable(url.path, reason: JSONBody.apiError(for: error).message)
        }
    }
}

/// Startup errors, worded for the person running `serve`.
enum ServeError: Error, CustomStringConvertible, Equatable {
    case configUnreadable(String, reason: String)
    case noModelGiven
    case unknownModel(String, known: [String])
    case missingWeights(name: String, path: String)
    case notAModelDirectory(String)
    case fetchFailed(script: String, status: Int32)
    case draftVocabularyMismatch(path: String, draft: Int, target: Int)
    case draftModeWithoutDraftModel
    case unknownDType(String)
    case unknownKVCacheDType(String)

    var description: String {
        switch self {
        case .configUnreadable(let path, let reason):
            "cannot read config file \(path): \(reason)"
        case .noModelGiven:
            "no --model given and the config has no default_model"
        case .unknownModel(let name, let known):
            "unknown model '\(name)': not in the config (known: \(known.isEmpty ? "none" : known.joined(separator: ", "))) "
                + "and not a directory. Pass a configured name or a path to a model directory."
        case .missingWeights(let name, let path):
            "model '\(name)' has no weights at \(path) and no fetch_script is configured"
        case .notAModelDirectory(let path):
            "\(path) is not a model directory (expected config.json and tokenizer.json or tokenizer.model in it)"
        case .fetchFailed(let script, let status):
            "fetch script \(script) failed with exit status \(status)"
        case .draftVocabularyMismatch(let path, let draft, let target):
            "draft model \(path) cannot draft for this model: its vocabulary (\(draft) tokens) or tokenizer differs "
                + "from the target's (\(target) tokens); a draft must share the target's tokenizer"
        case .draftModeWithoutDraftModel:
            "--spec draft needs a draft model: pass --draft-model NAME|PATH (or set speculation.draft_model in the config)"
        case .unknownDType(let value):
            "config dtype '\(value)' is not a weight format; use one of: \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))"
        case .unknownKVCacheDType(let value):
            "config scheduler.kv_cache_dtype '\(value)' is not a KV cache dtype; use one of: \(KVCacheDType.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

import Foundation
import Model
import Scheduler

/// Everything `serve` is configured by, in one Codable type. Defaults are the property values (for scheduling,
/// `SchedulerConfig`'s); `config.json` overrides what it mentions (`ServerConfig.load`), then the command line
/// overrides that (`ServeCommand.apply(to:)`), and `validate()` checks the result once, naming the key and flag.
struct ServerConfig: Codable, Sendable, Equatable {
    var host = "127.0.0.1"
    var port = 8080
    /// Model served when `--model` is not given; a key of `models`.
    var defaultModel: String?
    var models: [String: ModelEntry] = [:]
    /// How weight matrices are stored (`dtype`, `--dtype`).
    var dtype = WeightFormat.bf16
    /// Model (name in `models` or directory) that drafts for `--spec draft` (`speculation.draft_model`, `--draft-model`).
    var draftModel: String?
    /// The `scheduler` section (scheduling, KV cache, streams), with `speculation` as its own section.
    var engine = EngineConfig()

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
    /// A configured value out of range: its config key, its flag (if it has one) and why.
    case invalidSetting(key: String, flag: String?, message: String)

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
        case .invalidSetting(let key, let flag, let message):
            "\(key)\(flag.map { " (\($0))" } ?? "") \(message)"
        }
    }
}

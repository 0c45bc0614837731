import Hummingbird

/// `GET /v1/models`: the one served model, in OpenAI's list shape (plus vLLM's `max_model_len`).
struct ModelsController<Context: RequestContext> {
    var model: ServedModel

    struct ModelList: Encodable {
        var object = "list"
        var data: [ModelCard]
    }

    struct ModelCard: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "swift-llm-serve"
        var maxModelLen: Int

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
            case maxModelLen = "max_model_len"
        }
    }

    var endpoints: [Endpoint<Context>] {
        [
            Endpoint(method: .get, path: "/v1/models") { _, _ in
                try ModelList(data: [ModelCard(id: model.name, created: model.created, maxModelLen: model.maxModelLen)])
                    .jsonResponse()
            }
        ]
    }
}

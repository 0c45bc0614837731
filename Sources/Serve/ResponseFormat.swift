import Foundation

/// OpenAI's `response_format`, on both endpoints: free text, any JSON object, or JSON that conforms to a schema.
/// The JSON forms are enforced while generating (a grammar masks the tokens), never by hoping the model complies.
enum ResponseFormat: Sendable, Equatable {
    case text
    case jsonObject
    /// `schemaText` is the schema exactly as the client wrote it: its `properties` order is the output's order.
    case jsonSchema(name: String?, schemaText: String)

    /// The format `input` asks for; `body` is the whole request body, where the schema's text is read from.
    init(_ input: ResponseFormatInput?, body: Data) throws(APIError) {
        guard let input else {
            self = .text
            return
        }
        switch input.type {
        case "text":
            self = .text
        case "json_object":
            self = .jsonObject
        case "json_schema":
            guard let jsonSchema = input.jsonSchema else {
                throw APIError.invalidRequest(
                    "response_format of type json_schema needs a json_schema object with a schema.", param: "response_format.json_schema")
            }
            guard jsonSchema.hasSchema,
                let text = RawJSON.value(at: ["response_format", "json_schema", "schema"], in: body)
            else {
                throw APIError.invalidRequest(
                    "response_format.json_schema needs a schema (a JSON object).", param: "response_format.json_schema.schema")
            }
            self = .jsonSchema(name: jsonSchema.name, schemaText: text)
        default:
            throw APIError.invalidRequest(
                "response_format.type must be text, json_object or json_schema (got '\(input.type)').", param: "response_format.type")
        }
    }
}

/// `response_format` as sent.
struct ResponseFormatInput: Decodable, Sendable {
    var type: String
    var jsonSchema: JSONSchemaInput?

    enum CodingKeys: String, CodingKey {
        case type
        case jsonSchema = "json_schema"
    }
}

/// `response_format.json_schema`: `name`, `schema`, `strict` (always enforced here, so `strict` changes nothing).
struct JSONSchemaInput: Decodable, Sendable {
    var name: String?
    var strict: Bool?
    /// Whether `schema` is present and an object or a boolean; its text is read from the body.
    var hasSchema: Bool

    enum CodingKeys: String, CodingKey { case name, schema, strict, description }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        strict = try container.decodeIfPresent(Bool.self, forKey: .strict)
        _ = try container.decodeIfPresent(String.self, forKey: .description)
        if container.contains(.schema), try !container.decodeNil(forKey: .schema) {
            guard (try? container.decode(Bool.self, forKey: .schema)) != nil
                || (try? container.nestedContainer(keyedBy: CodingKeys.self, forKey: .schema)) != nil
            else {
                throw DecodingError.typeMismatch(
                    [String: String].self,
                    .init(codingPath: container.codingPath + [CodingKeys.schema], debugDescription: "a JSON Schema is an object (or a boolean)."))
            }
            hasSchema = true
        } else {
            hasSchema = false
        }
    }
}

// libFuzzer target: a random chat template rendered over random messages must return or throw a TokenizerError —
// never trap, hang or exhaust memory (the interpreter's JinjaLimits bound loops, depth and sizes). See scripts/fuzz.sh.
import Foundation
import FuzzSupport
import Tokenizer

/// Input layout: template source, a 0 byte, then messages separated by 1 bytes; a message's first byte picks its
/// role. Without a 0 byte the whole input is the template, rendered over two fixed messages.
func splitInput(_ bytes: UnsafeRawBufferPointer) -> (template: String, messages: [ChatMessage], addGenerationPrompt: Bool) {
    let roles = ["system", "user", "assistant", "tool"]
    guard let split = bytes.firstIndex(of: 0) else {
        let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi {{ there }}")]
        return (String(decoding: bytes, as: UTF8.self), messages, bytes.count % 2 == 0)
    }
    let rest = bytes[(split + 1)...]
    let messages = rest.split(separator: 1, omittingEmptySubsequences: false).map { part in
        ChatMessage(role: part.first.map { roles[Int($0) % roles.count] } ?? "user",
                    content: String(decoding: part.dropFirst(), as: UTF8.self))
    }
    return (String(decoding: bytes[..<split], as: UTF8.self), messages, rest.count % 2 == 0)
}

func checkChatTemplate(_ bytes: UnsafeRawBufferPointer) {
    let (source, messages, addGenerationPrompt) = splitInput(bytes)
    do {
        let template = try ChatTemplate(source)
        _ = try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])
    } catch is TokenizerError {
        return
    } catch {
        fatalError("chat template threw a non-TokenizerError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    checkChatTemplate(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@main enum Main {
    static func main() { fuzzMain(fuzzTestOneInput) }
}

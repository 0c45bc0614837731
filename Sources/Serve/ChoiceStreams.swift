import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization

/// The engine streams of one HTTP request, one per choice (prompts × n), consumed together.
struct ChoiceStreams: Sendable {
    var streams: [AsyncStream<GenerationEvent>]
    let engine: any GenerationEngine

    /// Submits every request. If one is refused, the streams already started are dropped, which cancels
    /// them in the engine.
    init(_ requests: [GenerationRequest], engine: any GenerationEngine) throws(APIError) {
        var streams: [AsyncStream<GenerationEvent>] = []
        for request in requests {
            do {
                streams.append(try engine.generate(request))
            } catch {
                throw APIError(error)
            }
        }
        self.streams = streams
        self.engine = engine
    }

    /// Calls `body` with every event of every choice as it arrives (choice index, event), in the calling
    /// task. Every choice ends with exactly one `.finished` or `.failed`. When `body` throws (the client went
    /// away, or a choice failed) or the task is cancelled, the remaining streams are cancelled, which cancels their
    /// sequences.
    func forEachEvent(_ body: (Int, GenerationEvent) async throws -> Void) async throws {
        // A request in flight may hear of a graceful shutdown before the engine's service does (the HTTP server is
        // shut down first and waits for its requests): it starts the engine's grace period.
        let engine = self.engine
        try await withGracefulShutdownHandler {
            try await forEachEventUntilDone(body)
        } onGracefulShutdown: {
            engine.beginShutdown()
        }
    }

    private func forEachEventUntilDone(_ body: (Int, GenerationEvent) async throws -> Void) async throws {
        // One choice (nearly every request): read the engine's stream directly, so a client that stops reading
        // leaves the events in that stream, whose bound the engine enforces.
        if streams.count == 1 {
            var hasEnded = false
            for await event in streams[0] {
                guard !hasEnded else { continue }
                if case .delta = event {} else { hasEnded = true }
                try await body(0, event)
            }
            if !hasEnded { try await body(0, .failed(Self.engineGone)) }
            return
        }
        enum Item: Sendable {
            case event(Int, GenerationEvent)
            case ended(Int)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Bounded like the engine's streams: a choice whose events do not fit stops being read, so its own
            // stream fills and the engine cancels it; the request then fails here.
            let capacity = streams.count * (EngineConfig().maxBufferedEvents + ActiveSequence.reservedEvents)
            let (merged, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
            let overflowed = Flag()
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    for await event in stream {
                        if case .dropped = continuation.yield(.event(index, event)) {
                            overflowed.set()
                            return
                        }
                    }
                    continuation.yield(.ended(index))
                }
            }
            var finished = Array(repeating: false, count: streams.count)
            var numEnded = 0
            for await item in merged {
                if overflowed.isSet {
                    throw APIError(GenerationFailure(kind: .slowClient, message: "The client stopped reading this stream; the request was cancelled."))
                }
                switch item {
                case .event(let index, let event):
                    switch event {
                    case .finished, .failed:
                        guard !finished[index] else { continue }
                        finished[index] = true
                    case .delta:
                        break
                    }
                    try await body(index, event)
                case .ended(let index):
                    // A stream that ends without a last event (the engine went away) failed.
                    if !finished[index] {
                        finished[index] = true
                        try await body(index, .failed(Self.engineGone))
                    }
                    numEnded += 1
                }
                if numEnded == streams.count { break }
            }
            continuation.finish()
            group.cancelAll()
        }
    }

    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    private static let engineGone = GenerationFailure(kind: .engineError, message: "The engine stopped before this choice finished.")

    /// Everything one choice produced.
    struct Output: Sendable {
        var text = ""
        var tokens: [GeneratedToken] = []
        var finishReason: GenerationFinishReason = .length
        var usage = GenerationUsage(promptTokens: 0, completionTokens: 0)
    }

    /// Waits for every choice to finish (non-streaming responses); throws the 5xx `APIError` of a choice that failed.
    func collect() async throws -> [Output] {
        var outputs = Array(repeating: Output(), count: streams.count)
        try await forEachEvent { index, event in
            switch event {
            case .delta(let text, let tokens):
                outputs[index].text += text
                outputs[index].tokens += tokens
            case .finished(let reason, let usage):
                outputs[index].finishReason = reason
                outputs[index].usage = usage
            case .failed(let failure):
                throw APIError(failure)
            }
        }
        return outputs
    }
}

extension APIError {
    /// 500 for an engine error, 503 (with Retry-After) when the server shut down under the sequence.
    init(_ failure: GenerationFailure) {
        switch failure.kind {
        case .engineError:
            self.init(status: .internalServerError, message: failure.message, type: "server_error", code: failure.kind.rawValue)
        case .shuttingDown:
            self.init(status: .serviceUnavailable, message: failure.message, type: "server_error", code: failure.kind.rawValue)
            headers[.retryAfter] = "5"
        case .slowClient:
            self.init(status: .requestTimeout, message: failure.message, code: failure.kind.rawValue)
        }
    }

    init(_ error: EngineError) {
        switch error {
        case .overloaded(let limit):
            self.init(
                status: .serviceUnavailable,
                message: "The server is overloaded (\(limit) requests already waiting); retry shortly.",
                type: "server_error", code: "overloaded")
            headers[.retryAfter] = "1"
        case .limitExceeded(let error):
            // The controllers check limits first, naming their own fields; this is for other callers.
            self.init(error, promptParam: "prompt", maxTokensParam: "max_tokens")
        case .shuttingDown:
            self.init(
                status: .serviceUnavailable, message: "The server is shutting down.", type: "server_error",
                code: "shutting_down")
            headers[.retryAfter] = "5"
        }
    }
}

/// `data: {json}\n\n` events, then `data: [DONE]\n\n`, as OpenAI streams.
enum ServerSentEvents {
    /// A 200 `text/event-stream` response whose events `produce` writes through `send`; each write is
    /// awaited, so a slow client slows generation instead of growing a buffer. When `produce` throws an
    /// `APIError` (a choice failed), the stream ends with that error as its last event, `data: {"error": {...}}`,
    /// then `data: [DONE]`, as vLLM and OpenAI end a stream that fails after it started.
    static func response(
        _ produce: @escaping @Sendable (_ send: (any Encodable) async throws -> Void) async throws -> Void
    ) -> Response {
        let body = ResponseBody { writer in
            let encoder = JSONEncoder.forResponses()
            func send(_ event: any Encodable) async throws {
                var buffer = ByteBuffer(string: "data: ")
                buffer.writeBytes(try encoder.encode(event))
                buffer.writeString("\n\n")
                try await writer.write(buffer)
            }
            do {
                try await produce(send)
            } catch let error as APIError {
                try await send(error.body)
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

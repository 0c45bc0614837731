import ArgumentParser
import Foundation
import Logging

@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "OpenAI-compatible inference server for Llama-family models.")

    @Option(help: "Model name from the config's models, or a path to a model directory (default: the config's default_model).")
    var model: String?

    @Option(help: "Address to listen on (default: the config's host).")
    var host: String?

    @Option(help: "Port to listen on (default: the config's port).")
    var port: Int?

    @Option(help: "Server config file (default: ./config.json; optional unless given).")
    var config: String?

    func run() async throws {
        let configURL = URL(fileURLWithPath: config ?? "config.json")
        let serverConfig =
            config == nil && !FileManager.default.fileExists(atPath: configURL.path)
            ? ServerConfig() : try ServerConfig.load(from: configURL)

        guard let nameOrPath = model ?? serverConfig.defaultModel else { throw ServeError.noModelGiven }
        let resolver = ModelResolver(config: serverConfig, configDirectory: configURL.deletingLastPathComponent())
        let resolved = try await resolver.resolve(nameOrPath)

        var logger = Logger(label: "serve")
        logger.logLevel = .info
        logger.info("loading model '\(resolved.name)' from \(resolved.directory.path)")
        let (served, engine) = try ServedModel.load(name: resolved.name, directory: resolved.directory)

        let app = buildApplication(
            model: served, host: host ?? serverConfig.host, port: port ?? serverConfig.port, logger: logger)
        // Returns after SIGINT/SIGTERM once in-flight requests have finished.
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        engine.shutdown()
    }
}

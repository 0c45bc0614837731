import Scheduler

/// A test seam: failures injected into the engine loop, so tests can show what a client sees when the model fails
/// mid-request. The server never sets it.
struct EngineFaults: Sendable {
    /// Called before each step's forward pass; throwing fails the step as a failing forward pass would.
    var beforeForward: @Sendable (StepPlan) throws -> Void
}

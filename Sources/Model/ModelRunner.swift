import Scheduler
import COpenBLAS

/// Runs forward passes of one model over ragged batches, writing K/V into a paged cache.
/// Owns the mutable inference state (cache + scratch), so it belongs to one thread: the engine's.
public final class ModelRunner {
    public let model: LlamaModel
    public let cache: PagedKVCache
    /// The kernels this runner's forward passes use (a test runs the model once per path).
    public let kernelPath: KernelPath
    private var residual = GrowableScratch()   // x        [numTokens, hidden]
    private var normed = GrowableScratch()     // rmsnorm  [numTokens, hidden]
    private var qkv = GrowableScratch()        // q|k|v    [numTokens, (numHeads + 2·numKVHeads) · headDim]
    private var attention = GrowableScratch()  // attn out [numTokens, numHeads · headDim]
    private var projected = GrowableScratch()  // o / down [numTokens, hidden]
    private var gateUp = GrowableScratch()     // gate|up  [numTokens, 2 · intermediate]
    private var activated = GrowableScratch()  // swiglu   [numTokens, intermediate]
    private var keyGather = GrowableScratch()  // prefill chunks' keys, per kv head [contextLength, headDim]
    private var valueGather = GrowableScratch()
    private var scores = GrowableScratch()     // per worker thread, see BatchAttentionPlan.scoresPerWorker
    private var logitBuffer = GrowableScratch() // [rows with logits, vocab]
    private var headInput = GrowableScratch()   // final-normed logit rows, full ones first, then argmax-only ones
    private var greedyScratch = GreedyHead.Scratch()
    /// Per logit row of the last forward: its row in `logitBuffer`, or -1 if it got only its argmax.
    private var logitSlots: [Int] = []
    /// Per logit row: the argmax GreedyHead found, or -1 (its logits are in `logitBuffer`).
    private var argmaxTokens: [Int] = []
    private var isArgmaxOnly: [Bool] = []
    private var greedyTokens: [Int] = []
    /// Per batch row of the current forward: its position in its sequence, and its K/V's cache slot
    /// (block · blockSize + slot in block).
    private var rowPositions: [Int] = []
    private var rowCacheSlots: [Int] = []
    /// Rows of logits the last forward produced, in batch order of `logitIndices`.
    public private(set) var numLogitRows = 0

    public init(model: LlamaModel, cache: PagedKVCache, kernelPath: KernelPath = .selected) {
        self.model = model
        self.cache = cache
        self.kernelPath = kernelPath
        // Our kernels split work over the cores themselves and call BLAS from inside those threads: BLAS's own
        // threads would only contend with them (its idle threads spin).
        openblas_set_num_threads(1)
    }

    /// Convenience: a runner with its own cache of `numBlocks` blocks, storing K/V as `kvCacheDType` (all its pages
    /// mapped up front if `prefaultCache`, see KVStorage).
    public convenience init(model: LlamaModel, numBlocks: Int, blockSize: Int = 16, kvCacheDType: KVCacheDType = .f32,
                            prefaultCache: Bool = false, kernelPath: KernelPath = .selected) {
        self.init(model: model, cache: PagedKVCache(config: model.config, numBlocks: numBlocks, blockSize: blockSize, dtype: kvCacheDType,
                                                    prefault: prefaultCache),
                  kernelPath: kernelPath)
    }

    /// One forward pass. Afterwards `withLogits(row:)` reads the next-token logits of each requested
    /// position, rows ordered by sequence then by `logitIndices`.
    public func forward(_ batch: ForwardBatch) throws {
        try validate(batch)
        let c = model.config, w = model.weights
        let n = batch.numTokens, h = c.hiddenSize, hd = c.headDim
        let qDim = c.numHeads * hd, kvDim = c.numKVHeads * hd, qkvDim = qDim + 2 * kvDim, ffn = c.intermediateSize
        let x = residual.pointer(atLeast: n * h), xn = normed.pointer(atLeast: n * h)
        let qkvOut = qkv.pointer(atLeast: n * qkvDim), attnOut = attention.pointer(atLeast: n * qDim)
        let proj = projected.pointer(atLeast: n * h)
        let gu = gateUp.pointer(atLeast: n * 2 * ffn), act = activated.pointer(atLeast: n * ffn)
        let attentionPlan = BatchAttentionPlan(batch: batch, numHeads: c.numHeads, numKVHeads: c.numKVHeads, headDim: hd)
        let keys = keyGather.pointer(atLeast: attentionPlan.gatherCount), values = valueGather.pointer(atLeast: attentionPlan.gatherCount)
        let scoreRows = scores.pointer(atLeast: attentionPlan.scoresPerWorker * Kernels.numThreads)

        // x = embedding[tokens]; each row's position and cache slot
        rowPositions.removeAll(keepingCapacity: true)
        rowCacheSlots.removeAll(keepingCapacity: true)
        var row = 0
        for sequence in batch.sequences {
            for (i, token) in sequence.tokens.enumerated() {
                w.embedding.copyRow(token, to: x + row * h)
                let position = sequence.numCachedTokens + i
                rowPositions.append(position)
                rowCacheSlots.append(sequence.blockTable[position / cache.blockSize] * cache.blockSize + position % cache.blockSize)
                row += 1
            }
        }
        w.layers[0].attentionNorm.withUnsafeBufferPointer { Kernels.rmsNorm(x, weight: $0.baseAddress!, xn, n: n, dim: h, eps: c.rmsNormEps) }

        for (layerIndex, layer) in w.layers.enumerated() {
            let view = cache.layerView(layerIndex)

            // Attention block: x += o(attention(rope(q), rope(k), v)) of xn = rmsnorm(x)
            layer.qkv.apply(xn, qkvOut, n: n, path: kernelPath)
            ropeAndStore(qkvOut, n: n, in: view)
            attentionPlan.run(layer: view, q: qkvOut, qStride: qkvDim, out: attnOut, gatheredKeys: keys, gatheredValues: values, scores: scoreRows, path: kernelPath)

            // After the last layer's attention (its K/V are cached) only the rows that get logits matter: the rest
            // of the layer runs on those alone, moved to the front in logit order (llama.cpp prunes the same way).
            var m = n
            if layerIndex == w.layers.count - 1 {
                m = batch.numLogitRows
                guard m > 0 else { break }
                keepLogitRows(of: batch, in: x, width: h)
                keepLogitRows(of: batch, in: attnOut, width: qDim)
            }
            layer.output.apply(attnOut, proj, n: m, path: kernelPath)
            layer.ffnNorm.withUnsafeBufferPointer { Kernels.addRMSNorm(x, adding: proj, weight: $0.baseAddress!, xn, n: m, dim: h, eps: c.rmsNormEps) }

            // Feed-forward block: x += down(silu(gate(xn)) · up(xn)) of xn = rmsnorm(x); in the same pass over x, xn =
            // the next layer's input norm of x (after the last layer, the final norm).
            layer.gateUp.apply(xn, gu, n: m, path: kernelPath)
            Kernels.siluMul(gu, act, n: m, dim: ffn, path: kernelPath)
            layer.down.apply(act, proj, n: m, path: kernelPath)
            let nextNorm = layerIndex + 1 < w.layers.count ? w.layers[layerIndex + 1].attentionNorm : w.finalNorm
            nextNorm.withUnsafeBufferPointer { Kernels.addRMSNorm(x, adding: proj, weight: $0.baseAddress!, xn, n: m, dim: h, eps: c.rmsNormEps) }
        }

        // Logits: the LM head on the rows someone samples from (xn's first rows, final-normed above).
        let rows = batch.numLogitRows
        numLogitRows = rows
        guard rows > 0 else { return }
        applyHead(xn, rows: rows, batch: batch)
    }

    /// RoPE on each row's query and key heads, then its key and value into the cache slot `rowCacheSlots` names,
    /// rows split over the kernel threads (each row writes its own slot).
    private func ropeAndStore(_ qkvOut: UnsafeMutablePointer<Float>, n: Int, in view: PagedLayerView) {
        let c = model.config, hd = c.headDim, qDim = c.numHeads * hd, kvDim = c.numKVHeads * hd, qkvDim = qDim + 2 * kvDim
        let halfDim = model.rope.halfDim, blockSize = cache.blockSize, path = kernelPath
        let rowsPerItem = 4, numItems = (n + rowsPerItem - 1) / rowsPerItem
        rowPositions.withUnsafeBufferPointer { positions in
            rowCacheSlots.withUnsafeBufferPointer { slots in
                model.rope.cos.withUnsafeBufferPointer { cos in
                    model.rope.sin.withUnsafeBufferPointer { sin in
                        // The threads share these pointers (valid for the whole call) and write disjoint rows and slots.
                        nonisolated(unsafe) let qkvOut = qkvOut, positions = positions, slots = slots, cos = cos, sin = sin
                        KernelThreads.shared.forEach(numItems) { item, _ in
                            for t in item * rowsPerItem..<min(n, (item + 1) * rowsPerItem) {
                                let row = qkvOut + t * qkvDim, angle = positions[t] * halfDim
                                let (cosines, sines) = (cos.baseAddress! + angle, sin.baseAddress! + angle)
                                Kernels.applyRope(row, numHeads: c.numHeads, headDim: hd, cos: cosines, sin: sines)
                                Kernels.applyRope(row + qDim, numHeads: c.numKVHeads, headDim: hd, cos: cosines, sin: sines)
                                for kvHead in 0..<c.numKVHeads {
                                    view.store(key: row + qDim + kvHead * hd, value: row + qDim + kvDim + kvHead * hd,
                                               block: slots[t] / blockSize, kvHead: kvHead, slot: slots[t] % blockSize, path: path)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The LM head on the `rows` normed rows: full logits, except that rows of argmax-only sequences get just
    /// their argmax where GreedyHead runs on this path (a fraction of the LM head's work; the same token).
    private func applyHead(_ xn: UnsafePointer<Float>, rows: Int, batch: ForwardBatch) {
        let w = model.weights, h = model.config.hiddenSize
        let out = logitBuffer.pointer(atLeast: rows * model.config.vocabSize)
        isArgmaxOnly.removeAll(keepingCapacity: true)
        for (s, sequence) in batch.sequences.enumerated() {
            let flag = !batch.argmaxOnly.isEmpty && batch.argmaxOnly[s]
            for _ in sequence.logitIndices { isArgmaxOnly.append(flag) }
        }
        let numGreedy = isArgmaxOnly.reduce(0) { $0 + ($1 ? 1 : 0) }, numFull = rows - numGreedy
        argmaxTokens.removeAll(keepingCapacity: true)
        argmaxTokens.append(contentsOf: repeatElement(-1, count: rows))
        logitSlots.removeAll(keepingCapacity: true)
        if numGreedy > 0, let head = w.greedyHead, GreedyHead.isAvailable(on: kernelPath) {
            // Full rows first, then the argmax-only ones, each contiguous for its pass.
            let ordered = headInput.pointer(atLeast: rows * h)
            var nextFull = 0, nextGreedy = numFull
            for r in 0..<rows {
                let slot: Int
                if isArgmaxOnly[r] { slot = nextGreedy; nextGreedy += 1 } else { slot = nextFull; nextFull += 1 }
                (ordered + slot * h).update(from: xn + r * h, count: h)
                logitSlots.append(isArgmaxOnly[r] ? -1 : slot)
            }
            greedyTokens.removeAll(keepingCapacity: true)
            greedyTokens.append(contentsOf: repeatElement(-1, count: numGreedy))
            let found = greedyTokens.withUnsafeMutableBufferPointer { tokens in
                head.argmax(ordered + numFull * h, n: numGreedy, lmHead: w.lmHead, path: kernelPath, scratch: &greedyScratch,
                            tokens: tokens.baseAddress!)
            }
            if found {
                var next = 0
                for r in 0..<rows where isArgmaxOnly[r] { argmaxTokens[r] = greedyTokens[next]; next += 1 }
                if numFull > 0 { w.lmHead.apply(ordered, out, n: numFull, path: kernelPath) }
                return
            }
            // A row too large or not finite to bound: every row gets its logits after all.
            logitSlots.removeAll(keepingCapacity: true)
        }
        logitSlots.append(contentsOf: 0..<rows)
        w.lmHead.apply(xn, out, n: rows, path: kernelPath)
    }

    /// Moves the batch's logit rows (sequence by sequence, in `logitIndices` order) to the front of the
    /// [numTokens, width] `matrix`. A logit row never sits before its destination, so copying front to back is safe.
    private func keepLogitRows(of batch: ForwardBatch, in matrix: UnsafeMutablePointer<Float>, width: Int) {
        var r = 0, t = 0
        for sequence in batch.sequences {
            for index in sequence.logitIndices {
                if t + index != r { (matrix + r * width).update(from: matrix + (t + index) * width, count: width) }
                r += 1
            }
            t += sequence.tokens.count
        }
    }

    /// Calls `body` with row `row` of the last forward's logits ([vocab]); valid only inside `body`. Not for a
    /// row of an argmax-only sequence (`ForwardBatch.argmaxOnly`): that may have only `argmax(row:)`.
    public func withLogits<R>(row: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(row >= 0 && row < numLogitRows, "logit row \(row) of \(numLogitRows)")
        precondition(logitSlots[row] >= 0, "logit row \(row) belongs to an argmax-only sequence: it has only its argmax")
        let vocab = model.config.vocabSize
        return try body(UnsafeBufferPointer(start: logitBuffer.buffer.pointer + logitSlots[row] * vocab, count: vocab))
    }

    /// Index of the largest logit in `row` (first one on ties, like torch.argmax).
    public func argmax(row: Int) -> Int {
        precondition(row >= 0 && row < numLogitRows, "logit row \(row) of \(numLogitRows)")
        if argmaxTokens[row] >= 0 { return argmaxTokens[row] }
        return withLogits(row: row) { logits in
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            return best
        }
    }

    private func validate(_ batch: ForwardBatch) throws {
        let c = model.config
        for (s, sequence) in batch.sequences.enumerated() {
            guard !sequence.tokens.isEmpty else { throw ModelError.invalidBatch("sequence \(s) has no tokens") }
            guard sequence.numCachedTokens >= 0 else { throw ModelError.invalidBatch("sequence \(s): negative numCachedTokens") }
            let end = sequence.numCachedTokens + sequence.tokens.count
            guard end <= c.maxPositionEmbeddings else {
                throw ModelError.invalidBatch("sequence \(s) reaches position \(end), beyond max_position_embeddings \(c.maxPositionEmbeddings)")
            }
            guard sequence.blockTable.count * cache.blockSize >= end else {
                throw ModelError.invalidBatch("sequence \(s): \(sequence.blockTable.count) blocks cannot hold \(end) tokens")
            }
            if let bad = sequence.blockTable.first(where: { $0 < 0 || $0 >= cache.numBlocks }) {
                throw ModelError.invalidBatch("sequence \(s): block \(bad) outside the cache's \(cache.numBlocks) blocks")
            }
            if let bad = sequence.tokens.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
                throw ModelError.invalidBatch("sequence \(s): token \(bad) outside the vocabulary of \(c.vocabSize)")
            }
            if let bad = sequence.logitIndices.first(where: { $0 < 0 || $0 >= sequence.tokens.count }) {
                throw ModelError.invalidBatch("sequence \(s): logit index \(bad) outside its \(sequence.tokens.count) tokens")
            }
            guard zip(sequence.logitIndices, sequence.logitIndices.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw ModelError.invalidBatch("sequence \(s): logit indices \(sequence.logitIndices) are not strictly increasing")
            }
        }
    }
}

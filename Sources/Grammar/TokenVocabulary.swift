/// A tokenizer's tokens as byte strings, with the trie the mask computation walks. Built once per tokenizer
/// and shared by every grammar and sequence.
public final class TokenVocabulary: Sendable {
    /// Number of token ids (masks have this many bits).
    public let count: Int
    public let eosTokenIds: Set<Int>
    /// Bytes of each token; nil for special/control tokens (never allowed, except EOS as EOS).
    let tokenBytes: [[UInt8]?]
    let trie: TokenTrie

    /// `tokenBytes[id]`: the bytes token `id` adds to the text; nil for special/control tokens.
    public init(tokenBytes: [[UInt8]?], eosTokenIds: Set<Int>) {
        count = tokenBytes.count
        self.eosTokenIds = eosTokenIds
        self.tokenBytes = tokenBytes
        trie = TokenTrie(tokenBytes: tokenBytes, excluding: eosTokenIds)
    }

    func isEOS(_ token: Int) -> Bool { eosTokenIds.contains(token) }
}

/// Every token with bytes, as a trie in preorder: a node's subtree is the nodes after it up to `subtreeEnd`, so
/// a walk that rejects a prefix skips all tokens sharing it in one step.
struct TokenTrie: Sendable {
    /// What the walk reads per node, packed together.
    struct Node: Sendable {
        var subtreeEnd: Int32
        /// First index in `tokenIds` of this node's tokens (they run to the next node's tokenStart).
        var tokenStart: Int32
        var byte: UInt8
        var depth: UInt8
    }

    let nodes: [Node]
    /// The byte that leads into each node.
    let byte: [UInt8]
    /// Length of the node's prefix (1 for children of the root).
    let depth: [Int32]
    let subtreeEnd: [Int32]
    /// Tokens ending at node n: tokenIds[tokenOffsets[n]..<tokenOffsets[n + 1]].
    let tokenOffsets: [Int32]
    let tokenIds: [Int32]
    let maxDepth: Int
    /// Bytes on the nodes strictly below node n: bits descendantBytes[4n..<4n+4] (byte b is bit b % 64 of word b / 64).
    let descendantBytes: [UInt64]

    var numNodes: Int { byte.count }

    init(tokenBytes: [[UInt8]?], excluding excluded: Set<Int>) {
        var order: [Int] = []
        // Tokens longer than 255 bytes (none in real vocabularies) are left out: depth is stored in a byte.
        for (id, bytes) in tokenBytes.enumerated() where !(bytes?.isEmpty ?? true) && bytes!.count < 256 && !excluded.contains(id) {
            order.append(id)
        }
        order.sort { tokenBytes[$0]!.lexicographicallyPrecedes(tokenBytes[$1]!) }
        var byte: [UInt8] = [], depth: [Int32] = [], subtreeEnd: [Int32] = []
        var nodeTokens: [(node: Int32, id: Int32)] = []
        var path: [Int32] = []  // node at each depth of the current prefix
        var pathBytes: [UInt8] = []
        for id in order {
            let bytes = tokenBytes[id]!
            var common = 0
            while common < min(pathBytes.count, bytes.count), pathBytes[common] == bytes[common] { common += 1 }
            while path.count > common {
                subtreeEnd[Int(path.removeLast())] = Int32(byte.count)
                pathBytes.removeLast()
            }
            for index in common..<bytes.count {
                path.append(Int32(byte.count))
                pathBytes.append(bytes[index])
                byte.append(bytes[index])
                depth.append(Int32(index + 1))
                subtreeEnd.append(0)
            }
            nodeTokens.append((path[bytes.count - 1], Int32(id)))
        }
        while let node = path.popLast() { subtreeEnd[Int(node)] = Int32(byte.count) }
        var offsets = [Int32](repeating: 0, count: byte.count + 1)
        for (node, _) in nodeTokens { offsets[Int(node) + 1] += 1 }
        for index in 0..<byte.count { offsets[index + 1] += offsets[index] }
        var fill = offsets
        var ids = [Int32](repeating: 0, count: nodeTokens.count)
        for (node, id) in nodeTokens {
            ids[Int(fill[Int(node)])] = id
            fill[Int(node)] += 1
        }
        // Children come after their parent, so one backwards pass folds each node into its parent's set.
        var descendantBytes = [UInt64](repeating: 0, count: byte.count * 4)
        var parentOf = [Int32](repeating: -1, count: byte.count)
        var stack: [Int32] = []
        for node in 0..<byte.count {
            while let top = stack.last, Int(subtreeEnd[Int(top)]) <= node { stack.removeLast() }
            parentOf[node] = stack.last ?? -1
            stack.append(Int32(node))
        }
        for node in (0..<byte.count).reversed() {
            let parent = Int(parentOf[node])
            guard parent >= 0 else { continue }
            descendantBytes[parent * 4 + Int(byte[node] >> 6)] |= 1 << UInt64(byte[node] & 63)
            for word in 0..<4 { descendantBytes[parent * 4 + word] |= descendantBytes[node * 4 + word] }
        }
        self.descendantBytes = descendantBytes
        nodes = (0..<byte.count).map { Node(subtreeEnd: subtreeEnd[$0], tokenStart: offsets[$0], byte: byte[$0], depth: UInt8(depth[$0])) }
        self.byte = byte
        self.depth = depth
        self.subtreeEnd = subtreeEnd
        tokenOffsets = offsets
        tokenIds = ids
        maxDepth = Int(depth.max() ?? 0)
    }
}

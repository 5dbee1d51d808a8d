public import PedigreeModel

/// A node of the graph: its kind and dense index in the snapshot it came from.
public struct NodeRef: Hashable, Sendable, Comparable {
    public var kind: NodeKind
    @_spi(Engine) public var index: Int32

    @_spi(Engine) @inlinable public init(_ kind: NodeKind, _ index: Int32) {
        self.kind = kind
        self.index = index
    }

    public static func < (a: NodeRef, b: NodeRef) -> Bool {
        (a.kind == .artifact ? 0 : 1, a.index) < (b.kind == .artifact ? 0 : 1, b.index)
    }
}

/// An enum whose cases have the names MLMD's protos give them (`description`), looked up by name.
public protocol NamedCases: CaseIterable, CustomStringConvertible {}

extension NamedCases {
    /// The case named `name` (as in MLMD's protos, e.g. `LIVE`, `OUTPUT`, `DOUBLE`), if any.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}

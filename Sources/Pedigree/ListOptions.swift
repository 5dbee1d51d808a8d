internal import Foundation

/// MLMD's ListOperationOptions: page size, order, page token and filter query.
public struct ListOptions: Sendable, Equatable {
    public enum OrderField: String, Sendable {
        case createTime = "CREATE_TIME", updateTime = "LAST_UPDATE_TIME", id = "ID"
    }

    /// Nodes per page; MLMD's default is 20. Unlike MLMD, sizes above 100 are honoured, not cut.
    public var maxResultSize: Int
    public var orderBy: OrderField
    public var ascending: Bool
    /// The token a previous page returned, to continue after it.
    public var nextPageToken: String?
    /// MLMD's filter_query (`uri LIKE 'gs://%' AND properties.n.int_value > 3`), with
    /// ml-metadata's own semantics, quirks included, so that list reads answer as it does. (The
    /// query language's property shorthand, `n > 3`, is not part of filter_query.)
    public var filterQuery: String?

    public init(
        maxResultSize: Int = 20, orderBy: OrderField = .id, ascending: Bool = true, nextPageToken: String? = nil,
        filterQuery: String? = nil
    ) {
        self.maxResultSize = maxResultSize
        self.orderBy = orderBy
        self.ascending = ascending
        self.nextPageToken = nextPageToken
        self.filterQuery = filterQuery
    }
}

/// One page of a list read.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    /// The MLMD id of each item.
    public var ids: [Int64]
    /// Set when more items follow; pass it back in `ListOptions.nextPageToken`.
    public var nextPageToken: String?
}

/// The position after the last item of a page: order field, direction, the last item's sort value and id.
struct PageToken: Equatable {
    var field: ListOptions.OrderField
    var ascending: Bool
    var value: Int64
    var id: Int64

    var encoded: String {
        let text = "pedigree-page-1:\(field.rawValue):\(ascending ? 1 : 0):\(value):\(id)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(field: ListOptions.OrderField, ascending: Bool, value: Int64, id: Int64) {
        self.field = field
        self.ascending = ascending
        self.value = value
        self.id = id
    }

    init(decoding token: String, for options: ListOptions) throws {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else {
            throw MetadataError.invalidArgument("Failed to decode next page token string")
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "pedigree-page-1", let field = ListOptions.OrderField(rawValue: String(parts[1])),
            let value = Int64(parts[3]), let id = Int64(parts[4])
        else {
            throw MetadataError.invalidArgument("Failed to parse decoded next page token")
        }
        self.init(field: field, ascending: parts[2] == "1", value: value, id: id)
        guard field == options.orderBy, ascending == options.ascending else {
            throw MetadataError.invalidArgument(
                "ListOperationOptions mismatch between calls: the token was made for order by \(field.rawValue) \(ascending ? "ascending" : "descending"), the request orders by \(options.orderBy.rawValue) \(options.ascending ? "ascending" : "descending")")
        }
    }
}

extension NodeStore {
    /// Orders the nodes at `indices`, resumes after the token, and cuts one page.
    func page(_ indices: [Int32], _ options: ListOptions) throws -> Page<Node> {
        guard options.maxResultSize > 0 else {
            throw MetadataError.invalidArgument(
                "max_result_size field value is required to be greater than 0. Set value:\(options.maxResultSize)")
        }
        let field = options.orderBy
        let asc = options.ascending
        func before(_ a: (Int64, Int64), _ b: (Int64, Int64)) -> Bool { asc ? a < b : a > b }
        func key(_ i: Int32) -> (Int64, Int64) {
            let id = ids[Int(i)]
            switch field {
            case .id: return (id, id)
            case .createTime: return (self[Int(i)].createTime ?? 0, id)
            case .updateTime: return (self[Int(i)].updateTime ?? 0, id)
            }
        }
        var keyed = indices.map { (key($0), $0) }
        if let token = options.nextPageToken, !token.isEmpty {
            let after = try PageToken(decoding: token, for: options)
            keyed.removeAll { !before((after.value, after.id), $0.0) }
        }
        keyed.sort { before($0.0, $1.0) }
        let cut = keyed.prefix(options.maxResultSize)
        let token = keyed.count > options.maxResultSize
            ? cut.last.map { PageToken(field: field, ascending: asc, value: $0.0.0, id: $0.0.1).encoded } : nil
        return Page(items: cut.map { self[Int($0.1)] }, ids: cut.map { ids[Int($0.1)] }, nextPageToken: token)
    }
}

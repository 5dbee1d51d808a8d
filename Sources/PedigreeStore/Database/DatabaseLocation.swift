internal import Foundation
internal import PedigreeModel

/// Where a store lives, from the `--db` argument: an SQLite file path or `:memory:`, or a server
/// URL, `mysql://USER:PASSWORD@HOST:PORT/DATABASE` or `postgresql://USER:PASSWORD@HOST:PORT/DBNAME`.
///
/// The password may stay out of the URL (and so out of `ps`): `?password_file=PATH` reads it
/// from a file (first line), `?password_env=NAME` from an environment variable, and otherwise
/// `PEDIGREE_DB_PASSWORD` is used when set. MySQL also takes `?socket=PATH`; both take TLS options
/// (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`: see the README).
package enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case server(DatabaseServer)

    package init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let lower = text.lowercased()
        let engine: SQLEngine
        if lower.hasPrefix("mysql://") {
            engine = .mysql
        } else if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") {
            engine = .postgresql
        } else if let scheme = lower.range(of: "://"), !lower[..<scheme.lowerBound].contains("/") {
            throw MetadataError.invalidArgument(
                "\(lower[..<scheme.lowerBound])://: not a database Pedigree knows; use a file path, :memory:, mysql://... or postgresql://...")
        } else {
            self = .sqlite(path: text)
            return
        }
        self = .server(try DatabaseServer(engine: engine, url: text, environment: environment))
    }

    /// The location for messages: the path, or the URL without its password.
    package var description: String {
        switch self {
        case .sqlite(let path): path
        case .server(let address): address.redacted
        }
    }
}

/// A database server and the database on it.
package struct DatabaseServer: Sendable, Equatable {
    package var engine: SQLEngine
    package var user: String
    package var password: String?
    package var host: String
    package var port: Int
    package var database: String
    /// MySQL's unix socket, used instead of TCP when set.
    package var socket: String?
    /// The remaining query options (TLS and the like), by name.
    package var options: [String: String]

    init(engine: SQLEngine, url text: String, environment: [String: String]) throws {
        func bad(_ why: String) -> MetadataError {
            .invalidArgument("\(Self.redact(text)): \(why) (expected \(engine == .mysql ? "mysql" : "postgresql")://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        guard let url = URLComponents(string: text) else { throw bad("not a valid URL") }
        self.engine = engine
        user = url.user ?? ""
        password = url.password
        host = url.host ?? ""
        port = url.port ?? (engine == .mysql ? 3306 : 5432)
        database = String(url.path.drop { $0 == "/" })
        var options: [String: String] = [:]
        for item in url.queryItems ?? [] { options[item.name] = item.value ?? "" }
        socket = options.removeValue(forKey: "socket")
        if let file = options.removeValue(forKey: "password_file") {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw bad("cannot read the password file \(file)")
            }
            password = String(contents.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } else if let name = options.removeValue(forKey: "password_env") {
            guard let value = environment[name] else { throw bad("the environment variable \(name) is not set") }
            password = value
        } else if password == nil, let value = environment["PEDIGREE_DB_PASSWORD"] {
            password = value
        }
        self.options = options
        if user.isEmpty { throw bad("no user") }
        if host.isEmpty && socket == nil { throw bad("no host") }
        if host.isEmpty { host = "localhost" }
        if database.isEmpty || database.contains("/") { throw bad("no database name") }
        guard database.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw bad("the database name may hold letters, digits, '_' and '-' only")
        }
    }

    /// The URL with the password replaced by `***`, for messages and logs.
    package var redacted: String {
        let scheme = engine == .mysql ? "mysql" : "postgresql"
        return "\(scheme)://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://"),
            let colon = url[scheme.upperBound..<at].firstIndex(of: ":")
        else { return url }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
    }
}

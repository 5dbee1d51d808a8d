import Foundation
import Testing

@testable import Pedigree
@testable import PedigreeStore
import PedigreeModel

/// Following a MySQL or PostgreSQL database that other connections write: a transaction that
/// takes its ids and stamps its update early but commits late, after the follower has read past
/// both, is still applied; commit tokens name a write so that another store can tell it holds it.
@Suite struct ServerFollowTests {
    static let servers = ServerStoreTests.servers

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Rounds of `follow` every 200 ms for `milliseconds`.
    static func followRounds(_ store: MetadataStore, for milliseconds: Int64) throws {
        let end = now() + milliseconds
        while now() < end {
            try store.follow()
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func aTransactionHeldOpenAcrossRoundsIsNotMissed(base: String) throws {
        let url = ServerStoreTests.fresh(base, "late")
        let fixture = try Fixture(path: url)
        let follower = fixture.store
        let existing = try follower.putArtifacts([Artifact(typeID: fixture.dataset, name: "existing", uri: "old://")])[0]
        let writer = try MetadataStore(path: url, mode: .readWrite)

        // Another client, mid-transaction: it inserts (taking the next id) and updates a node,
        // stamping both now, and does not commit yet.
        let held = try MLMDDatabase.open(DatabaseLocation(url), mode: .readWrite)
        defer { held.close() }
        let stamp = Self.now()
        try held.beginWrite()
        try held.execute(
            "INSERT INTO Artifact (type_id, name, uri, create_time_since_epoch, last_update_time_since_epoch) VALUES (\(fixture.dataset.rawValue), 'late', 'late://', \(stamp), \(stamp))")
        try held.execute("UPDATE Artifact SET uri = 'updated://', last_update_time_since_epoch = \(stamp) WHERE id = \(existing.rawValue)")

        // Meanwhile another store commits rows with higher ids, and the follower reads past them,
        // for longer than any fixed window would cover.
        let later = try writer.putArtifacts([Artifact(typeID: fixture.dataset, name: "later")])[0]
        try Self.followRounds(follower, for: MLMDPosition.assumedLongest + MLMDPosition.clockSkew + 1_000)
        var g = follower.snapshot
        #expect(g.node(later, as: Artifact.self)?.name == "later")
        #expect(!g.artifacts.contains { $0.name == "late" }, "the follower saw a row that was not committed")
        #expect(g.node(existing, as: Artifact.self)?.uri == "old://")
        #expect(follower.followStatus.pendingIDs >= 1, "the id the open transaction took is not expected")
        #expect(follower.followStatus.horizon != "local clock", "\(follower.followStatus.horizon)")

        try held.commit()
        #expect(try follower.follow())
        g = follower.snapshot
        #expect(g.artifacts.contains { $0.name == "late" }, "the late commit's insert was missed")
        #expect(g.node(existing, as: Artifact.self)?.uri == "updated://", "the late commit's update was missed")
        #expect(follower.followStatus.pendingIDs == 0)
        let report = try follower.check()
        #expect(report.isHealthy, "\(report.problems)")
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func aRolledBackIDStopsBeingExpected(base: String) throws {
        let url = ServerStoreTests.fresh(base, "rollback")
        let fixture = try Fixture(path: url)
        let follower = fixture.store
        let held = try MLMDDatabase.open(DatabaseLocation(url), mode: .readWrite)
        defer { held.close() }
        try held.beginWrite()
        try held.execute(
            "INSERT INTO Artifact (type_id, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (\(fixture.dataset.rawValue), 'never', 1, 1)")
        let writer = try MetadataStore(path: url, mode: .readWrite)
        _ = try writer.putArtifacts([Artifact(typeID: fixture.dataset, name: "kept")])
        try follower.follow()
        #expect(follower.followStatus.pendingIDs == 1)
        held.rollback()
        // The round after the one that learns the mark, and the one after the taker ended (other
        // tests' transactions held open on the same server may hold the horizon back a while).
        let end = Self.now() + 20_000
        while follower.followStatus.pendingIDs > 0 && Self.now() < end {
            try follower.follow()
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(follower.followStatus.pendingIDs == 0, "a rolled-back id is still expected")
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func commitTokensNameWhatAnotherStoreMustHold(base: String) throws {
        let url = ServerStoreTests.fresh(base, "token")
        let fixture = try Fixture(path: url)
        let writer = fixture.store
        let reader = try MetadataStore(path: url, mode: .readWrite)

        let receipt = WriteReceipt()
        let id = try MetadataStore.$receipt.withValue(receipt) {
            try writer.putArtifacts([Artifact(typeID: fixture.dataset, name: "a")])[0]
        }
        let inserted = try #require(receipt.commitToken)
        #expect(CommitToken(inserted.description) == inserted)
        #expect(writer.hasApplied(inserted))
        #expect(!reader.hasApplied(inserted))
        try reader.follow()
        #expect(reader.hasApplied(inserted))
        #expect(reader.snapshot.node(id, as: Artifact.self) != nil)

        // An update: no new row; the token names the node and its new update time.
        let update = WriteReceipt()
        try MetadataStore.$receipt.withValue(update) {
            _ = try writer.putArtifacts([Artifact(id: id, typeID: fixture.dataset, name: "a", uri: "new://")])
        }
        let updated = try #require(update.commitToken)
        #expect(updated.description.hasPrefix("v1:artifact:\(id.rawValue)@"), "\(updated)")
        #expect(!reader.hasApplied(updated))
        try reader.follow()
        #expect(reader.hasApplied(updated))
        #expect(!reader.hasApplied(.now))
        for bad in ["", "v1", "v2:artifact:1", "v1:artifact:x", "v1:table:1", "v1:artifact:1@", "v1:artifact:0"] {
            #expect(CommitToken(bad) == nil, "\(bad)")
        }
    }
}

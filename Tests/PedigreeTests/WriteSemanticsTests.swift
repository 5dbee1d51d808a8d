import Foundation
import Pedigree
import Testing

@Suite struct TypeWriteTests {
    @Test func sameTypeTwiceIsTheSameID() throws {
        let f = try Fixture()
        let again = try f.store.putType(NodeType(kind: .artifact, name: "Dataset", properties: ["rows": .int, "split": .string]))
        #expect(again == f.dataset)
        // Same name, other kind: a different type.
        let execution = try f.store.putType(NodeType(kind: .execution, name: "Dataset"))
        #expect(execution != f.dataset)
        // Same name, with a version: a different type.
        let versioned = try f.store.putType(NodeType(kind: .artifact, name: "Dataset", version: "2"))
        #expect(versioned != f.dataset)
        // An empty version is no version.
        #expect(try f.store.putType(NodeType(kind: .artifact, name: "Dataset", version: "", properties: ["rows": .int, "split": .string])) == f.dataset)
    }

    @Test func propertyChangesFollowCanAddAndCanOmit() throws {
        let f = try Fixture()
        let more = NodeType(kind: .artifact, name: "Dataset", properties: ["rows": .int, "split": .string, "owner": .string])
        expectError(.alreadyExists) { try f.store.putType(more) }
        #expect(try f.store.putType(more, canAddFields: true) == f.dataset)
        #expect(f.store.snapshot.type(f.dataset)?.properties["owner"] == .string)

        let fewer = NodeType(kind: .artifact, name: "Dataset", properties: ["rows": .int])
        expectError(.alreadyExists) { try f.store.putType(fewer) }
        #expect(try f.store.putType(fewer, canOmitFields: true) == f.dataset)
        // Omitted properties are kept.
        #expect(f.store.snapshot.type(f.dataset)?.properties.count == 3)

        let conflicting = NodeType(kind: .artifact, name: "Dataset", properties: ["rows": .string])
        expectError(.alreadyExists) { try f.store.putType(conflicting, canAddFields: true, canOmitFields: true) }
    }

    @Test func invalidTypesAreRefused() throws {
        let f = try Fixture()
        expectError(.invalidArgument) { try f.store.putType(NodeType(kind: .artifact, name: "")) }
        expectError(.invalidArgument) { try f.store.putType(NodeType(kind: .artifact, name: "X", properties: ["p": .unknown])) }
        expectError(.invalidArgument) { try f.store.putType(NodeType(kind: .artifact, name: "X", baseType: .train)) }
        try f.store.putType(NodeType(kind: .artifact, name: "WithExternal", externalID: "ext-1"))
        expectError(.alreadyExists) { try f.store.putType(NodeType(kind: .context, name: "Other", externalID: "ext-1")) }
    }

    @Test func baseTypeIsStoredAsParentType() throws {
        let path = temporaryStorePath()
        let f = try Fixture(path: path)
        f.store.close()
        let reopened = try MetadataStore(path: path)
        #expect(reopened.snapshot.type(f.dataset)?.baseType == .dataset)
        #expect(reopened.snapshot.type(f.trainer)?.baseType == nil)
    }
}

@Suite struct NodeWriteTests {
    @Test func insertSetsTimesAndUpdateKeepsCreateTime() throws {
        let f = try Fixture()
        let id = try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "d", properties: ["rows": .int(1)])])[0]
        let stored = try #require(f.store.snapshot.artifact(id))
        #expect(stored.createTime != nil && stored.createTime == stored.updateTime)
        #expect(stored.uri == "")  // ml-metadata always writes a uri

        Thread.sleep(forTimeInterval: 0.005)
        var changed = stored
        changed.properties["rows"] = .int(2)
        changed.name = "renamed"
        try f.store.putArtifacts([changed])
        let updated = try #require(f.store.snapshot.artifact(id))
        #expect(updated.createTime == stored.createTime)
        #expect(updated.updateTime! > stored.updateTime!)
        #expect(updated.properties["rows"] == .int(2))
        #expect(updated.name == "d", "artifact names never change")

        // Sending the stored node again changes nothing, not even the update time.
        try f.store.putArtifacts([updated])
        #expect(f.store.snapshot.artifact(id)?.updateTime == updated.updateTime)
    }

    @Test func updateReplacesProperties() throws {
        let f = try Fixture()
        let id = try f.store.putArtifacts([
            Artifact(typeID: f.dataset, name: "d", properties: ["rows": .int(1), "split": .string("train")],
                     customProperties: ["a": .bool(true), "b": .int(2)])
        ])[0]
        var next = f.store.snapshot.artifact(id)!
        next.properties = ["rows": .int(5)]
        next.customProperties = ["c": .double(1.5)]
        try f.store.putArtifacts([next])
        let stored = f.store.snapshot.artifact(id)!
        #expect(stored.properties == ["rows": .int(5)])
        #expect(stored.customProperties == ["c": .double(1.5)])
    }

    @Test func propertiesAreCheckedAgainstTheType() throws {
        let f = try Fixture()
        let wrongKind = expectError(.invalidArgument) {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, properties: ["rows": .string("many")])])
        }
        #expect(wrongKind.contains("rows"))
        let unknown = expectError(.invalidArgument) {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, properties: ["colour": .string("red")])])
        }
        #expect(unknown.contains("colour"))
        expectError(.notFound) { try f.store.putArtifacts([Artifact(typeID: TypeID(999))]) }
        // An execution type is not an artifact type.
        expectError(.notFound) { try f.store.putArtifacts([Artifact(typeID: f.trainer)]) }
        #expect(f.store.snapshot.artifacts.isEmpty, "nothing of a refused write remains")
    }

    @Test func namesAndExternalIDsAreUnique() throws {
        let f = try Fixture()
        try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "census", externalID: "ext-census")])
        expectError(.alreadyExists) { try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "census")]) }
        expectError(.alreadyExists) { try f.store.putArtifacts([Artifact(typeID: f.model, externalID: "ext-census")]) }
        // The same name under another type is fine.
        try f.store.putArtifacts([Artifact(typeID: f.model, name: "census")])
        // Within one batch, the second duplicate fails the whole batch.
        expectError(.alreadyExists) {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "a"), Artifact(typeID: f.dataset, name: "a")])
        }
        #expect(f.store.snapshot.artifacts.count == 2)
    }

    @Test func updatesOfMissingNodesAndTypeChangesAreRefused() throws {
        let f = try Fixture()
        expectError(.invalidArgument) { try f.store.putArtifacts([Artifact(id: ArtifactID(77), typeID: f.dataset)]) }
        let id = try f.store.putArtifacts([Artifact(typeID: f.dataset)])[0]
        expectError(.invalidArgument) { try f.store.putArtifacts([Artifact(id: id, typeID: f.model)]) }
    }

    @Test func contextsNeedNamesAndMayBeRenamed() throws {
        let f = try Fixture()
        expectError(.invalidArgument) { try f.store.putContexts([Context(typeID: f.run, name: "")]) }
        let id = try f.store.putContexts([Context(typeID: f.run, name: "run-1")])[0]
        try f.store.putContexts([Context(id: id, typeID: f.run, name: "run-one")])
        #expect(f.store.snapshot.context(id)?.name == "run-one")
        #expect(f.store.snapshot.node(typeName: "Run", name: "run-one", as: Context.self)?.id == id)
        #expect(f.store.snapshot.node(typeName: "Run", name: "run-1", as: Context.self) == nil)
    }

    @Test func everyValueKindRoundTripsThroughTheFile() throws {
        let path = temporaryStorePath()
        let f = try Fixture(path: path)
        let values: Properties = [
            "int": .int(.min), "big": .int(.max), "double": .double(0.1234567890123456789), "inf": .double(-.infinity),
            "nan": .double(.nan), "tiny": .double(.leastNonzeroMagnitude),
            "string": .string("modèle-β-数据 \"quoted\""), "empty": .string(""), "bool": .bool(false),
            "struct": .struct(["a": .list([.number(1), .string("x"), .bool(true), .null]), "n": .object(["deep": .number(2.5)])]),
            "proto": .proto(AnyProto(typeURL: "type.googleapis.com/ml_metadata.Value", value: [0x08, 0x03])),
        ]
        let id = try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "all", customProperties: values)])[0]
        f.store.close()
        let reopened = try MetadataStore(path: path)
        let stored = try #require(reopened.snapshot.artifact(id)?.customProperties)
        #expect(stored.isIdentical(to: values), "\(stored)")
    }
}

@Suite struct EdgeWriteTests {
    @Test func eventsNeedExistingEndsAndAreUnique() throws {
        let f = try Fixture()
        let a = try f.store.putArtifacts([Artifact(typeID: f.dataset)])[0]
        let e = try f.store.putExecutions([Execution(typeID: f.trainer)])[0]
        expectError(.invalidArgument) { try f.store.putEvents([Event(artifactID: ArtifactID(99), executionID: e, type: .input)]) }
        expectError(.invalidArgument) { try f.store.putEvents([Event(artifactID: a, executionID: ExecutionID(99), type: .input)]) }
        expectError(.invalidArgument) { try f.store.putEvents([Event(artifactID: a, executionID: e, type: .unknown)]) }
        try f.store.putEvents([Event(artifactID: a, executionID: e, type: .input, time: 5)])
        expectError(.alreadyExists) { try f.store.putEvents([Event(artifactID: a, executionID: e, type: .input)]) }
        // The same pair with another type is another event.
        try f.store.putEvents([Event(artifactID: a, executionID: e, type: .output)])
        let events = f.store.snapshot.events(artifactIDs: [a])
        #expect(events.map(\.type) == [.input, .output])
        #expect(events[0].time == 5)
        #expect(events[1].time != nil)
    }

    @Test func putExecutionIsAtomic() throws {
        let f = try Fixture()
        let ctx = Context(typeID: f.run, name: "run-1")
        let result = try f.store.putExecution(
            Execution(typeID: f.trainer, lastKnownState: .complete),
            artifactsAndEvents: [
                .init(artifact: Artifact(typeID: f.dataset, name: "in"), event: Event(type: .input)),
                .init(artifact: Artifact(typeID: f.model, name: "out"), event: Event(type: .output, path: [.key("model")])),
            ],
            contexts: [ctx])
        let g = f.store.snapshot
        #expect(g.events.count == 2)
        #expect(g.attributions.count == 2)
        #expect(g.associations.count == 1)
        #expect(try g.contexts(execution: result.executionID).map(\.name) == ["run-1"])

        // A failing second call leaves nothing behind: its first artifact is valid, its context clashes.
        let before = f.store.snapshot
        expectError(.alreadyExists) {
            try f.store.putExecution(
                Execution(typeID: f.trainer),
                artifactsAndEvents: [.init(artifact: Artifact(typeID: f.dataset, name: "in-2"), event: Event(type: .input))],
                contexts: [Context(typeID: f.run, name: "run-1")])
        }
        let after = f.store.snapshot
        #expect(after.artifacts.count == before.artifacts.count)
        #expect(after.executions.count == before.executions.count)
        #expect(after.events.count == before.events.count)
        #expect(try f.store.check().isHealthy)

        // With reuse, the existing context is used.
        let reused = try f.store.putExecution(
            Execution(typeID: f.trainer), artifactsAndEvents: [], contexts: [Context(typeID: f.run, name: "run-1")],
            reuseContextIfAlreadyExist: true)
        #expect(reused.contextIDs == result.contextIDs)
    }

    @Test func putExecutionReusesArtifactsByExternalID() throws {
        let f = try Fixture()
        let first = try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "raw", externalID: "gs://raw")])[0]
        let result = try f.store.putExecution(
            Execution(typeID: f.trainer),
            artifactsAndEvents: [.init(artifact: Artifact(typeID: f.dataset, externalID: "gs://raw"), event: Event(type: .input))],
            contexts: [], reuseArtifactIfAlreadyExistByExternalID: true)
        #expect(result.artifactIDs == [first])
        expectError(.alreadyExists) {
            try f.store.putExecution(
                Execution(typeID: f.trainer),
                artifactsAndEvents: [.init(artifact: Artifact(typeID: f.dataset, externalID: "gs://raw"), event: nil)], contexts: [])
        }
    }

    @Test func putLineageSubgraphLinksEverything() throws {
        let f = try Fixture()
        let result = try f.store.putLineageSubgraph(
            executions: [Execution(typeID: f.trainer)],
            artifacts: [Artifact(typeID: f.dataset, name: "x"), Artifact(typeID: f.model, name: "m")],
            contexts: [Context(typeID: f.run, name: "r")],
            edges: [
                .init(executionIndex: 0, artifactIndex: 0, event: Event(type: .input)),
                .init(executionIndex: 0, artifactIndex: 1, event: Event(type: .output)),
            ])
        let g = f.store.snapshot
        #expect(g.events.count == 2)
        #expect(try g.artifacts(context: result.contextIDs[0]).items.count == 2)
        #expect(try g.executions(context: result.contextIDs[0]).items.count == 1)
        expectError(.invalidArgument) {
            try f.store.putLineageSubgraph(
                executions: [], artifacts: [], contexts: [],
                edges: [.init(executionIndex: 3, artifactIndex: 0, event: Event(type: .input))])
        }
    }

    @Test func attributionsIgnoreDuplicatesAndRefuseDanglingIDs() throws {
        let f = try Fixture()
        let a = try f.store.putArtifacts([Artifact(typeID: f.dataset)])[0]
        let c = try f.store.putContexts([Context(typeID: f.run, name: "r")])[0]
        try f.store.putAttributionsAndAssociations([Attribution(contextID: c, artifactID: a)], [])
        try f.store.putAttributionsAndAssociations([Attribution(contextID: c, artifactID: a)], [])
        #expect(f.store.snapshot.attributions.count == 1)
        expectError(.invalidArgument) {
            try f.store.putAttributionsAndAssociations([Attribution(contextID: c, artifactID: ArtifactID(42))], [])
        }
        expectError(.invalidArgument) {
            try f.store.putAttributionsAndAssociations([], [Association(contextID: c, executionID: ExecutionID(42))])
        }
    }

    @Test func parentContextsRefuseCyclesAndDuplicates() throws {
        let f = try Fixture()
        let ids = try f.store.putContexts((0..<4).map { Context(typeID: f.run, name: "c\($0)") })
        try f.store.putParentContexts([
            ParentContext(childID: ids[1], parentID: ids[0]), ParentContext(childID: ids[2], parentID: ids[1]),
        ])
        expectError(.invalidArgument) { try f.store.putParentContexts([ParentContext(childID: ids[0], parentID: ids[2])]) }
        expectError(.invalidArgument) { try f.store.putParentContexts([ParentContext(childID: ids[3], parentID: ids[3])]) }
        expectError(.alreadyExists) { try f.store.putParentContexts([ParentContext(childID: ids[1], parentID: ids[0])]) }
        expectError(.invalidArgument) { try f.store.putParentContexts([ParentContext(childID: ids[1], parentID: ContextID(77))]) }
        #expect(f.store.snapshot.parentContexts(of: ids[2]).map(\.id) == [ids[1]])
        #expect(f.store.snapshot.childContexts(of: ids[0]).map(\.id) == [ids[1]])
    }
}

@Suite struct UpdateMaskTests {
    @Test func maskedUpdatesTouchOnlyTheNamedFields() throws {
        let f = try Fixture()
        let id = try f.store.putArtifacts([
            Artifact(typeID: f.dataset, name: "d", uri: "/old", state: .live, externalID: "x",
                     properties: ["rows": .int(1), "split": .string("train")], customProperties: ["a": .int(1), "b": .int(2)])
        ])[0]
        // Only the state and one property change; the request's other fields are ignored.
        try f.store.putArtifacts(
            [Artifact(id: id, typeID: f.dataset, uri: "/ignored", state: .deleted, properties: ["rows": .int(9)])],
            updateMask: ["state", "properties.rows", "custom_properties.b", "no_such_field"])
        let a = try #require(f.store.snapshot.artifact(id))
        #expect(a.state == .deleted)
        #expect(a.uri == "/old")
        #expect(a.externalID == "x")
        #expect(a.properties == ["rows": .int(9), "split": .string("train")])
        #expect(a.customProperties == ["a": .int(1)], "a masked property the request lacks is removed")

        // A bare `properties` path replaces the map; a masked field the request lacks is cleared.
        try f.store.putArtifacts([Artifact(id: id, typeID: f.dataset, properties: ["split": .string("eval")])],
                                 updateMask: ["properties", "external_id"])
        let b = try #require(f.store.snapshot.artifact(id))
        #expect(b.properties == ["split": .string("eval")])
        #expect(b.externalID == nil)
        #expect(b.customProperties == ["a": .int(1)])

        // Masked properties are still checked against the type.
        expectError(.invalidArgument) {
            try f.store.putArtifacts([Artifact(id: id, typeID: f.dataset, properties: ["rows": .string("x")])], updateMask: ["properties.rows"])
        }
    }

    @Test func forceUpdateTimeBumpsAnUnchangedExecution() throws {
        let f = try Fixture()
        let r = try f.store.putExecution(Execution(typeID: f.trainer, name: "e"), artifactsAndEvents: [], contexts: [])
        let stored = try #require(f.store.snapshot.execution(r.executionID))
        Thread.sleep(forTimeInterval: 0.003)
        try f.store.putExecution(stored, artifactsAndEvents: [], contexts: [])
        #expect(f.store.snapshot.execution(r.executionID)?.updateTime == stored.updateTime)
        try f.store.putExecution(stored, artifactsAndEvents: [], contexts: [], forceUpdateTime: true)
        #expect(f.store.snapshot.execution(r.executionID)!.updateTime! > stored.updateTime!)
    }
}

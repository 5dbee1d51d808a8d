import Pedigree
import PedigreeQuery
import Testing

/// `ListOptions.filterQuery` with ml-metadata 1.17.1's semantics on SQLite, as the differential
/// test in Tests/Compat (filter_diff.py) established them against the real library.
@Suite struct FilterQueryTests {
    /// A store whose ids are known (a fresh store numbers from 1):
    ///
    /// artifacts
    ///   1 Dataset "train"   uri "gs://b/train"  LIVE      rows 10, split "train"; custom note "it's", tag "x", Tag "y"
    ///   2 Dataset "Train"   uri "GS://B/Eval"   no state  rows 20; custom tag 5
    ///   3 Model   "uri-name" uri "uri-name"     DELETED   accuracy 0.5, Mixed 7; custom name "x"
    ///   4 Model   "日本"      uri "/tmp/ü"       ABANDONED custom weight 1.0
    ///   5 Dataset "a_b%"    uri ""              no state  nothing; in no context, no events
    /// contexts 1 Run "run-1", 2 Run "run-2", 3 Pipeline "taxi", 4 Pipeline "Taxi";
    ///   run-1 and run-2 are children of taxi, run-2 also of Taxi
    /// membership a1: run-1, run-2; a2: run-1; a3: run-2; a4: Taxi; e1: run-1; e2: run-2
    /// executions 1 COMPLETE, 2 no state, 3 FAILED
    /// events e1 INPUT a1, e1 OUTPUT a3, e2 INPUT a2 (time 5), e3 PENDING_OUTPUT a4
    private static func store() throws -> MetadataStore {
        let s = try MetadataStore.inMemory()
        let dataset = try s.putType(NodeType(kind: .artifact, name: "Dataset", properties: ["rows": .int, "split": .string]))
        let model = try s.putType(NodeType(kind: .artifact, name: "Model", properties: ["accuracy": .double, "Mixed": .int]))
        let trainer = try s.putType(NodeType(kind: .execution, name: "Trainer"))
        let run = try s.putType(NodeType(kind: .context, name: "Run"))
        let pipeline = try s.putType(NodeType(kind: .context, name: "Pipeline"))
        let a = try s.putArtifacts([
            Artifact(
                typeID: dataset, name: "train", uri: "gs://b/train", state: .live, properties: ["rows": .int(10), "split": .string("train")],
                customProperties: ["note": .string("it's"), "tag": .string("x"), "Tag": .string("y")]),
            Artifact(typeID: dataset, name: "Train", uri: "GS://B/Eval", properties: ["rows": .int(20)], customProperties: ["tag": .int(5)]),
            Artifact(
                typeID: model, name: "uri-name", uri: "uri-name", state: .deleted, properties: ["accuracy": .double(0.5), "Mixed": .int(7)],
                customProperties: ["name": .string("x")]),
            Artifact(typeID: model, name: "日本", uri: "/tmp/ü", state: .abandoned, customProperties: ["weight": .double(1)]),
            Artifact(typeID: dataset, name: "a_b%", uri: ""),
        ])
        let c = try s.putContexts([
            Context(typeID: run, name: "run-1"), Context(typeID: run, name: "run-2"),
            Context(typeID: pipeline, name: "taxi"), Context(typeID: pipeline, name: "Taxi"),
        ])
        let e = try s.putExecutions([
            Execution(typeID: trainer, lastKnownState: .complete), Execution(typeID: trainer), Execution(typeID: trainer, lastKnownState: .failed),
        ])
        try s.putEvents([
            Event(artifactID: a[0], executionID: e[0], type: .input), Event(artifactID: a[2], executionID: e[0], type: .output),
            Event(artifactID: a[1], executionID: e[1], type: .input, time: 5), Event(artifactID: a[3], executionID: e[2], type: .pendingOutput),
        ])
        try s.putAttributionsAndAssociations(
            [
                Attribution(contextID: c[0], artifactID: a[0]), Attribution(contextID: c[1], artifactID: a[0]),
                Attribution(contextID: c[0], artifactID: a[1]), Attribution(contextID: c[1], artifactID: a[2]),
                Attribution(contextID: c[3], artifactID: a[3]),
            ],
            [Association(contextID: c[0], executionID: e[0]), Association(contextID: c[1], executionID: e[1])])
        try s.putParentContexts([
            ParentContext(childID: c[0], parentID: c[2]), ParentContext(childID: c[1], parentID: c[2]),
            ParentContext(childID: c[1], parentID: c[3]),
        ])
        return s
    }

    private let g: GraphSnapshot

    init() throws { g = try Self.store().snapshot }

    private func artifacts(_ q: String, order: ListOptions.OrderField = .id, ascending: Bool = true) throws -> [Int64] {
        try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 100, orderBy: order, ascending: ascending, filterQuery: q))
            .items.map { $0.id!.rawValue }
    }

    private func executions(_ q: String) throws -> [Int64] {
        try g.nodes(as: Execution.self, options: ListOptions(maxResultSize: 100, filterQuery: q)).items.map { $0.id!.rawValue }
    }

    private func contexts(_ q: String) throws -> [Int64] {
        try g.nodes(as: Context.self, options: ListOptions(maxResultSize: 100, filterQuery: q)).items.map { $0.id!.rawValue }
    }

    /// The filter is refused as ml-metadata refuses it: InvalidArgument.
    private func rejected(_ q: String, kind: NodeKind = .artifact, sourceLocation: SourceLocation = #_sourceLocation) {
        expectError(.invalidArgument, sourceLocation: sourceLocation) {
            switch kind {
            case .artifact: _ = try artifacts(q)
            case .execution: _ = try executions(q)
            case .context: _ = try contexts(q)
            }
        }
    }

    @Test func attributesAndCombinations() throws {
        #expect(try artifacts("id != 1 AND (type = 'Model' OR name LIKE 'a%')") == [3, 4, 5])
        #expect(try artifacts("NOT(create_time_since_epoch < 1 OR last_update_time_since_epoch < 1)") == [1, 2, 3, 4, 5])
        #expect(try artifacts("id IN (1, 3) OR uri IS NULL") == [1, 3])
        #expect(try artifacts("ID = 2 or Name = 'train'") == [1, 2])  // names and keywords: any case
        #expect(try artifacts("type = 'Model'", order: .id, ascending: false) == [4, 3])
        #expect(try artifacts("") == [1, 2, 3, 4, 5])  // empty: no filter
        rejected("   ")
    }

    @Test func everyJoinIsAnInnerJoin() throws {
        // a5 has uri '' but no context: mentioning contexts_a drops it, even under OR.
        #expect(try artifacts("uri = ''") == [5])
        #expect(try artifacts("contexts_a.name = 'run-1' OR uri = ''") == [1, 2])
        // A property mentioned anywhere requires its row: a5 has no rows at all.
        #expect(try artifacts("properties.rows.int_value = 10 OR name = 'a_b%'") == [1])
        #expect(try artifacts("events_0.type = INPUT OR id = 5") == [1, 2])
    }

    @Test func anAliasIsOneJoinedRow() throws {
        #expect(try artifacts("contexts_a.name = 'run-1' AND contexts_a.name = 'run-2'") == [])
        #expect(try artifacts("contexts_a.name = 'run-1' AND contexts_b.name = 'run-2'") == [1])
        #expect(try artifacts("contexts_a.type = 'Run' AND contexts_b.type = 'Pipeline'") == [])
        #expect(try artifacts("NOT contexts_a.name = 'run-1'") == [1, 3, 4])  // some context is not run-1
        #expect(try artifacts("events_0.type = INPUT AND events_1.type = OUTPUT") == [])
    }

    @Test func propertiesAreJoinedRows() throws {
        // Rows of the other kind have NULL in this column; nodes without the row do not match.
        #expect(try artifacts("custom_properties.tag.int_value IS NULL") == [1])
        #expect(try artifacts("custom_properties.tag.string_value IS NULL") == [2])
        #expect(try artifacts("properties.rows.int_value IN (10, 20.0)") == [1, 2])
        #expect(try artifacts("properties.rows.int_value = 10.5") == [])
        #expect(try artifacts("custom_properties.weight.double_value = 1") == [4])
        #expect(try artifacts("properties.accuracy.double_value > 0.25 AND properties.accuracy.double_value < 1") == [3])
        #expect(try artifacts("properties.`rows`.int_value > 15") == [2])
    }

    @Test func propertyNamesAreLowerCased() throws {
        // MLMD lower-cases the name: "Mixed" and "Tag" cannot be reached, "tag" can as TAG.
        #expect(try artifacts("properties.Mixed.int_value = 7") == [])
        #expect(try artifacts("custom_properties.Tag.string_value = 'y'") == [])
        #expect(try artifacts("custom_properties.TAG.string_value = 'x'") == [1])
        rejected("custom_properties.Tag.string_value = 'y' AND custom_properties.tag.string_value = 'x'")
    }

    @Test func aPropertyNamedLikeAColumnIsThatColumn() throws {
        // `WHERE name = "name"` holds for every row: custom_properties.name reads all custom properties.
        #expect(try artifacts("custom_properties.name.string_value = 'x'") == [1, 3])
        #expect(try artifacts("custom_properties.name.string_value = \"it's\"") == [1])
        #expect(try artifacts("custom_properties.int_value.int_value IS NULL") == [])
    }

    @Test func stringsInDoubleQuotesCanBeColumns() throws {
        // MLMD prints string literals in double quotes; SQLite takes a column's name as the column.
        #expect(try artifacts("name = 'uri'") == [3])
        #expect(try artifacts("name = 'URI'") == [3])
        #expect(try artifacts("type = 'type'") == [1, 2, 3, 4, 5])
        #expect(try artifacts("name > 'rowid'") == [1, 2, 3, 4, 5])  // text sorts after the numeric rowid
        rejected("name = 'id' AND contexts_a.id > 0")  // ambiguous column
        // A string with a double quote only is printed in single quotes: no column.
        #expect(try artifacts("name = 'uri\"'") == [])
        rejected("name = 'a\"b\\'c'")  // both quotes: MLMD's SQL does not parse
    }

    @Test func stringLiteralsAreZetaSQL() throws {
        #expect(try artifacts("custom_properties.note.string_value = 'it\\'s'") == [1])
        #expect(try artifacts("custom_properties.note.string_value = \"it's\"") == [1])
        #expect(try artifacts("name = '\\u65e5\\u672c'") == [4])
        #expect(try artifacts("name = 'train' -- a comment") == [1])
        rejected("name = 'it''s'")  // two literals in ZetaSQL
        rejected("name = 'a\\%'")  // no such escape
        rejected("name == 'train'")
    }

    @Test func likeIsCaseInsensitiveForASCIIOnly() throws {
        #expect(try artifacts("name LIKE 'TRAIN'") == [1, 2])
        #expect(try artifacts("uri LIKE 'gs://b/%'") == [1, 2])
        #expect(try artifacts("uri LIKE '/tmp/_'") == [4])  // `_` is one character, not one byte
        #expect(try artifacts("uri LIKE '/TMP/Ü'") == [])
        #expect(try artifacts("name LIKE 'a\\\\_b%'") == [])  // no escape character: the backslash is literal
        #expect(try artifacts("name NOT LIKE '%a%'") == [4])
    }

    @Test func enumPredicatesAreRewrittenLikeMLMD() throws {
        #expect(try artifacts("state = LIVE") == [1])
        #expect(try artifacts("state IN (LIVE, DELETED)") == [1, 3])
        // `!=` and NOT IN also admit NULL; NOT does not.
        #expect(try artifacts("state != LIVE") == [2, 3, 4, 5])
        #expect(try artifacts("state NOT IN (LIVE, DELETED)") == [2, 4, 5])
        #expect(try artifacts("NOT state = LIVE") == [3, 4])
        #expect(try artifacts("state IS NULL") == [2, 5])
        #expect(try artifacts("state > 2") == [3, 4])  // a number where no enum name is rewritten
        #expect(try artifacts("state IN (2)") == [1])
        #expect(try artifacts("state = LIVE OR state = DELETED") == [1, 3])
        rejected("state = ABANDONED")  // not in MLMD's list
        rejected("state = live")
        rejected("state = 2")
        rejected("state IN (12)")
        rejected("state = 'LIVE'")
        rejected("state IN(LIVE)")  // without the space nothing is rewritten: LIVE is an unknown name
        rejected("state = LIVE OR state = LIVE")  // the second rewrite finds nothing left
        #expect(try executions("last_known_state != COMPLETE") == [2, 3])
        #expect(try executions("last_known_state IN (COMPLETE, FAILED)") == [1, 3])
    }

    @Test func unknownNamesMatchNothingButUnknownFieldsAreErrors() throws {
        #expect(try artifacts("type = 'Nope'") == [])
        #expect(try artifacts("properties.nope.int_value IS NULL") == [])
        #expect(try artifacts("contexts_a.name = 'nope'") == [])
        #expect(try artifacts("properties.rows.string_value IS NULL") == [1, 2])  // declared INT, read as string
        rejected("nope = 1")
        rejected("rows > 1")  // Pedigree's property shorthand is not MLMD's
        rejected("properties.rows = 1")
        rejected("contexts_a.external_id = 'x'")
        rejected("uri = 'x'", kind: .execution)
        rejected("artifacts_a.id = 1")  // artifacts_ is for contexts only
    }

    @Test func valueKindsFollowZetaSQL() throws {
        #expect(try artifacts("id = 1.0") == [1])
        #expect(try artifacts("id = +3") == [3])
        #expect(try artifacts("id IN (1, 2.5)") == [1])
        rejected("id = '1'")
        rejected("name = 1")
        rejected("uri LIKE 1")
        rejected("id LIKE '1'")
        rejected("custom_properties.tag.int_value = true")
        rejected("name = NULL")
        rejected("id = 99999999999999999999")
    }

    @Test func events() throws {
        #expect(try artifacts("events_0.type = INPUT") == [1, 2])
        #expect(try artifacts("events_0.type != INPUT") == [3, 4])
        #expect(try artifacts("events_0.type IN (OUTPUT, DECLARED_OUTPUT)") == [3])
        #expect(try artifacts("events_0.execution_id = 1") == [1, 3])
        #expect(try executions("events_0.artifact_id = 1") == [1])
        #expect(try executions("events_0.milliseconds_since_epoch = 5") == [2])
        rejected("events_0.type = PENDING_OUTPUT")  // not in MLMD's list
        rejected("events_0.artifact_id = 1")  // artifacts' events have execution_id
    }

    @Test func contextsAndTheirNeighbours() throws {
        #expect(try contexts("parent_contexts_a.name = 'taxi'") == [1, 2])
        #expect(try contexts("parent_contexts_a.name = 'taxi' AND parent_contexts_b.name = 'Taxi'") == [2])
        #expect(try contexts("child_contexts_a.name = 'run-2'") == [3, 4])
        #expect(try contexts("artifacts_a.state = LIVE") == [1, 2])
        #expect(try contexts("artifacts_a.type = 'Model' AND artifacts_b.type = 'Dataset'") == [2])
        #expect(try contexts("executions_a.last_known_state IN (COMPLETE)") == [1])
        #expect(try executions("contexts_a.name LIKE 'RUN%'") == [1, 2])
        rejected("parent_contexts_a.create_time_since_epoch > 0", kind: .context)  // not in MLMD's SQL
        rejected("artifacts_a.external_id = 'x'", kind: .context)
        rejected("artifacts_a.state != LIVE", kind: .context)  // MLMD's rewrite breaks the syntax
        rejected("state = LIVE", kind: .context)
        rejected("contexts_a.name = 'x'", kind: .context)
    }

    @Test func strictModeKeepsDidYouMean() {
        let (parsed, _) = Parser.parsePredicate("type = 'Datset'")
        var strict = PredicateBinder(snapshot: g)
        #expect(strict.bind(parsed!, for: .artifact) == nil)
        #expect(strict.diagnostics.first?.notes.contains { $0.contains("did you mean 'Dataset'") } == true)
        var mlmd = PredicateBinder(snapshot: g, mlmdCompatible: true)
        let bound = mlmd.bind(parsed!, for: .artifact)
        #expect(mlmd.diagnostics.isEmpty)
        guard case .mlmd? = bound else {
            Issue.record("MLMD-compatible binding gives \(String(describing: bound))")
            return
        }
        var enumBinder = PredicateBinder(snapshot: g, mlmdCompatible: true)
        let live = enumBinder.bind(Parser.parsePredicate("state = LIVE").0!, for: .artifact)
        let evaluator = PredicateEvaluator(g)
        #expect(live.map { p in (0..<Int32(g.nodeCount(.artifact))).filter { evaluator.matches(p, kind: .artifact, index: $0) } } == [0])
    }

    @Test func theCLIExits65OnARefusedFilter() throws {
        let path = temporaryStorePath()
        let s = try MetadataStore(path: path)
        let t = try s.putType(NodeType(kind: .artifact, name: "Dataset"))
        _ = try s.putArtifacts([Artifact(typeID: t, name: "x", state: .live), Artifact(typeID: t, name: "y")])
        let (ok, out, _) = try runPedigree(["list", "artifacts", "--db", path, "--filter", "state != LIVE", "--format", "ids"])
        #expect(ok == 0)
        #expect(out == "2\n")
        let (bad, _, err) = try runPedigree(["list", "artifacts", "--db", path, "--filter", "state = ABANDONED", "--format", "ids"])
        #expect(bad == 65)
        #expect(err.contains("Unsupported enum value"))
    }
}

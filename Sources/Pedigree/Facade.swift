// The names a program gets with `import Pedigree`: the facade is this list, the store
// (`MetadataStore`), and the types declared in this module. The engine's modules (model,
// graph, query language, diagrams) stay behind it; their other declarations are `package`.
// API/Pedigree.txt lists every public declaration, and `make test` fails when it changes.
public import PedigreeModel
public import PedigreeGraph
public import PedigreeQuery
public import PedigreeRender

// MLMD's data model.
public typealias Artifact = PedigreeModel.Artifact
public typealias Execution = PedigreeModel.Execution
public typealias Context = PedigreeModel.Context
public typealias Event = PedigreeModel.Event
public typealias EventStep = PedigreeModel.EventStep
public typealias EventType = PedigreeModel.EventType
public typealias Attribution = PedigreeModel.Attribution
public typealias Association = PedigreeModel.Association
public typealias ParentContext = PedigreeModel.ParentContext
public typealias ArtifactState = PedigreeModel.ArtifactState
public typealias ExecutionState = PedigreeModel.ExecutionState
public typealias NodeType = PedigreeModel.NodeType
public typealias NodeKind = PedigreeModel.NodeKind
public typealias BaseType = PedigreeModel.BaseType
public typealias PropertyType = PedigreeModel.PropertyType
public typealias Value = PedigreeModel.Value
public typealias StructValue = PedigreeModel.StructValue
public typealias AnyProto = PedigreeModel.AnyProto
public typealias Properties = PedigreeModel.Properties
public typealias MetadataNode = PedigreeModel.MetadataNode
public typealias MetadataID = PedigreeModel.MetadataID
public typealias TypeID = PedigreeModel.TypeID
public typealias ArtifactID = PedigreeModel.ArtifactID
public typealias ExecutionID = PedigreeModel.ExecutionID
public typealias ContextID = PedigreeModel.ContextID
public typealias StoreContents = PedigreeModel.StoreContents
public typealias MetadataError = PedigreeModel.MetadataError

// The lineage graph, read from a snapshot.
public typealias GraphSnapshot = PedigreeGraph.GraphSnapshot
public typealias StoredNode = PedigreeGraph.StoredNode
public typealias NodeStore<Node: StoredNode> = PedigreeGraph.NodeStore<Node>
public typealias NodeRef = PedigreeGraph.NodeRef

// The query language: plans, results and diagnostics.
public typealias Plan = PedigreeQuery.Plan
public typealias QueryResult = PedigreeQuery.QueryResult
public typealias QueryLimits = PedigreeQuery.QueryLimits
public typealias ResultNode = PedigreeQuery.ResultNode
public typealias Subgraph = PedigreeQuery.Subgraph
public typealias LineagePath = PedigreeQuery.LineagePath
public typealias GroupRow = PedigreeQuery.GroupRow
public typealias Truncation = PedigreeQuery.Truncation
public typealias OperatorProfile = PedigreeQuery.OperatorProfile
public typealias QueryError = PedigreeQuery.QueryError
public typealias Diagnostic = PedigreeQuery.Diagnostic
public typealias SourceRange = PedigreeQuery.SourceRange
public typealias DiagnosticRenderer = PedigreeQuery.DiagnosticRenderer
public typealias ExplainRenderer = PedigreeQuery.ExplainRenderer

// Lineage diagrams.
public typealias LineageDiagram = PedigreeRender.LineageDiagram
public typealias DiagramOptions = PedigreeRender.DiagramOptions

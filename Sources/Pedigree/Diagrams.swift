// Lineage diagrams (DOT, Mermaid, and SVG, PNG, PDF through Graphviz) are part of the facade.
@_exported public import PedigreeRender

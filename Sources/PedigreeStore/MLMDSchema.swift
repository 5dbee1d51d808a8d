/// MLMD's SQLite schema, version 10, statement for statement as `ml-metadata` 1.17.1 creates it
/// (same tables, columns, constraints and indexes, in the same order and spelling, so that
/// `.schema` of a Pedigree file and of a library file are identical).
package enum MLMDSchema {
    package static let version: Int64 = 10

    /// The secondary indexes (those of CREATE INDEX statements) of `engine`'s schema: a bulk load
    /// into an empty store drops them first and builds them once at the end, which is much faster
    /// than keeping them up to date row by row. nil on MySQL, whose DDL commits on its own (a
    /// failed load could not put them back).
    package static func secondaryIndexes(_ engine: SQLEngine) -> [(name: String, sql: String)]? {
        let statements: [String]
        switch engine {
        case .sqlite: statements = creation
        case .postgresql: statements = MLMDServerSchema.postgresql
        case .mysql: return nil
        }
        return statements.compactMap { sql in
            guard sql.contains("CREATE INDEX"), let start = sql.range(of: "idx_") else { return nil }
            let name = sql[start.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return (String(name), sql)
        }
    }

    /// The tables and their columns, for validating a file at open.
    package static let tables: [(name: String, columns: [String])] = [
        ("Type", ["id", "name", "version", "type_kind", "description", "input_type", "output_type", "external_id"]),
        ("TypeProperty", ["type_id", "name", "data_type"]),
        ("ParentType", ["type_id", "parent_type_id"]),
        ("Artifact", ["id", "type_id", "uri", "state", "name", "external_id",
                      "create_time_since_epoch", "last_update_time_since_epoch"]),
        ("ArtifactProperty", propertyColumns("artifact_id")),
        ("Execution", ["id", "type_id", "last_known_state", "name", "external_id",
                       "create_time_since_epoch", "last_update_time_since_epoch"]),
        ("ExecutionProperty", propertyColumns("execution_id")),
        ("Event", ["id", "artifact_id", "execution_id", "type", "milliseconds_since_epoch"]),
        ("EventPath", ["event_id", "is_index_step", "step_index", "step_key"]),
        ("MLMDEnv", ["schema_version"]),
        ("Context", ["id", "type_id", "name", "external_id", "create_time_since_epoch", "last_update_time_since_epoch"]),
        ("ContextProperty", propertyColumns("context_id")),
        ("ParentContext", ["context_id", "parent_context_id"]),
        ("Association", ["id", "context_id", "execution_id"]),
        ("Attribution", ["id", "context_id", "artifact_id"]),
    ]

    private static func propertyColumns(_ owner: String) -> [String] {
        [owner, "name", "is_custom_property", "int_value", "double_value", "string_value",
         "byte_value", "proto_value", "bool_value"]
    }

    private static func propertyTable(_ table: String, _ owner: String) -> String {
        " CREATE TABLE IF NOT EXISTS `\(table)` (    `\(owner)` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,"
            + "    `is_custom_property` TINYINT(1) NOT NULL,    `int_value` INT,    `double_value` DOUBLE,"
            + "    `string_value` TEXT,    `byte_value` BLOB,    `proto_value` BLOB,    `bool_value` BOOLEAN,"
            + "  PRIMARY KEY (`\(owner)`, `name`, `is_custom_property`)); "
    }

    private static func propertyIndexes(_ table: String, _ prefix: String) -> [String] {
        ["int", "double", "string"].map { kind in
            " CREATE INDEX IF NOT EXISTS `idx_\(prefix)_property_\(kind)`  ON `\(table)`(`name`, `is_custom_property`, `\(kind)_value`)  WHERE `\(kind)_value` IS NOT NULL; "
        }
    }

    /// The statements that create an empty version-10 store.
    package static let creation: [String] = [
        " CREATE TABLE IF NOT EXISTS `Type` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `name` VARCHAR(255) NOT NULL,    `version` VARCHAR(255),    `type_kind` TINYINT(1) NOT NULL,    `description` TEXT,    `input_type` TEXT,    `output_type` TEXT,    `external_id` VARCHAR(255) UNIQUE ); ",
        " CREATE TABLE IF NOT EXISTS `TypeProperty` (    `type_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `data_type` INT NULL,  PRIMARY KEY (`type_id`, `name`)); ",
        " CREATE TABLE IF NOT EXISTS `ParentType` (    `type_id` INT NOT NULL,    `parent_type_id` INT NOT NULL,  PRIMARY KEY (`type_id`, `parent_type_id`)); ",
        " CREATE TABLE IF NOT EXISTS `Artifact` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `uri` TEXT,    `state` INT,    `name` VARCHAR(255),    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ",
        propertyTable("ArtifactProperty", "artifact_id"),
        " CREATE TABLE IF NOT EXISTS `Execution` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `last_known_state` INT,    `name` VARCHAR(255),    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ",
        propertyTable("ExecutionProperty", "execution_id"),
        " CREATE TABLE IF NOT EXISTS `Event` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `artifact_id` INT NOT NULL,    `execution_id` INT NOT NULL,    `type` INT NOT NULL,    `milliseconds_since_epoch` INT,    UNIQUE(`artifact_id`, `execution_id`, `type`)  ); ",
        " CREATE TABLE IF NOT EXISTS `EventPath` (    `event_id` INT NOT NULL,    `is_index_step` TINYINT(1) NOT NULL,    `step_index` INT,    `step_key` TEXT  ); ",
        " CREATE TABLE IF NOT EXISTS `MLMDEnv` (    `schema_version` INTEGER PRIMARY KEY  ); ",
        " CREATE TABLE IF NOT EXISTS `Context` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ",
        propertyTable("ContextProperty", "context_id"),
        " CREATE TABLE IF NOT EXISTS `ParentContext` (    `context_id` INT NOT NULL,    `parent_context_id` INT NOT NULL,  PRIMARY KEY (`context_id`, `parent_context_id`)); ",
        " CREATE TABLE IF NOT EXISTS `Association` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `context_id` INT NOT NULL,    `execution_id` INT NOT NULL,    UNIQUE(`context_id`, `execution_id`)  ); ",
        " CREATE TABLE IF NOT EXISTS `Attribution` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `context_id` INT NOT NULL,    `artifact_id` INT NOT NULL,    UNIQUE(`context_id`, `artifact_id`)  ); ",
        " CREATE INDEX IF NOT EXISTS `idx_artifact_uri`  ON `Artifact`(`uri`); ",
        " CREATE INDEX IF NOT EXISTS `idx_artifact_create_time_since_epoch`  ON `Artifact`(`create_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_artifact_last_update_time_since_epoch`  ON `Artifact`(`last_update_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_event_execution_id`  ON `Event`(`execution_id`); ",
        " CREATE INDEX IF NOT EXISTS `idx_parentcontext_parent_context_id`  ON `ParentContext`(`parent_context_id`); ",
        " CREATE INDEX IF NOT EXISTS `idx_type_name`  ON `Type`(`name`); ",
        " CREATE INDEX IF NOT EXISTS `idx_execution_create_time_since_epoch`  ON `Execution`(`create_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_execution_last_update_time_since_epoch`  ON `Execution`(`last_update_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_context_create_time_since_epoch`  ON `Context`(`create_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_context_last_update_time_since_epoch`  ON `Context`(`last_update_time_since_epoch`); ",
        " CREATE INDEX IF NOT EXISTS `idx_eventpath_event_id`  ON `EventPath`(`event_id`); ",
    ]
        + propertyIndexes("ArtifactProperty", "artifact")
        + propertyIndexes("ExecutionProperty", "execution")
        + propertyIndexes("ContextProperty", "context")
        + [
            " CREATE INDEX IF NOT EXISTS `idx_type_external_id`  ON `Type`(`external_id`); ",
            " CREATE INDEX IF NOT EXISTS `idx_artifact_external_id`  ON `Artifact`(`external_id`); ",
            " CREATE INDEX IF NOT EXISTS `idx_execution_external_id`  ON `Execution`(`external_id`); ",
            " CREATE INDEX IF NOT EXISTS `idx_context_external_id`  ON `Context`(`external_id`); ",
        ]
}

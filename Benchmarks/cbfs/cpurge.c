/*
 * A C yardstick for Pedigree's delete: the same dry run and purge done by plain SQL on SQLite.
 *
 *   cpurge --db STORE.sqlite --ids IDS.txt
 *
 * IDS.txt lists the nodes to delete, one per line: "artifact ID", "execution ID" or "context ID".
 * Timed, in one read transaction: the impact (the dry run): the ids into temporary tables, the
 * counts of events, event path steps, attributions, associations and parent-context links that
 * name them, and the nodes downstream of them (a recursive CTE over Event: artifact to the
 * executions that read it, execution to the artifacts it wrote). Then timed, in one BEGIN
 * IMMEDIATE .. COMMIT: the purge, the same DELETE statements Pedigree runs (event paths, events,
 * attributions, associations, parent-context links, properties, nodes), by id subqueries. The file
 * is changed: run it on a copy.
 *
 * stdout: "cpurge: impact T s (N downstream, E events) purge T s (R rows)"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

static void die(const char *what) {
    fprintf(stderr, "cpurge: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void exec(const char *sql) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql);
}

static long long scalar(const char *sql) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(sql);
    long long v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

int main(int argc, char **argv) {
    const char *path = NULL, *ids = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--ids")) ids = argv[i + 1];
    }
    if (!path || !ids) {
        fprintf(stderr, "usage: cpurge --db STORE.sqlite --ids IDS.txt\n");
        return 2;
    }
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open");
    exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY");
    FILE *f = fopen(ids, "r");
    if (!f) {
        perror(ids);
        return 1;
    }
    // Read the ids before the clock starts (Pedigree's dry run starts from its query's answer).
    size_t n = 0, cap = 1024;
    char (*kinds)[16] = malloc(cap * sizeof *kinds);
    long long *values = malloc(cap * sizeof *values);
    while (fscanf(f, "%15s %lld", kinds[n], &values[n]) == 2) {
        if (++n == cap) {
            cap *= 2;
            kinds = realloc(kinds, cap * sizeof *kinds);
            values = realloc(values, cap * sizeof *values);
        }
    }
    fclose(f);

    double t0 = now();
    exec("BEGIN");
    exec("CREATE TEMP TABLE da(id INTEGER PRIMARY KEY); CREATE TEMP TABLE de(id INTEGER PRIMARY KEY); "
         "CREATE TEMP TABLE dc(id INTEGER PRIMARY KEY)");
    sqlite3_stmt *ins[3];
    const char *tables[3] = {"da", "de", "dc"};
    for (int k = 0; k < 3; k++) {
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO %s VALUES (?)", tables[k]);
        if (sqlite3_prepare_v2(db, sql, -1, &ins[k], NULL) != SQLITE_OK) die(sql);
    }
    for (size_t i = 0; i < n; i++) {
        int k = kinds[i][0] == 'a' ? 0 : kinds[i][0] == 'e' ? 1 : 2;
        sqlite3_bind_int64(ins[k], 1, values[i]);
        if (sqlite3_step(ins[k]) != SQLITE_DONE) die("insert id");
        sqlite3_reset(ins[k]);
    }
    for (int k = 0; k < 3; k++) sqlite3_finalize(ins[k]);
    long long events = scalar("SELECT count(*) FROM Event WHERE artifact_id IN da OR execution_id IN de");
    long long steps = scalar("SELECT count(*) FROM EventPath WHERE event_id IN "
                             "(SELECT id FROM Event WHERE artifact_id IN da OR execution_id IN de)");
    long long links = scalar("SELECT (SELECT count(*) FROM Attribution WHERE artifact_id IN da OR context_id IN dc) + "
                             "(SELECT count(*) FROM Association WHERE execution_id IN de OR context_id IN dc) + "
                             "(SELECT count(*) FROM ParentContext WHERE context_id IN dc OR parent_context_id IN dc)");
    long long reached = scalar(
        "WITH RECURSIVE down(kind, id) AS ("
        " SELECT 0, id FROM da UNION SELECT 1, id FROM de"
        " UNION SELECT 1, ev.execution_id FROM down JOIN Event ev ON down.kind = 0 AND ev.artifact_id = down.id AND ev.type IN (2, 3, 5)"
        " UNION SELECT 0, ev.artifact_id FROM down JOIN Event ev ON down.kind = 1 AND ev.execution_id = down.id AND ev.type IN (1, 4, 6, 7)"
        ") SELECT count(*) FROM down WHERE NOT (kind = 0 AND id IN da) AND NOT (kind = 1 AND id IN de)");
    exec("COMMIT");
    double impact = now() - t0;

    t0 = now();
    exec("BEGIN IMMEDIATE");
    const char *deletes[] = {
        "DELETE FROM EventPath WHERE event_id IN (SELECT id FROM Event WHERE artifact_id IN da OR execution_id IN de)",
        "DELETE FROM Event WHERE artifact_id IN da OR execution_id IN de",
        "DELETE FROM Attribution WHERE artifact_id IN da OR context_id IN dc",
        "DELETE FROM Association WHERE execution_id IN de OR context_id IN dc",
        "DELETE FROM ParentContext WHERE context_id IN dc OR parent_context_id IN dc",
        "DELETE FROM ArtifactProperty WHERE artifact_id IN da",
        "DELETE FROM ExecutionProperty WHERE execution_id IN de",
        "DELETE FROM ContextProperty WHERE context_id IN dc",
        "DELETE FROM Artifact WHERE id IN da",
        "DELETE FROM Execution WHERE id IN de",
        "DELETE FROM Context WHERE id IN dc",
    };
    long long rows = 0;
    for (size_t i = 0; i < sizeof deletes / sizeof *deletes; i++) {
        exec(deletes[i]);
        rows += sqlite3_changes(db);
    }
    exec("COMMIT");
    double purge = now() - t0;
    printf("cpurge: impact %.6f s (%lld downstream, %lld events, %lld path steps, %lld links) purge %.6f s (%lld rows)\n", impact,
           reached, events, steps, links, purge, rows);
    sqlite3_close(db);
    return 0;
}

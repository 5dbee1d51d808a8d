/*
 * A C yardstick for Pedigree's bulk import: the same records written into a fresh MLMD schema by
 * plain SQL, prepared statements bound directly, in one transaction.
 *
 *   cimport --from SOURCE.sqlite --to NEW.sqlite [--synchronous FULL|NORMAL] [--repeat N]
 *
 * SOURCE is an MLMD store (schema v10, as `pedigree generate` writes it). Every row of its MLMD
 * tables is read into memory first (not timed); then, timed: a new file with the durability
 * Pedigree uses (journal_mode = WAL, synchronous as given, default FULL as Pedigree's; the same
 * cache_size), one BEGIN IMMEDIATE, MLMD's tables (the CREATE TABLE text of SOURCE, so the same
 * columns and UNIQUE constraints), every row inserted by one prepared INSERT per table with the
 * values bound (ids and all, as an import keeps them), then MLMD's secondary indexes (built after
 * the rows, as Pedigree's bulk load does), COMMIT (the time ends here, as Pedigree's does; the
 * checkpoint at close is left out of both).
 *
 * stdout: "cimport: T s (median of N) for R rows: X records/s; nodes+edges K" where `records`
 * counts what Pedigree's benchmark counts (artifacts, executions, contexts, events, attributions,
 * associations, parent contexts) and `rows` every row written (types and properties included).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *TABLES[] = {"Type", "TypeProperty", "ParentType", "Artifact", "ArtifactProperty", "Execution",
                               "ExecutionProperty", "Context", "ContextProperty", "ParentContext", "Event",
                               "EventPath", "Association", "Attribution", "MLMDEnv"};
static const char *RECORD_TABLES[] = {"Artifact", "Execution", "Context", "Event", "Attribution", "Association",
                                      "ParentContext"};
enum { NTABLES = sizeof TABLES / sizeof *TABLES };

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "cimport: %s%s%s\n", what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "cimport: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

typedef struct {
    char *create;          /* CREATE TABLE text */
    char *insert;          /* INSERT INTO t (cols) VALUES (?, ...) */
    int columns;
    size_t rows;
    sqlite3_value **values; /* rows * columns */
} Table;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void remove_db(const char *path) {
    char buf[4096];
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "%s%s", path, suffixes[i]);
        unlink(buf);
    }
}

int main(int argc, char **argv) {
    const char *from = NULL, *to = NULL, *synchronous = "FULL";
    long repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--from") && i + 1 < argc) from = argv[++i];
        else if (!strcmp(argv[i], "--to") && i + 1 < argc) to = argv[++i];
        else if (!strcmp(argv[i], "--synchronous") && i + 1 < argc) synchronous = argv[++i];
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: cimport --from SOURCE.sqlite --to NEW.sqlite [--synchronous FULL|NORMAL] [--repeat N]\n");
            return 64;
        }
    }
    if (!from || !to || repeat < 1) die("--from and --to are required", NULL);

    /* Read SOURCE: each table's DDL, column list and rows; the secondary indexes' DDL. */
    sqlite3 *src;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die("open the source", src);
    Table tables[NTABLES];
    size_t records = 0, rows = 0;
    for (int t = 0; t < NTABLES; t++) {
        Table *tb = &tables[t];
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &s, NULL))
            die("sqlite_master", src);
        sqlite3_bind_text(s, 1, TABLES[t], -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_ROW) die(TABLES[t], NULL);
        tb->create = strdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);

        char sql[256];
        snprintf(sql, sizeof sql, "SELECT * FROM `%s` ORDER BY rowid", TABLES[t]);
        if (!strcmp(TABLES[t], "MLMDEnv")) snprintf(sql, sizeof sql, "SELECT * FROM MLMDEnv");
        if (sqlite3_prepare_v2(src, sql, -1, &s, NULL)) die(sql, src);
        tb->columns = sqlite3_column_count(s);
        size_t len = 64 + strlen(TABLES[t]);
        for (int c = 0; c < tb->columns; c++) len += strlen(sqlite3_column_name(s, c)) + 8;
        tb->insert = malloc(len);
        char *p = tb->insert;
        p += sprintf(p, "INSERT INTO `%s` (", TABLES[t]);
        for (int c = 0; c < tb->columns; c++) p += sprintf(p, "%s`%s`", c ? ", " : "", sqlite3_column_name(s, c));
        p += sprintf(p, ") VALUES (");
        for (int c = 0; c < tb->columns; c++) p += sprintf(p, "%s?", c ? ", " : "");
        sprintf(p, ")");
        size_t cap = 1024;
        tb->rows = 0;
        tb->values = malloc(cap * tb->columns * sizeof(sqlite3_value *));
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (tb->rows == cap) {
                cap *= 2;
                tb->values = realloc(tb->values, cap * tb->columns * sizeof(sqlite3_value *));
            }
            for (int c = 0; c < tb->columns; c++) tb->values[tb->rows * tb->columns + c] = sqlite3_value_dup(sqlite3_column_value(s, c));
            tb->rows++;
        }
        sqlite3_finalize(s);
        rows += tb->rows;
        for (size_t r = 0; r < sizeof RECORD_TABLES / sizeof *RECORD_TABLES; r++)
            if (!strcmp(RECORD_TABLES[r], TABLES[t])) records += tb->rows;
    }
    char *indexes[64];
    int nindexes = 0;
    {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid",
                               -1, &s, NULL))
            die("indexes", src);
        while (sqlite3_step(s) == SQLITE_ROW && nindexes < 64) indexes[nindexes++] = strdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    sqlite3_close(src);

    double *times = malloc((size_t)repeat * sizeof(double));
    for (long r = 0; r < repeat; r++) {
        remove_db(to);
        double t0 = now();
        sqlite3 *db;
        if (sqlite3_open_v2(to, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL))
            die("open the target", db);
        exec(db, "PRAGMA journal_mode = WAL");
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA synchronous = %s", synchronous);
        exec(db, pragma);
        exec(db, "PRAGMA cache_size = -65536");
        exec(db, "BEGIN IMMEDIATE");
        for (int t = 0; t < NTABLES; t++) exec(db, tables[t].create);
        for (int t = 0; t < NTABLES; t++) {
            Table *tb = &tables[t];
            sqlite3_stmt *s;
            if (sqlite3_prepare_v3(db, tb->insert, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL)) die(tb->insert, db);
            for (size_t row = 0; row < tb->rows; row++) {
                sqlite3_value **v = &tb->values[row * tb->columns];
                for (int c = 0; c < tb->columns; c++) sqlite3_bind_value(s, c + 1, v[c]);
                if (sqlite3_step(s) != SQLITE_DONE) die(tb->insert, db);
                sqlite3_reset(s);
            }
            sqlite3_finalize(s);
        }
        for (int i = 0; i < nindexes; i++) exec(db, indexes[i]);
        exec(db, "COMMIT");
        times[r] = now() - t0; /* as Pedigree's figure: up to the commit, not the checkpoint at close */
        if (sqlite3_close(db) != SQLITE_OK) die("close", db);
    }
    qsort(times, (size_t)repeat, sizeof(double), cmp_double);
    double t = times[repeat / 2];
    printf("cimport: %.4f s (median of %ld) for %zu rows: %.0f records/s (%zu records), %.0f rows/s, synchronous=%s\n", t,
           repeat, rows, (double)records / t, records, (double)rows / t, synchronous);
    return 0;
}

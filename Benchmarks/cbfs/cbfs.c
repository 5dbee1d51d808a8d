/*
 * A C yardstick for Pedigree's lineage walks: a plain breadth-first search over CSR arrays.
 *
 * It loads the event edges of an MLMD SQLite store (the Event table: artifact_id, execution_id,
 * type) into compressed-sparse-row arrays, one node index per artifact and execution, and then
 * answers one lineage question the way Benchmarks/peers/run_peers.py defines them, timing the
 * walk alone (the median of --repeat runs; the store is loaded once, as Pedigree's is opened once):
 *
 *   cbfs --db FILE --start NAME --direction down|up|both [--hops N] [--model] [--by-type]
 *        [--repeat N] [--ids]
 *
 * - the start is the artifact named NAME (resolved once, before timing);
 * - one hop is one event: an input-kind event (INPUT, DECLARED_INPUT, INTERNAL_INPUT) points
 *   artifact -> execution, an output-kind event (OUTPUT, DECLARED_OUTPUT, INTERNAL_OUTPUT,
 *   PENDING_OUTPUT) execution -> artifact; downstream follows that direction, upstream reverses it;
 * - with --hops N the answer is every node within N hops, the start included; without it, the
 *   whole closure, the start excluded (Pedigree's `{0,N}` and `*`);
 * - --model keeps only the artifacts of type Model; --by-type prints the count per type name.
 *
 * A timed run does all the work of an answer: a zeroed visited bitset, the frontier walk, the
 * list of reached nodes (and, for --model and --by-type, the filter or the counts over it).
 * stderr: "load: X s; query: Y s (median of N)"; stdout: the answer ("artifact ID" /
 * "execution ID" lines with --ids, "type,count" lines with --by-type, else its size).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "cbfs: %s%s%s\n", what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t scalar(sqlite3 *db, const char *sql, const char *text) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(sql, db);
    if (text) sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* A directed graph in CSR form: the targets of node v are target[offset[v] .. offset[v + 1]). */
typedef struct {
    uint32_t *offset;
    uint32_t *target;
} CSR;

static CSR csr_build(uint32_t nodes, uint64_t edges, const uint32_t *src, const uint32_t *dst) {
    CSR g;
    g.offset = calloc((size_t)nodes + 1, sizeof(uint32_t));
    g.target = malloc((edges ? edges : 1) * sizeof(uint32_t));
    if (!g.offset || !g.target) die("out of memory", NULL);
    for (uint64_t i = 0; i < edges; i++) g.offset[src[i] + 1]++;
    for (uint32_t v = 0; v < nodes; v++) g.offset[v + 1] += g.offset[v];
    uint32_t *fill = malloc(((size_t)nodes + 1) * sizeof(uint32_t));
    memcpy(fill, g.offset, ((size_t)nodes + 1) * sizeof(uint32_t));
    for (uint64_t i = 0; i < edges; i++) g.target[fill[src[i]]++] = dst[i];
    free(fill);
    return g;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *path = NULL, *start_name = NULL, *direction = "down";
    long hops = -1, repeat = 25;
    int model = 0, by_type = 0, ids = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--db") && v) path = argv[++i];
        else if (!strcmp(a, "--start") && v) start_name = argv[++i];
        else if (!strcmp(a, "--direction") && v) direction = argv[++i];
        else if (!strcmp(a, "--hops") && v) hops = atol(argv[++i]);
        else if (!strcmp(a, "--repeat") && v) repeat = atol(argv[++i]);
        else if (!strcmp(a, "--model")) model = 1;
        else if (!strcmp(a, "--by-type")) by_type = 1;
        else if (!strcmp(a, "--ids")) ids = 1;
        else {
            fprintf(stderr, "usage: cbfs --db FILE --start NAME --direction down|up|both [--hops N] [--model] "
                            "[--by-type] [--repeat N] [--ids]\n");
            return 64;
        }
    }
    int down = !strcmp(direction, "down"), up = !strcmp(direction, "up"), both = !strcmp(direction, "both");
    if (!path || !start_name || !(down || up || both) || repeat < 1) {
        fprintf(stderr, "cbfs: --db and --start are required; --direction is down, up or both\n");
        return 64;
    }

    /* Load: node indexes (artifact id a -> a, execution id x -> artifacts + x), types, edges. */
    double t0 = now();
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die("open", db);
    int64_t max_artifact = scalar(db, "SELECT max(id) FROM Artifact", NULL);
    int64_t max_execution = scalar(db, "SELECT max(id) FROM Execution", NULL);
    int64_t max_type = scalar(db, "SELECT max(id) FROM Type", NULL);
    int64_t event_count = scalar(db, "SELECT count(*) FROM Event", NULL);
    if (max_artifact < 0) max_artifact = 0;
    if (max_execution < 0) max_execution = 0;
    if (max_type < 0) max_type = 0;
    if (event_count < 0) event_count = 0;
    uint32_t base = (uint32_t)max_artifact + 1; /* the first execution's index */
    uint32_t nodes = base + (uint32_t)max_execution + 1;
    int64_t start_id = scalar(db, "SELECT id FROM Artifact WHERE name = ?", start_name);
    if (start_id < 0) die("no artifact has the start name", NULL);

    int32_t *type_of = malloc((size_t)nodes * sizeof(int32_t)); /* type id per node, -1 for none */
    for (uint32_t v = 0; v < nodes; v++) type_of[v] = -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT id, type_id FROM Artifact", -1, &s, NULL) != SQLITE_OK) die("Artifact", db);
    while (sqlite3_step(s) == SQLITE_ROW) type_of[sqlite3_column_int64(s, 0)] = (int32_t)sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "SELECT id, type_id FROM Execution", -1, &s, NULL) != SQLITE_OK) die("Execution", db);
    while (sqlite3_step(s) == SQLITE_ROW) type_of[base + sqlite3_column_int64(s, 0)] = (int32_t)sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    char **type_name = calloc((size_t)max_type + 1, sizeof(char *));
    if (sqlite3_prepare_v2(db, "SELECT id, name FROM Type", -1, &s, NULL) != SQLITE_OK) die("Type", db);
    while (sqlite3_step(s) == SQLITE_ROW) type_name[sqlite3_column_int64(s, 0)] = strdup((const char *)sqlite3_column_text(s, 1));
    sqlite3_finalize(s);
    int64_t model_type = scalar(db, "SELECT id FROM Type WHERE name = 'Model' AND type_kind = 1", NULL);

    /* Edges in the downstream direction; upstream walks the reverse CSR; both walks the two. */
    uint32_t *src = malloc((size_t)(event_count ? event_count : 1) * sizeof(uint32_t));
    uint32_t *dst = malloc((size_t)(event_count ? event_count : 1) * sizeof(uint32_t));
    uint64_t edges = 0;
    if (sqlite3_prepare_v2(db, "SELECT artifact_id, execution_id, type FROM Event", -1, &s, NULL) != SQLITE_OK) die("Event", db);
    while (sqlite3_step(s) == SQLITE_ROW && edges < (uint64_t)event_count) {
        uint32_t a = (uint32_t)sqlite3_column_int64(s, 0), x = base + (uint32_t)sqlite3_column_int64(s, 1);
        switch (sqlite3_column_int(s, 2)) {
        case 2: case 3: case 5: src[edges] = a; dst[edges] = x; edges++; break;        /* input kinds */
        case 1: case 4: case 6: case 7: src[edges] = x; dst[edges] = a; edges++; break; /* output kinds */
        default: break;
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    CSR fwd = csr_build(nodes, edges, src, dst), rev = csr_build(nodes, edges, dst, src);
    free(src);
    free(dst);
    double load = now() - t0;

    /* The walk. */
    const CSR *walks[2];
    int nwalks = 0;
    if (down || both) walks[nwalks++] = &fwd;
    if (up || both) walks[nwalks++] = &rev;
    size_t words = ((size_t)nodes + 63) / 64;
    uint32_t *queue = malloc((size_t)nodes * sizeof(uint32_t));
    uint32_t *answer = malloc((size_t)nodes * sizeof(uint32_t));
    uint64_t *counts = calloc((size_t)max_type + 1, sizeof(uint64_t));
    double *times = malloc((size_t)repeat * sizeof(double));
    size_t answered = 0;
    uint32_t start = (uint32_t)start_id;
    for (long r = 0; r < repeat; r++) {
        double q0 = now();
        uint64_t *visited = calloc(words, sizeof(uint64_t));
        size_t head = 0, tail = 0, level_end, n = 0;
        long depth = 0;
        visited[start >> 6] |= 1ull << (start & 63);
        queue[tail++] = start;
        if (hops >= 0) answer[n++] = start;
        while (head < tail && (hops < 0 || depth < hops)) {
            level_end = tail;
            for (; head < level_end; head++) {
                uint32_t v = queue[head];
                for (int w = 0; w < nwalks; w++) {
                    const CSR *g = walks[w];
                    for (uint32_t e = g->offset[v], end = g->offset[v + 1]; e < end; e++) {
                        uint32_t t = g->target[e];
                        uint64_t bit = 1ull << (t & 63);
                        if (visited[t >> 6] & bit) continue;
                        visited[t >> 6] |= bit;
                        queue[tail++] = t;
                        answer[n++] = t;
                    }
                }
            }
            depth++;
        }
        if (model) {
            size_t kept = 0;
            for (size_t i = 0; i < n; i++)
                if (answer[i] < base && type_of[answer[i]] == model_type) answer[kept++] = answer[i];
            n = kept;
        } else if (by_type) {
            memset(counts, 0, ((size_t)max_type + 1) * sizeof(uint64_t));
            for (size_t i = 0; i < n; i++) counts[type_of[answer[i]]]++;
        }
        free(visited);
        times[r] = now() - q0;
        answered = n;
    }
    qsort(times, (size_t)repeat, sizeof(double), cmp_double);
    fprintf(stderr, "load: %.6f s; query: %.9f s (median of %ld); %u nodes, %llu edges\n", load,
            times[repeat / 2], repeat, nodes, (unsigned long long)edges);

    if (by_type) {
        printf("type,count\n");
        for (int64_t t = 0; t <= max_type; t++)
            if (counts[t]) printf("%s,%llu\n", type_name[t] ? type_name[t] : "?", (unsigned long long)counts[t]);
    } else if (ids) {
        for (size_t i = 0; i < answered; i++) {
            if (answer[i] < base) printf("artifact %u\n", answer[i]);
            else printf("execution %u\n", answer[i] - base);
        }
    } else {
        printf("%zu\n", answered);
    }
    return 0;
}

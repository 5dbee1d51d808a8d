# Pedigree: `make demo` and `make test` are the two commands a user needs.
SHELL := /bin/bash
SWIFT ?= swift
VENV := .venv
PY := $(VENV)/bin/python
PEDIGREE := .build/debug/pedigree
APT_PACKAGES := libsqlite3-dev pkg-config sqlite3 libgraphviz-dev graphviz libpq-dev libmariadb-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The public API digest (API/Pedigree.txt): `make api` rewrites it; `make test` checks it.
.PHONY: all build release test swift-test api api-check compat server-test web-deps web-test wire demo bench bench-smoke bench-build peers-venv deps venv clean dbservers-start dbservers-stop dbserver-smoke

all: build

# Regenerates Sources/PedigreeWire from ml-metadata's descriptors and Proto/ (needs protoc).
wire: venv
	@command -v protoc >/dev/null || $(SUDO) apt-get install -y -qq protobuf-compiler
	PY=$(CURDIR)/$(PY) Scripts/generate-wire.sh

# Installs the Debian packages of a list that are missing (sudo only when not root).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))
	@# Graphviz finds its layout and render plugins through a config file that `dot -c` writes.
	@if ! echo 'digraph { a -> b }' | dot -Tsvg >/dev/null 2>&1; then echo "registering Graphviz plugins: dot -c"; $(SUDO) dot -c; fi

# The real ml-metadata library, for the compatibility suite (Python 3.11: its wheels need it).
# (and OpenLineage's Python client, whose HTTP transport the OpenLineage test sends through).
venv: $(VENV)/.ready-2
$(VENV)/.ready-2:
	@if ! python3 -m venv --help >/dev/null 2>&1; then $(SUDO) apt-get install -y -qq python3-venv; fi
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q ml-metadata==1.17.1 pytest openlineage-python==1.54.0
	touch $@

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The tests' stores go under a private TMPDIR, removed afterwards whether they pass or not.
swift-test: build
	tmp=$$(mktemp -d -t pedigree-swift-test.XXXXXX); \
	TMPDIR=$$tmp PEDIGREE_BIN=$(CURDIR)/$(PEDIGREE) PEDIGREE_CHECK_INVARIANTS=1 $(SWIFT) test; status=$$?; \
	rm -rf "$$tmp"; exit $$status

# Two-way compatibility with the real ml-metadata library (and tests of the suite's own tools).
compat: build venv
	$(PY) -m pytest -q Tests/Compat
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) bash Tests/Compat/run_compat.sh
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) BACKEND=mysql bash Tests/Compat/run_compat.sh
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) BACKEND=postgresql bash Tests/Compat/run_compat.sh

# ml-metadata's own test suite, run by its Python client against `pedigree serve` over gRPC; then
# SIGKILL under write load, restart, and every acknowledged write must be there; then the server
# follows what the real ml-metadata library writes to its file in process; then `pedigree query`,
# `explain` and `render --server` print what `--db` prints.
server-test: build venv
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) bash Tests/Server/run_mlmd_suite.sh
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) BACKEND=mysql bash Tests/Server/run_mlmd_suite.sh
	PY=$(CURDIR)/$(PY) PEDIGREE=$(CURDIR)/$(PEDIGREE) BACKEND=postgresql bash Tests/Server/run_mlmd_suite.sh
	$(PY) Tests/Server/server_db_faults.py --pedigree $(PEDIGREE) --restart-postgres
	$(PY) Tests/Server/kill_test.py --pedigree $(PEDIGREE) --seconds 3 --rounds 2
	$(PY) Tests/Server/follow_test.py --pedigree $(PEDIGREE)
	$(PY) Tests/Server/multi_server_test.py --pedigree $(PEDIGREE)
	$(PY) Tests/Server/remote_cli_test.py --pedigree $(PEDIGREE)
	$(PY) Tests/Server/purge_test.py --pedigree $(PEDIGREE)

# The lineage explorer: its JSON API against the CLI's answers, bad input, escaping, the token and
# TLS (Tests/Web/api_test.py); OpenLineage's own client sending to it (Tests/Web/openlineage_test.py); then its pages driven in headless Chromium through Debian's
# chromium-driver and python3-selenium (so the system's python3), which writes a screenshot of each
# view to docs/screenshots (Tests/Web/browser_test.py).
WEB_APT_PACKAGES := chromium chromium-driver python3-selenium fonts-dejavu-core openssl
web-deps:
	$(call apt_install,$(WEB_APT_PACKAGES))

web-test: build venv web-deps
	$(PY) Tests/Web/api_test.py --pedigree $(PEDIGREE)
	$(PY) Tests/Web/openlineage_test.py --pedigree $(PEDIGREE)
	/usr/bin/python3 Tests/Web/browser_test.py --pedigree $(PEDIGREE) --screenshots docs/screenshots

# Private MariaDB and PostgreSQL servers on 127.0.0.1 (Scripts/dbservers.sh), for the tests of the
# MySQL and PostgreSQL stores: `make dbservers-start` writes $(DBDIR)/env (PEDIGREE_MYSQL_URL,
# PEDIGREE_POSTGRES_URL, ports, sockets); `make dbservers-stop` stops both and removes $(DBDIR).
# `make dbserver-smoke` starts them, has the real ml-metadata library create its schema on both and
# read back what it wrote (Tests/Compat/dbserver_smoke.py), and stops them whatever happened.
DBDIR ?= .build/dbservers

dbservers-start:
	bash Scripts/dbservers.sh start $(DBDIR)

dbservers-stop:
	bash Scripts/dbservers.sh stop $(DBDIR)

# SMOKE_ARGS=--dump-ddl also writes the schema the library created to /tmp/mlmd-ddl-{mysql,postgres}.sql.
dbserver-smoke: venv
	trap 'bash Scripts/dbservers.sh stop $(DBDIR)' EXIT; trap 'exit 130' INT TERM; \
	bash Scripts/dbservers.sh start $(DBDIR) && \
	$(PY) Tests/Compat/dbserver_smoke.py --env $(DBDIR)/env $(SMOKE_ARGS)

api: build
	python3 Scripts/api-digest.py --write API/Pedigree.txt

api-check: build
	python3 Scripts/api-digest.py --check API/Pedigree.txt

# `make test` starts a private MariaDB and PostgreSQL on loopback (Scripts/dbservers.sh, data under
# $(DBDIR)), runs every suite with their URLs in the environment, and stops them whatever happened.
test: deps venv
	@trap 'bash Scripts/dbservers.sh stop $(DBDIR)' EXIT; trap 'exit 130' INT TERM; \
	bash Scripts/dbservers.sh start $(DBDIR) && . $(DBDIR)/env && \
	$(MAKE) --no-print-directory swift-test api-check compat server-test web-test

demo: build
	rm -f pedigree.sqlite pedigree.sqlite-wal pedigree.sqlite-shm
	@out=$$($(PEDIGREE) demo --db pedigree.sqlite) && echo "$$out" && \
	model=$$(echo "$$out" | sed -n 's/.*latest model: artifact \([0-9]*\).*/\1/p') && \
	echo && echo "== pedigree stats" && $(PEDIGREE) stats --db pedigree.sqlite && \
	echo && echo "== the latest model and its neighbourhood: pedigree show artifact $$model" && \
	$(PEDIGREE) show --db pedigree.sqlite artifact $$model && \
	echo && echo "== pedigree check" && $(PEDIGREE) check --db pedigree.sqlite
	@# The questions of DESIGN.md, as Grammar/examples/01..07 ask them.
	@for f in Grammar/examples/0[1-7]-*.pq; do \
		q=$$(sed -n '/^----$$/q;/^#/!p' $$f); \
		echo; echo "== $$(sed -n '1s/^# //p' $$f)"; echo "pedigree query \"$$q\""; \
		$(PEDIGREE) query --db pedigree.sqlite "$$q" || exit 1; \
	done
	@echo; echo "== the provenance of the latest model, drawn: lineage.svg and lineage.png"
	$(PEDIGREE) render --db pedigree.sqlite "artifact(id = 29) upstream* return subgraph" --rankdir TB -o lineage.svg
	$(PEDIGREE) render --db pedigree.sqlite "artifact(id = 29) upstream* return subgraph" --rankdir TB -o lineage.png
	@# Safe delete: what deleting run 1's data would break (a dry run), then the tombstone it
	@# reports, applied with its token (forced: models of later runs lose provenance).
	@q="artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"; \
	echo; echo "== what breaks if run 1's data goes: pedigree delete \"$$q\" (a dry run)"; \
	$(PEDIGREE) delete --db pedigree.sqlite "$$q" --sample 4 || exit 1; \
	token=$$($(PEDIGREE) delete --db pedigree.sqlite "$$q" --format json | sed -n 's/^{"token":"\([^"]*\)".*/\1/p'); \
	echo; echo "== the tombstone: pedigree delete \"$$q\" --apply --token $$token --force"; \
	$(PEDIGREE) delete --db pedigree.sqlite "$$q" --apply --token $$token --force --sample 4 | head -n 8 && \
	echo && echo "== pedigree check" && $(PEDIGREE) check --db pedigree.sqlite

# Benchmarks, release builds: the Swift benchmarks (the Benchmarks package depends on this one by
# path), the peers comparison (Benchmarks/peers: ml-metadata, SQLite, DuckDB, Kuzu and the C
# yardstick Benchmarks/cbfs against the release CLI) on a chain and a tfx store, and the load of
# concurrent ml-metadata clients against `pedigree serve` (Benchmarks/load), open-to-first-answer of
# `pedigree query --db` against `--server` (Benchmarks/open), the explorer's pages on a large store
# (Benchmarks/web), OpenLineage ingest (Benchmarks/openlineage), the storage backends and three
# servers on one database against ml-metadata's library (Benchmarks/servers), written to
# Benchmarks/RESULTS.md. Sizes: SIZES (Swift, default 20000,200000), EXECUTIONS (peers, default
# 200000), OPEN_SIZES (default 200000,2000000; bench-smoke: 3000), WEB_EXECUTIONS (default 200000;
# bench-smoke: 3000), OL_RUNS (default 5000; bench-smoke: 300), SHARED_EXECUTIONS (default 5000;
# bench-smoke: 1000), SEED
# (default 1); see Benchmarks/bench.sh.
PEERS_VENV := Benchmarks/peers/.venv
PEERS_PYTHON ?= $(shell command -v python3.11 || echo python3)

# The peers' own venv (ml-metadata's wheels need Python 3.11).
peers-venv: $(PEERS_VENV)/.ready
$(PEERS_VENV)/.ready: Benchmarks/peers/requirements.txt
	@if ! python3 -m venv --help >/dev/null 2>&1; then $(SUDO) apt-get install -y -qq python3-venv; fi
	$(PEERS_PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install -q -r Benchmarks/peers/requirements.txt
	touch $@

# The C yardsticks (Benchmarks/cbfs): a BFS over CSR arrays, and plain-SQL import of the same rows.
C_BENCH_FLAGS := -O2 -Wall -Wextra -std=c11 -D_POSIX_C_SOURCE=200809L

bench-build: deps
	$(SWIFT) build -c release --scratch-path .build-bench
	cd Benchmarks && $(SWIFT) build -c release
	$(CC) $(C_BENCH_FLAGS) -o .build-bench/cbfs Benchmarks/cbfs/cbfs.c -lsqlite3
	$(CC) $(C_BENCH_FLAGS) -o .build-bench/cimport Benchmarks/cbfs/cimport.c -lsqlite3
	$(CC) $(C_BENCH_FLAGS) -o .build-bench/cpurge Benchmarks/cbfs/cpurge.c -lsqlite3

bench: bench-build peers-venv
	bash Benchmarks/bench.sh

# A small run of both (a few thousand executions, every peer), failing when a peer is missing,
# errs or answers wrong beyond its known limit; the report goes to .build-bench/bench-smoke.md.
bench-smoke: bench-build peers-venv
	OUT=.build-bench/bench-smoke.md SIZES=2000 EXECUTIONS=3000 REPEAT=5 BUDGET=2 WRITE_CALLS=100 STRICT=1 LOAD_SECONDS=5 OPEN_SIZES=3000 \
		SHARED_EXECUTIONS=1000 WEB_EXECUTIONS=3000 OL_RUNS=300 bash Benchmarks/bench.sh

clean:
	rm -rf .build .build-bench Benchmarks/.build $(VENV) $(PEERS_VENV)

#!/usr/bin/env bash
# Private MariaDB and PostgreSQL servers for tests, on 127.0.0.1 only, without systemd.
#
#   Scripts/dbservers.sh start DIR   installs what is missing (apt), initialises DIR/mariadb and
#                                    DIR/postgres, starts both servers on free ports (or on
#                                    MARIADB_PORT / POSTGRES_PORT when set), creates the user
#                                    pedigree/pedigree with the right to create databases, and
#                                    writes DIR/env (shell `export` lines, see below).
#   Scripts/dbservers.sh stop DIR    stops both servers and removes DIR; idempotent.
#
# DIR/env exports PEDIGREE_MYSQL_URL, PEDIGREE_POSTGRES_URL, MARIADB_PORT, POSTGRES_PORT,
# MARIADB_SOCKET, POSTGRES_SOCKET_DIR and DBSERVERS_DIR.
#
# As root the servers run as the users mysql and postgres (both refuse to run as root); as any
# other user they run as that user. Sockets, pid files and logs are in DIR/run (a link to a short
# directory under /tmp when DIR is too deep for a unix socket path).
# Environment: DBSERVERS_TIMEOUT (seconds to wait for each server, default 60), PG_BINDIR (the
# PostgreSQL server binaries; default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

APT_PACKAGES=(mariadb-server libmariadb-dev postgresql libpq-dev openssl)
MARKER=.pedigree-dbservers
TIMEOUT=${DBSERVERS_TIMEOUT:-60}
DB_USER=pedigree
DB_PASSWORD=pedigree

log() { echo "dbservers: $*" >&2; }
die() { echo "dbservers: error: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 start DIR | stop DIR" >&2
	exit 2
}

if [ "$(id -u)" = 0 ]; then
	SUDO=()
	IS_ROOT=1
else
	SUDO=(sudo)
	IS_ROOT=0
fi

# Runs a command as the user that owns a server's files (root cannot run the servers).
as_user() {
	local user=$1; shift
	if [ "$IS_ROOT" = 1 ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

abspath() {
	local d=$1
	case "$d" in
		/*) ;;
		*) d="$PWD/$d" ;;
	esac
	# Normalise without requiring the directory to exist.
	python3 -c 'import os,sys; print(os.path.normpath(sys.argv[1]))' "$d"
}

# ---------------------------------------------------------------------------------------------
# Installation

install_missing() {
	local missing=() p
	for p in "${APT_PACKAGES[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	# Debian's maintainer scripts start the packaged services (a system MariaDB on 3306, the
	# cluster 15/main on 5432) unless policy-rc.d says no; say no for the length of the install
	# when the machine has no policy of its own.
	local made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
		"${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	local status=0 apt_log
	apt_log=$(mktemp -t dbservers-apt.XXXXXX)
	{ "${SUDO[@]}" apt-get update -qq &&
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
		>"$apt_log" 2>&1 || status=$?
	if [ "$made_policy" = 1 ]; then
		"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
	fi
	if [ "$status" != 0 ]; then
		tail -n 40 "$apt_log" >&2
		rm -f "$apt_log"
		die "apt-get install ${missing[*]} failed ($status)"
	fi
	rm -f "$apt_log"
}

# The PostgreSQL server binaries: PG_BINDIR, else the newest Debian version, else PATH.
find_pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] || die "PG_BINDIR=$PG_BINDIR has no initdb/pg_ctl"
		echo "$PG_BINDIR"; return
	fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
		echo "$d"; return
	fi
	local initdb
	initdb=$(command -v initdb || true)
	[ -n "$initdb" ] || die "no PostgreSQL server binaries (initdb) found; install postgresql"
	# /usr/local/bin/initdb may be a link into /usr/lib/postgresql/N/bin: use the real directory,
	# so that initdb, pg_ctl and postgres are of one version.
	dirname "$(readlink -f "$initdb")"
}

find_mariadb_bin() {
	local name
	for name in "$@"; do
		if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
		if [ -x "/usr/sbin/$name" ]; then echo "/usr/sbin/$name"; return; fi
	done
	die "none of $* found; install mariadb-server"
}

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_in_use() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
}

# ---------------------------------------------------------------------------------------------
# start

start() {
	local dir
	dir=$(abspath "$1")
	[ "$dir" != / ] || die "refusing DIR=/"
	if [ -e "$dir/env" ]; then
		die "$dir/env exists: servers already started there (run: $0 stop $dir)"
	fi
	if [ -e "$dir" ]; then
		# A leftover of a failed start: clean it the way stop does.
		if [ -e "$dir/$MARKER" ]; then
			log "removing the leftover $dir"
			stop "$dir"
		elif [ -n "$(ls -A "$dir")" ]; then
			die "$dir exists, is not empty and was not made by this script"
		fi
	fi

	install_missing

	local pg_bin mariadbd install_db mariadb_client mariadb_admin
	pg_bin=$(find_pg_bindir)
	mariadbd=$(find_mariadb_bin mariadbd mysqld)
	install_db=$(find_mariadb_bin mariadb-install-db mysql_install_db)
	mariadb_client=$(find_mariadb_bin mariadb mysql)
	mariadb_admin=$(find_mariadb_bin mariadb-admin mysqladmin)

	local my_user pg_user
	if [ "$IS_ROOT" = 1 ]; then
		my_user=mysql; pg_user=postgres
		getent passwd mysql >/dev/null || die "no system user mysql (is mariadb-server installed?)"
		getent passwd postgres >/dev/null || die "no system user postgres (is postgresql installed?)"
	else
		my_user=$(id -un); pg_user=$(id -un)
	fi

	local my_port pg_port
	my_port=${MARIADB_PORT:-$(free_port)}
	pg_port=${POSTGRES_PORT:-$(free_port)}
	while [ "$pg_port" = "$my_port" ]; do pg_port=$(free_port); done
	port_in_use "$my_port" && die "port $my_port (MariaDB) is in use"
	port_in_use "$pg_port" && die "port $pg_port (PostgreSQL) is in use"

	mkdir -p "$dir"
	chmod 755 "$dir"
	touch "$dir/$MARKER"
	# From here on a failure stops what was started and removes DIR.
	trap 'status=$?; if [ $status != 0 ]; then log "start failed; cleaning up $dir"; show_logs "$dir"; stop "$dir" || true; fi' EXIT

	# The servers' users must reach DIR.
	if [ "$IS_ROOT" = 1 ]; then
		as_user "$my_user" test -x "$dir" || die "user $my_user cannot reach $dir (a parent directory is not searchable); use a DIR under /tmp"
		as_user "$pg_user" test -x "$dir" || die "user $pg_user cannot reach $dir (a parent directory is not searchable); use a DIR under /tmp"
	fi

	# Sockets, pid files and logs. A unix socket path is limited to 107 bytes.
	local run="$dir/run"
	if [ $(( ${#run} + 20 )) -gt 100 ]; then
		local short
		short=$(mktemp -d /tmp/pdb.XXXXXX)
		ln -s "$short" "$run"
		log "DIR is deep; sockets in $short"
	else
		mkdir "$run"
	fi
	chmod 1777 "$run"
	run=$(readlink -f "$run")

	local my_data="$dir/mariadb" pg_data="$dir/postgres"
	local my_sock="$run/mariadb.sock" my_pid="$run/mariadbd.pid" my_log="$run/mariadb.log"
	local pg_log="$run/postgres.log"
	mkdir -m 700 "$my_data" "$pg_data"
	if [ "$IS_ROOT" = 1 ]; then
		chown "$my_user:" "$my_data"
		chown "$pg_user:" "$pg_data"
	fi

	# A self-signed certificate for 127.0.0.1, so that TLS connections can be tested
	# (PEDIGREE_DB_TLS_CA); each server gets its own copy of the key, readable by it alone.
	local tls="$dir/tls"
	mkdir -m 755 "$tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$tls/server.key" -out "$tls/server.crt" >/dev/null 2>&1 || die "openssl could not make a certificate"
	chmod 644 "$tls/server.crt"
	install -m 600 "$tls/server.key" "$tls/mariadb.key"
	install -m 600 "$tls/server.key" "$tls/postgres.key"
	rm -f "$tls/server.key"
	if [ "$IS_ROOT" = 1 ]; then
		chown "$my_user:" "$tls/mariadb.key"
		chown "$pg_user:" "$tls/postgres.key"
	fi

	# --- MariaDB -------------------------------------------------------------------------
	# Both data directories are initialised side by side (about 1.5 s each).
	log "initialising $my_data (MariaDB) and $pg_data (PostgreSQL, $pg_bin)"
	local user_opt=()
	[ "$IS_ROOT" = 1 ] && user_opt=(--user="$my_user")
	# --no-defaults: ignore /etc/mysql (its socket, port and datadir are the system server's).
	# --auth-root-socket-user: the OS user running this script gets a unix_socket admin account.
	"$install_db" --no-defaults "${user_opt[@]}" --datadir="$my_data" \
		--auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
		--skip-test-db >"$run/mariadb-install.log" 2>&1 &
	local install_pid=$!
	# Local (socket) connections trust the superuser; TCP asks for a password. -N: no fsync.
	local initdb_status=0
	as_user "$pg_user" "$pg_bin/initdb" -D "$pg_data" -U postgres -E UTF8 --locale=C -N \
		--auth-local=trust --auth-host=scram-sha-256 >"$run/postgres-initdb.log" 2>&1 || initdb_status=$?
	wait "$install_pid" || { cat "$run/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
	[ "$initdb_status" = 0 ] || { cat "$run/postgres-initdb.log" >&2; die "initdb failed"; }

	# Tests trade durability for speed; DBSERVERS_DURABLE=1 (the benchmarks) keeps both servers'
	# durable defaults (a flush of the log at every commit).
	local my_speed=(--innodb-flush-log-at-trx-commit=0) pg_speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	if [ -n "${DBSERVERS_DURABLE:-}" ]; then my_speed=(); pg_speed=""; fi
	log "MariaDB: starting on 127.0.0.1:$my_port"
	# setsid: the server does not belong to the caller's terminal or make's process group.
	setsid "$mariadbd" --no-defaults "${user_opt[@]}" --datadir="$my_data" \
		--bind-address=127.0.0.1 --port="$my_port" --socket="$my_sock" \
		--pid-file="$my_pid" --log-error="$my_log" \
		--skip-name-resolve --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci "${my_speed[@]}" \
		--ssl-cert="$tls/server.crt" --ssl-key="$tls/mariadb.key" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$run/mariadbd.launch-pid"

	log "PostgreSQL: starting on 127.0.0.1:$pg_port"
	# pg_ctl -w waits for the server to accept connections (up to -t seconds).
	as_user "$pg_user" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t "$TIMEOUT" \
		-o "-c listen_addresses=127.0.0.1 -p $pg_port -k $run $pg_speed -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/postgres.key" \
		start >"$run/pg_ctl.log" 2>&1 ||
		{ cat "$run/pg_ctl.log" >&2; die "PostgreSQL did not start within ${TIMEOUT}s"; }

	# --- wait for MariaDB ----------------------------------------------------------------
	local my_admin=("$mariadb_admin" --no-defaults --socket="$my_sock" --user="$(id -un)")
	local my_sql=("$mariadb_client" --no-defaults --socket="$my_sock" --user="$(id -un)" --batch)
	local waited=0
	until "${my_admin[@]}" ping >/dev/null 2>&1; do
		if ! alive "$(cat "$run/mariadbd.launch-pid")"; then
			die "MariaDB exited while starting (see $my_log)"
		fi
		[ "$waited" -lt $(( TIMEOUT * 5 )) ] || die "MariaDB did not accept connections within ${TIMEOUT}s (see $my_log)"
		sleep 0.2
		waited=$(( waited + 1 ))
	done

	# --- the pedigree user ---------------------------------------------------------------
	log "creating user $DB_USER on both servers"
	# The anonymous users of a default install shadow 'pedigree'@'%' for connections from
	# localhost ("Access denied for user 'pedigree'@'localhost'"): drop them, and create the
	# user for every host form a loopback client is seen as.
	"${my_sql[@]}" <<EOF
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'::1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
GRANT ALL ON *.* TO '$DB_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL ON *.* TO '$DB_USER'@'::1' WITH GRANT OPTION;
GRANT ALL ON *.* TO '$DB_USER'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOF
	as_user "$pg_user" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$pg_port" -U postgres -d postgres \
		-c "CREATE ROLE $DB_USER LOGIN SUPERUSER CREATEDB PASSWORD '$DB_PASSWORD';" >/dev/null

	# Both over TCP with the password, as the tests will connect.
	"$mariadb_client" --no-defaults --protocol=TCP -h 127.0.0.1 -P "$my_port" -u "$DB_USER" -p"$DB_PASSWORD" \
		--batch -e 'SELECT 1' >/dev/null || die "MariaDB: $DB_USER cannot log in over TCP"
	PGPASSWORD=$DB_PASSWORD "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U "$DB_USER" -d postgres \
		-c 'SELECT 1' >/dev/null || die "PostgreSQL: $DB_USER cannot log in over TCP"

	cat >"$dir/env.tmp" <<EOF
export PEDIGREE_MYSQL_URL=mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$my_port/
export PEDIGREE_POSTGRES_URL=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$pg_port/
export MARIADB_PORT=$my_port
export POSTGRES_PORT=$pg_port
export MARIADB_SOCKET=$my_sock
export POSTGRES_SOCKET_DIR=$run
export DBSERVERS_DIR=$dir
export PEDIGREE_DB_TLS_CA=$tls/server.crt
EOF
	mv "$dir/env.tmp" "$dir/env"
	trap - EXIT
	log "MariaDB on 127.0.0.1:$my_port, PostgreSQL on 127.0.0.1:$pg_port; . $dir/env"
}

show_logs() {
	local dir=$1 f
	for f in "$dir"/run/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 20 lines)" >&2
		tail -n 20 "$f" >&2 || true
	done
}

# ---------------------------------------------------------------------------------------------
# stop

# Whether a process runs. A zombie does not count: a server started here is re-parented to PID 1
# when this script exits, and some PID 1s (a sandbox's init) take seconds to reap it.
alive() {
	local pid=$1 state
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/stat" ]; then
		state=$(sed 's/^.*) \([A-Za-z]\).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)
		[ "$state" != Z ] && [ "$state" != X ] || return 1
	fi
	return 0
}

# Waits until a process is gone; SIGTERM after half the time, SIGKILL at the end.
wait_gone() {
	local pid=$1 what=$2 i=0
	while alive "$pid"; do
		if [ "$i" = $(( TIMEOUT * 5 / 2 )) ]; then
			log "$what ($pid) still running: SIGTERM"; kill -TERM "$pid" 2>/dev/null || true
		fi
		if [ "$i" -ge $(( TIMEOUT * 5 )) ]; then
			log "$what ($pid) still running: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
			return 0
		fi
		sleep 0.2
		i=$(( i + 1 ))
	done
}

stop() {
	local dir
	dir=$(abspath "$1")
	[ -e "$dir" ] || return 0
	[ -e "$dir/$MARKER" ] || die "$dir was not made by $0 start (no $MARKER); not touching it"
	local run="$dir/run" real_run=""
	if [ -L "$run" ]; then real_run=$(readlink -f "$run" || true); fi

	# MariaDB: SIGTERM to the pid in its pid file (a clean shutdown, the one `mariadb-admin
	# shutdown` asks for, without that client's one-second polling); mariadb-admin over the socket
	# when there is no pid.
	local pid=""
	if [ -f "$run/mariadbd.pid" ]; then
		pid=$(cat "$run/mariadbd.pid" 2>/dev/null || true)
	elif [ -f "$run/mariadbd.launch-pid" ]; then
		pid=$(cat "$run/mariadbd.launch-pid" 2>/dev/null || true)
	fi
	if [ -n "$pid" ] && alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" MariaDB
		log "MariaDB stopped"
	elif [ -S "$run/mariadb.sock" ]; then
		local admin
		admin=$(command -v mariadb-admin || command -v mysqladmin || true)
		if [ -n "$admin" ] && "$admin" --no-defaults --socket="$run/mariadb.sock" --user="$(id -un)" \
			--shutdown-timeout="$TIMEOUT" shutdown >/dev/null 2>&1; then
			log "MariaDB stopped (mariadb-admin)"
		fi
	fi

	# PostgreSQL: pg_ctl stop -m fast, else SIGQUIT (immediate) to the postmaster.
	if [ -f "$dir/postgres/postmaster.pid" ]; then
		pid=$(head -n1 "$dir/postgres/postmaster.pid" 2>/dev/null || true)
		if [ -n "$pid" ] && alive "$pid"; then
			local pg_bin pg_user=postgres
			[ "$IS_ROOT" = 1 ] || pg_user=$(id -un)
			pg_bin=$(find_pg_bindir 2>/dev/null || true)
			if [ -z "$pg_bin" ] ||
				! as_user "$pg_user" "$pg_bin/pg_ctl" -D "$dir/postgres" -m fast -w -t "$TIMEOUT" stop >/dev/null 2>&1; then
				kill -QUIT "$pid" 2>/dev/null || true
			fi
			wait_gone "$pid" PostgreSQL
			log "PostgreSQL stopped"
		fi
	fi

	rm -rf "$dir"
	if [ -n "$real_run" ] && [ -d "$real_run" ]; then
		case "$real_run" in /tmp/pdb.*) rm -rf "$real_run" ;; esac
	fi
}

[ $# -eq 2 ] || usage
case "$1" in
	start) start "$2" ;;
	stop) stop "$2" ;;
	*) usage ;;
esac

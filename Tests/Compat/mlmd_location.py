"""Where the compat suite's stores live: an SQLite path, or a MySQL or PostgreSQL URL.

    connection_config(db, mode)   the ml-metadata ConnectionConfig for a DB argument
    is_server(db)                 True for mysql://... and postgresql://...
    redact(text)                  text with every URL's password replaced by ***

A DB argument is what `pedigree --db` takes:
- an SQLite file path: `config.sqlite` with the connection mode the caller asks for;
- `mysql://USER:PASSWORD@HOST:PORT/DATABASE[?socket=PATH]`: `config.mysql` (TCP, or the unix
  socket when `socket` is given);
- `postgresql://USER:PASSWORD@HOST:PORT/DBNAME` (or `postgres://`): `config.postgresql`, the port
  as a string as the library wants it.
A URL without a password takes PEDIGREE_DB_PASSWORD, as Pedigree does.

The SQLite connection modes have no server counterpart except for creation: READWRITE_OPENCREATE
lets the library create a missing database (it does so by default), any other mode sets
`skip_db_creation`, so that opening a missing database fails instead of creating it. Nothing
makes a server connection read-only: the suite checks that readers leave a database as it was.
"""

import os
import re
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from ml_metadata.proto import metadata_store_pb2 as mlmd

READONLY = mlmd.SqliteMetadataSourceConfig.READONLY
READWRITE = mlmd.SqliteMetadataSourceConfig.READWRITE
READWRITE_OPENCREATE = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE

SCHEMES = {"mysql": "mysql", "postgresql": "postgresql", "postgres": "postgresql"}
DEFAULT_PORTS = {"mysql": 3306, "postgresql": 5432}

# scheme://user:PASSWORD@ : the password is what lies between the user's colon and the last @
# before the host (a password may hold @ and :, a user name may not hold a colon).
_PASSWORD = re.compile(r"\b((?:mysql|postgres(?:ql)?)://[^:/@\s]*:)[^\s/]*@", re.IGNORECASE)


class Server(NamedTuple):
    engine: str          # "mysql" or "postgresql"
    user: str
    password: str
    host: str
    port: int
    database: str
    socket: str          # MySQL's unix socket, "" for TCP


def redact(text):
    """The text with the password of every database URL in it replaced by ***."""
    return _PASSWORD.sub(r"\1***@", str(text))


def is_server(db):
    scheme, sep, _ = str(db).partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def parse(db):
    """The parts of a server URL (ValueError when it is not one)."""
    if not is_server(db):
        raise ValueError(f"{redact(db)}: not a mysql:// or postgresql:// URL")
    u = urlsplit(db)
    engine = SCHEMES[u.scheme.lower()]
    options = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
    password = unquote(u.password) if u.password is not None else os.environ.get("PEDIGREE_DB_PASSWORD", "")
    database = unquote(u.path.lstrip("/"))
    if not u.username or not database or "/" in database:
        raise ValueError(f"{redact(db)}: expected {engine}://USER:PASSWORD@HOST:PORT/DATABASE")
    return Server(engine, unquote(u.username), password, u.hostname or "localhost",
                  u.port or DEFAULT_PORTS[engine], database, options.get("socket", ""))


def connection_config(db, mode=READONLY):
    """The ConnectionConfig that opens DB; mode is an SqliteMetadataSourceConfig mode."""
    config = mlmd.ConnectionConfig()
    if not is_server(db):
        config.sqlite.filename_uri = db
        config.sqlite.connection_mode = mode
        return config
    s = parse(db)
    skip_creation = mode != READWRITE_OPENCREATE
    if s.engine == "mysql":
        config.mysql.database = s.database
        config.mysql.user = s.user
        config.mysql.password = s.password
        if s.socket:
            config.mysql.socket = s.socket
        else:
            config.mysql.host = s.host
            config.mysql.port = s.port
        config.mysql.skip_db_creation = skip_creation
    else:
        config.postgresql.host = s.host
        config.postgresql.port = str(s.port)
        config.postgresql.user = s.user
        config.postgresql.password = s.password
        config.postgresql.dbname = s.database
        config.postgresql.skip_db_creation = skip_creation
    return config

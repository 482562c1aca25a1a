# odoo-agent's database and filestore tool, run inside a one-shot container of the Odoo image.
# It reads the connection from the effective odoo.conf (as rendered by the image's entrypoint), falling back to the
# image's env, so no credential ever passes through the agent or its command lines.
import configparser, json, os, shutil, sys

def conf():
    path = os.environ.get("ODOO_RC") or "/etc/odoo/odoo.conf"
    c = configparser.ConfigParser(interpolation=None)
    c.read(path)
    o = c["options"] if c.has_section("options") else {}
    def pick(key, *envs, default=None):
        v = o.get(key)
        if v not in (None, "", "False"):
            return v
        for e in envs:
            if os.environ.get(e):
                return os.environ[e]
            if os.environ.get(e + "_FILE") and os.path.exists(os.environ[e + "_FILE"]):
                return open(os.environ[e + "_FILE"]).read().strip()
        return default
    return {
        "host": pick("db_host", "DB_HOST", "HOST"),
        "port": pick("db_port", "DB_PORT", "PORT", default="5432"),
        "user": pick("db_user", "DB_USER", "USER", default="odoo"),
        "password": pick("db_password", "DB_PASSWORD", "PASSWORD"),
        "data_dir": o.get("data_dir") or "/var/lib/odoo",
    }

def connect(c):
    import psycopg2
    conn = psycopg2.connect(dbname="postgres", host=c["host"], port=c["port"], user=c["user"], password=c["password"], connect_timeout=10)
    conn.autocommit = True
    return conn

def q(name):
    return '"' + name.replace('"', '""') + '"'

def exists(cur, db):
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
    return cur.fetchone() is not None

def kick(cur, db):
    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (db,))

def filestore(c, db):
    return os.path.join(c["data_dir"], "filestore", db)

def link_copy(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            # Odoo writes filestore files once under their checksum and never edits them, so hard links are a safe copy.
            os.link(os.path.join(root, f), os.path.join(dst, rel, f))

def main(argv):
    action = argv[0]
    if action == "manifests":
        import ast, hashlib
        out = {}
        for base in argv[1].split(","):
            if not os.path.isdir(base):
                continue
            for m in sorted(os.listdir(base)):
                mf = os.path.join(base, m, "__manifest__.py")
                if os.path.isfile(mf):
                    h = hashlib.sha256()
                    for root, dirs, files in sorted(os.walk(os.path.join(base, m))):
                        dirs.sort()
                        for f in sorted(files):
                            p = os.path.join(root, f)
                            h.update(os.path.relpath(p, base).encode()); h.update(open(p, "rb").read())
                    out[m] = {"version": str(ast.literal_eval(open(mf).read()).get("version", "")), "hash": h.hexdigest()}
        print("ODOO_AGENT_MANIFESTS " + json.dumps(out, sort_keys=True))
        return 0
    c = conf()
    cur = connect(c).cursor()
    db = argv[1]
    if action == "exists":
        print("database %s %s" % (db, "exists" if exists(cur, db) else "is missing"))
        return 0 if exists(cur, db) else 3
    copy = argv[2]
    if action == "snapshot":
        if not exists(cur, db):
            print("database %s is missing" % db); return 3
        kick(cur, db)
        if exists(cur, copy):
            cur.execute("DROP DATABASE " + q(copy))
        cur.execute("CREATE DATABASE %s TEMPLATE %s" % (q(copy), q(db)))
        if os.path.isdir(filestore(c, db)):
            link_copy(filestore(c, db), filestore(c, copy))
        print("snapshot %s -> %s done" % (db, copy)); return 0
    if action == "restore":
        if exists(cur, copy):
            kick(cur, db)
            cur.execute("DROP DATABASE IF EXISTS " + q(db))
            cur.execute("ALTER DATABASE %s RENAME TO %s" % (q(copy), q(db)))
        elif not exists(cur, db):
            print("neither %s nor its copy %s exists" % (db, copy)); return 4
        if os.path.isdir(filestore(c, copy)):
            if os.path.exists(filestore(c, db)):
                shutil.rmtree(filestore(c, db))
            os.rename(filestore(c, copy), filestore(c, db))
        print("restore %s <- %s done" % (db, copy)); return 0
    if action == "drop":
        kick(cur, copy)
        cur.execute("DROP DATABASE IF EXISTS " + q(copy))
        if os.path.isdir(filestore(c, copy)):
            shutil.rmtree(filestore(c, copy))
        print("dropped %s" % copy); return 0
    print("unknown action " + action); return 2

sys.exit(main(sys.argv[1:]))

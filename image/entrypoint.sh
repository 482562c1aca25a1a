#!/bin/sh
# Renders /etc/odoo/odoo.conf from the environment, then execs the command (odoo by default).
# POSIX sh: runs unchanged on the official odoo:18.0 image and on the stand-in test base.
# Secrets (DB_PASSWORD, ADMIN_PASSWD and their *_FILE forms) are written to the conf file only,
# never printed.
set -eu

me=odoo-entrypoint
conf=${ODOO_RC:-/etc/odoo/odoo.conf}

die() {
    printf '%s: %s\n' "$me" "$*" >&2
    exit 64
}

say() {
    printf '%s: %s\n' "$me" "$*" >&2
}

# secret NAME -> prints the value of NAME or the contents of NAME_FILE (exactly one must be set).
secret() {
    name=$1
    eval "value=\${$name-}"
    eval "file=\${${name}_FILE-}"
    if [ -n "$value" ] && [ -n "$file" ]; then
        die "both $name and ${name}_FILE are set (set only one of them)"
    fi
    if [ -n "$file" ]; then
        [ -f "$file" ] || die "${name}_FILE names $file, which is not a file (mount the secret there or fix ${name}_FILE)"
        [ -r "$file" ] || die "${name}_FILE names $file, which user $(id -un 2>/dev/null || id -u) cannot read (fix its owner or mode)"
        value=$(cat "$file")
        [ -n "$value" ] || die "${name}_FILE names $file, which is empty (put the secret in it)"
    fi
    [ -n "$value" ] || die "$name is not set (set $name or ${name}_FILE)"
    case $value in
        *'
'*) die "$name contains a line break, which odoo.conf cannot hold (use a single-line secret)" ;;
    esac
    printf '%s' "$value"
}

# integer NAME DEFAULT MIN [MAX] -> prints the validated value of NAME.
integer() {
    name=$1
    eval "value=\${$name:-$2}"
    case $value in
        '' | *[!0-9]*) die "$name must be a whole number, got '$value'" ;;
    esac
    # strip leading zeros without arithmetic overflow on 10-digit values
    while [ "${#value}" -gt 1 ] && [ "${value#0}" != "$value" ]; do value=${value#0}; done
    if [ "${#value}" -gt 18 ]; then die "$name is too large, got '$value'"; fi
    [ "$value" -ge "$3" ] || die "$name must be at least $3, got '$value'"
    if [ $# -ge 4 ] && [ "$value" -gt "$4" ]; then die "$name must be at most $4, got '$value'"; fi
    printf '%s' "$value"
}

# word NAME DEFAULT -> prints NAME, refusing empty values and line breaks.
word() {
    name=$1
    eval "value=\${$name:-$2}"
    case $value in
        *'
'* | *' '*) die "$name must be a single word without spaces, got '$value'" ;;
    esac
    printf '%s' "$value"
}

render() {
    if [ -e "$conf" ] && [ ! -w "$conf" ]; then
        say "$conf is not writable (read-only mount?): using it as it is; DB_*, ADMIN_PASSWD and the tuning variables are ignored"
        return 0
    fi
    db_host=$(word DB_HOST db)
    db_user=$(word DB_USER odoo)
    if [ "$db_user" = postgres ]; then
        die "DB_USER is 'postgres'; Odoo refuses to run as the PostgreSQL superuser (create a dedicated role and set DB_USER)"
    fi
    db_port=$(integer DB_PORT 5432 1 65535)
    workers=$(integer WORKERS 4 0)
    max_cron_threads=$(integer MAX_CRON_THREADS 2 0)
    db_maxconn=$(integer DB_MAXCONN 64 1)
    limit_memory_hard=$(integer LIMIT_MEMORY_HARD 2684354560 1)
    limit_memory_soft=$(integer LIMIT_MEMORY_SOFT 2147483648 1)
    http_port=$(integer ODOO_PORT 8069 1 65535)
    case ${PROXY_MODE:-True} in
        True | true) proxy_mode=True ;;
        False | false) proxy_mode=False ;;
        *) die "PROXY_MODE must be True or False, got '${PROXY_MODE}'" ;;
    esac
    db_password=$(secret DB_PASSWORD)
    admin_passwd=$(secret ADMIN_PASSWD)

    dir=$(dirname "$conf")
    if [ ! -e "$conf" ] && [ ! -w "$dir" ]; then
        die "cannot create $conf: $dir is not writable by user $(id -un 2>/dev/null || id -u) (mount a writable $dir or a ready odoo.conf)"
    fi
    # Create it private before any secret goes in; rewrite in place so a bind-mounted file works.
    old_umask=$(umask)
    umask 077
    : >>"$conf" || die "cannot write $conf"
    umask "$old_umask"
    chmod 0600 "$conf" 2>/dev/null || say "cannot chmod 0600 $conf (owned by another user); check its mode"
    cat >"$conf" <<EOF
[options]
addons_path = /mnt/extra-addons
data_dir = /var/lib/odoo
db_host = $db_host
db_port = $db_port
db_user = $db_user
db_password = $db_password
admin_passwd = $admin_passwd
db_maxconn = $db_maxconn
workers = $workers
max_cron_threads = $max_cron_threads
limit_memory_hard = $limit_memory_hard
limit_memory_soft = $limit_memory_soft
proxy_mode = $proxy_mode
http_port = $http_port
EOF
    say "rendered $conf: db_host=$db_host db_port=$db_port db_user=$db_user workers=$workers max_cron_threads=$max_cron_threads db_maxconn=$db_maxconn limit_memory_soft=$limit_memory_soft limit_memory_hard=$limit_memory_hard proxy_mode=$proxy_mode http_port=$http_port"
}

if [ $# -eq 0 ]; then
    set -- odoo
fi

case $1 in
    odoo | */odoo | --)
        shift
        if [ "${1-}" = scaffold ]; then
            exec odoo "$@"
        fi
        render
        case ${1-} in
            shell | server | db | neutralize | populate | start | cloc | deploy | obfuscate | upgrade_code)
                sub=$1
                shift
                exec odoo "$sub" -c "$conf" "$@"
                ;;
        esac
        exec odoo -c "$conf" "$@"
        ;;
    -*)
        render
        exec odoo -c "$conf" "$@"
        ;;
    *)
        exec "$@"
        ;;
esac

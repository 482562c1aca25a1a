# shellcheck shell=bash
# scripts/packages.sh — the one declaration of the Debian packages that the scripts need, and the
# function that installs them. Sourced by scripts/testbed, build-images, demo, test, bench and check-ops:
#
#   . "$root/scripts/packages.sh"
#   need_tools docker debootstrap python3     # installs the package of each tool that is missing here
#
# scripts/check-ops reads this file too: it fails when a script calls a command that is neither a
# shell builtin, nor a function of that script, nor in a BASE_PACKAGES package, nor a key of TOOL_PACKAGE.

# Packages every Debian system has (Priority: required); their commands need no declaration.
# (awk is mawk's, through the alternatives system.)
BASE_PACKAGES=(bash coreutils dash debianutils diffutils dpkg findutils grep gzip hostname libc-bin login mawk mount
               passwd sed tar util-linux)
BASE_EXTRA_TOOLS=(awk)

# Every other command the scripts call, and the Debian package that provides it. A key may also be an
# absolute path (a program that is not on PATH) or python3:<module> (a Python module).
declare -gA TOOL_PACKAGE=(
  [apt-get]=apt
  [caddy]=caddy
  [chromium]=chromium
  [curl]=curl
  [debootstrap]=debootstrap
  [docker]=docker.io
  [dockerd]=docker.io
  [docker-compose]=docker-compose
  [docker-registry]=docker-registry
  [git]=git
  [htpasswd]=apache2-utils
  [ip]=iproute2
  [java]=openjdk-17-jre-headless
  [javac]=openjdk-17-jdk-headless
  [jq]=jq
  [mosquitto]=mosquitto
  [mosquitto_passwd]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [mosquitto_sub]=mosquitto-clients
  [mvn]=maven
  [openssl]=openssl
  [pgrep]=procps
  [ps]=procps
  [pg_createcluster]=postgresql-common
  [pg_ctlcluster]=postgresql-common
  [pg_isready]=postgresql-client-15
  [pg_lsclusters]=postgresql-common
  ['/usr/lib/postgresql/15/bin/postgres']=postgresql-15
  [prometheus]=prometheus
  [promtool]=prometheus
  [psql]=postgresql-client-15
  [python3]=python3
  ['python3:yaml']=python3-yaml
  [shfmt]=shfmt
  [ss]=iproute2
  [systemctl]=systemd
  [systemd-nspawn]=systemd-container
  [systemd-analyze]=systemd
  [wrk]=wrk
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf']=fonts-dejavu-core
)

# have_tool TOOL: the tool (a command, an absolute path or python3:<module>) is usable here.
have_tool() {
  case $1 in
    /*) [[ -e $1 ]] ;;   # a program off PATH, or a data file a package ships (a font)
    python3:*) command -v python3 >/dev/null && python3 -c "import ${1#python3:}" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

# need_tools TOOL...: installs (apt-get, as root) the declared package of every TOOL missing here.
# Package maintainer scripts may not start daemons meanwhile (they would take the test bed's ports).
need_tools() {
  local t p missing=() pkgs=()
  for t in "$@"; do
    p=${TOOL_PACKAGE[$t]-}
    [[ -n $p ]] || { printf 'need_tools: %s is not declared in scripts/packages.sh; add it to TOOL_PACKAGE\n' "$t" >&2; return 1; }
    have_tool "$t" && continue
    missing+=("$t")
    [[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p")
  done
  (( ${#pkgs[@]} )) || return 0
  if [[ $(id -u) != 0 ]]; then
    printf 'need_tools: %s missing; as root: apt-get install %s\n' "${missing[*]}" "${pkgs[*]}" >&2
    return 1
  fi
  printf 'need_tools: %s missing; installing %s\n' "${missing[*]}" "${pkgs[*]}" >&2
  local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, written by scripts/packages.sh during apt-get install\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    made_policy=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
  } >&2 || rc=$?
  (( made_policy )) && rm -f "$policy"
  (( rc == 0 )) || { printf 'need_tools: apt-get failed (exit %s) installing %s\n' "$rc" "${pkgs[*]}" >&2; return 1; }
  for t in "${missing[@]}"; do
    have_tool "$t" || { printf 'need_tools: %s is still missing after installing %s\n' "$t" "${TOOL_PACKAGE[$t]}" >&2; return 1; }
  done
}

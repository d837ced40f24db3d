# shellcheck shell=bash
# shellcheck disable=SC2034  # the settings are used by the scripts that source this file
# Settings and helpers shared by scripts/runtimes/{setup,start,stop,status,env.sh}.
#
# The daemons of the version matrix, each from Debian packages unpacked into a prefix
# (never installed on the host, so the host's containerd and dpkg database stay as they are):
#   ctd17     containerd 1.7.x  (trixie)              config version 2
#   ctd2      containerd 2.x    (forky)               config version 3
#   ctd23     containerd 2.3.x  (built from source by build-containerd-2.3; optional)
#   docker28  dockerd 28.x      (forky)   -> ctd2     containerd image store
#   docker26  dockerd 26.x      (trixie)  -> ctd17    containerd image store
# plus the docker CLI (forky docker-cli) used to drive both dockerds.
#
# Every knob is an environment variable:
#   WASMTS_RT_PREFIX     binaries, configs, data roots, logs   (default /opt/wasmts-runtimes)
#   WASMTS_RT_RUN        state dirs, sockets, pid files        (default /run/wasmts-rt; keep it
#                        short: a unix socket path has at most 107 bytes)
#   WASMTS_RT_DEB_CACHE  downloaded .debs; cache this in CI    (default $WASMTS_RT_PREFIX/debs)
#   WASMTS_RT_MIRROR     Debian mirror                          (default: the host's own)
#   WASMTS_RT_SHIM_DIR   directory holding containerd-shim-wasmts-v1, first on every
#                        containerd's PATH                     (default: this checkout's bin/)
#   WASMTS_RT_DEBUG=1    daemons log at debug level (containerd then passes -debug to shims)
#   WASMTS_RT_DAEMON_ENV "NAME=VALUE ..." added to the daemons' clean environment, and so to
#                        the shims' (e.g. "WASMTS_TASK_API=2 WASMTS_SPARE=0")
#   WASMTS_RT_CTD17_VERSION, _CTD2_VERSION, _DOCKER28_VERSION, _DOCKER26_VERSION, _CLI_VERSION
#                        exact Debian versions to pin (default: what the suite has now)

RT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RT_PREFIX=${WASMTS_RT_PREFIX:-/opt/wasmts-runtimes}
RT_RUN=${WASMTS_RT_RUN:-/run/wasmts-rt}
RT_DEB_CACHE=${WASMTS_RT_DEB_CACHE:-$RT_PREFIX/debs}
RT_SHIM_DIR=${WASMTS_RT_SHIM_DIR:-$RT_REPO/bin}
RT_DEBUG=${WASMTS_RT_DEBUG:-0}
RT_ARCH=${WASMTS_RT_ARCH:-amd64}
RT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
RT_HOST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

RT_CONTAINERDS=(ctd17 ctd2 ctd23)
RT_DOCKERDS=(docker28 docker26)

# The Debian suite and optional version pin of each component.
rt_suite() {
  case $1 in
    ctd17|docker26) echo trixie ;;
    ctd2|docker28|dockercli) echo forky ;;
  esac
}
rt_pin() {
  case $1 in
    ctd17) echo "${WASMTS_RT_CTD17_VERSION:-}" ;;
    ctd2) echo "${WASMTS_RT_CTD2_VERSION:-}" ;;
    docker28) echo "${WASMTS_RT_DOCKER28_VERSION:-}" ;;
    docker26) echo "${WASMTS_RT_DOCKER26_VERSION:-}" ;;
    dockercli) echo "${WASMTS_RT_CLI_VERSION:-}" ;;
  esac
}
rt_package() {
  case $1 in
    ctd*) echo containerd ;;
    docker2*) echo docker.io ;;
    dockercli) echo docker-cli ;;
  esac
}
# The containerd a dockerd uses.
rt_docker_containerd() {
  case $1 in
    docker28) echo ctd2 ;;
    docker26) echo ctd17 ;;
  esac
}

rt_mirror() {
  if [ -n "${WASMTS_RT_MIRROR:-}" ]; then echo "$WASMTS_RT_MIRROR"; return; fi
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null)
  echo "${uri:-http://deb.debian.org/debian}"
}

# apt-get / apt-cache with every path inside the prefix: own sources, lists, cache and an
# empty dpkg status, so nothing of the host's apt state is read or written.
RT_APT=$RT_PREFIX/apt
RT_APT_OPTIONS=(
  -o "Dir::Etc::SourceList=$RT_APT/sources.list"
  -o "Dir::Etc::SourceParts=$RT_APT/sources.list.d"
  -o "Dir::Etc::Preferences=$RT_APT/preferences"
  -o "Dir::Etc::PreferencesParts=$RT_APT/preferences.d"
  -o "Dir::State=$RT_APT/state"
  -o "Dir::State::status=$RT_APT/status"
  -o "Dir::Cache=$RT_APT/cache"
  -o "APT::Architecture=$RT_ARCH" -o "APT::Architectures=$RT_ARCH"
  -o Acquire::Languages=none -o Acquire::PDiffs=false
  -o APT::Sandbox::User=root -o Debug::NoLocking=1
  -q
)
rt_apt_get() { apt-get "${RT_APT_OPTIONS[@]}" "$@"; }
rt_apt_cache() { apt-cache "${RT_APT_OPTIONS[@]}" "$@"; }

rt_installed() { [ -e "$RT_PREFIX/$1" ]; }
rt_bin() {
  case $1 in
    ctd*) echo "$RT_PREFIX/$1/usr/bin" ;;
    docker2*) echo "$RT_PREFIX/$1/usr/sbin" ;;
    dockercli) echo "$RT_PREFIX/dockercli/usr/bin" ;;
  esac
}
rt_socket() {
  case $1 in
    ctd*) echo "$RT_RUN/$1/containerd.sock" ;;
    docker*) echo "$RT_RUN/$1/docker.sock" ;;
  esac
}
rt_config() {
  case $1 in
    ctd*) echo "$RT_PREFIX/etc/$1.toml" ;;
    docker*) echo "$RT_PREFIX/etc/$1.json" ;;
  esac
}
rt_pidfile() { echo "$RT_RUN/$1.pid"; }
rt_log() { echo "$RT_PREFIX/log/$1.log"; }
rt_ctr() { local c=$1; shift; "$(rt_bin "$c")/ctr" --address "$(rt_socket "$c")" "$@"; }
rt_docker() { local d=$1; shift; "$(rt_bin dockercli)/docker" --host "unix://$(rt_socket "$d")" "$@"; }

# A pid that runs and is not a zombie (PID 1 here may reap late).
rt_alive() {
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}
rt_running() {
  local pidfile
  pidfile=$(rt_pidfile "$1")
  [ -f "$pidfile" ] && rt_alive "$(cat "$pidfile")"
}

RT_T0=$(date +%s%N)
rt_log_line() {
  local ms=$(( ($(date +%s%N) - RT_T0) / 1000000 ))
  printf '[%s %d.%01ds] %s\n' "${RT_SCRIPT:-runtimes}" $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
rt_die() { echo "${RT_SCRIPT:-runtimes}: $*" >&2; exit 1; }
rt_need_root() { [ "$(id -u)" = 0 ] || rt_die "run as root (the daemons mount filesystems)"; }

# start and stop run one at a time, so that concurrent test runs neither launch a daemon
# twice nor stop one another's.
rt_lock() {
  mkdir -p "$RT_RUN"
  exec 9> "$RT_RUN/.lock"
  flock --wait 180 9 || rt_die "another scripts/runtimes command has held $RT_RUN/.lock for 3 minutes"
}

# Leases: a test run that needs a daemon holds a lease on it (the id is its pid). A daemon
# started for a lease is marked so; the last lease to go stops it. A daemon started by hand
# carries no mark and is never stopped by a lease.
rt_lease_dir() { echo "$RT_RUN/leases/$1"; }
rt_lease_mark() { echo "$RT_RUN/$1.for-leases"; }
rt_add_lease() { mkdir -p "$(rt_lease_dir "$1")" && touch "$(rt_lease_dir "$1")/$2"; }
# rt_live_leases NAME: how many leases of live holders remain (dead holders' leases are dropped).
rt_live_leases() {
  local dir lease count=0
  dir=$(rt_lease_dir "$1")
  for lease in "$dir"/*; do
    [ -e "$lease" ] || continue
    if rt_alive "$(basename "$lease")"; then count=$((count + 1)); else rm -f "$lease"; fi
  done
  echo "$count"
}

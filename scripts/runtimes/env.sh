# shellcheck shell=bash
# For an interactive shell: `. scripts/runtimes/env.sh` gives ctr17, ctr2, ctr23 (each
# version's own ctr on its daemon's socket) and docker28, docker26 (the prefix's docker CLI on
# each dockerd's socket).
# shellcheck source=scripts/runtimes/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ctr17() { rt_ctr ctd17 "$@"; }
ctr2() { rt_ctr ctd2 "$@"; }
ctr23() { rt_ctr ctd23 "$@"; }
docker28() { rt_docker docker28 "$@"; }
docker26() { rt_docker docker26 "$@"; }

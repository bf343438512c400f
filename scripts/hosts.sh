#!/usr/bin/env bash
# Test hosts on this machine: Linux network namespaces sw-host0..N-1, each with its own
# address on a private test subnet (10.77.0.0/24) and its own host name, joined by veth pairs
# to a bridge in a namespace sw-net of its own. Nothing is routed to or from anywhere else.
# Open MPI runs across them over TCP only, starting remote ranks through `hosts.sh agent`.
#   hosts.sh up [N]            create N hosts (3)
#   hosts.sh down              remove them
#   hosts.sh run N CMD...      CMD in sw-host0, with mpirun set to use the N hosts (one slot
#                              each): btl self,tcp over the test subnet, and keepalives on
#                              mpirun's own connections so that it notices a host cut off
#                              within seconds (its default: minutes), and no binding to
#                              cores (the hosts share this machine's: each would bind its
#                              rank to core 0, and two ranks polling on one core make a
#                              round trip take a 4 ms time slice); the hosts are made
#                              for the command and removed after it unless they were up
#   hosts.sh cut I | mend I    take host I's link down / up again (a lost network)
# Needs root, iproute2 and util-linux (unshare).
set -euo pipefail
script=$(realpath "$0")
prefix=${SW_HOSTS_SUBNET:-10.77.0}

host_ns() { echo "sw-host$1"; }

up() {
  local n=${1:-3}
  down
  ip netns add sw-net
  ip -n sw-net link add br0 type bridge
  ip -n sw-net link set br0 up
  for ((i = 0; i < n; i++)); do
    local ns; ns=$(host_ns "$i")
    ip netns add "$ns"
    ip link add "swv$i" type veth peer name "swp$i"
    ip link set "swv$i" netns "$ns"
    ip link set "swp$i" netns sw-net
    ip -n sw-net link set "swp$i" master br0
    ip -n sw-net link set "swp$i" up
    ip -n "$ns" addr add "$prefix.$((i + 1))/24" dev "swv$i"
    ip -n "$ns" link set "swv$i" up
    ip -n "$ns" link set lo up
  done
}

down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^sw-(host[0-9]+|net)$' || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns"
  done
}

# As Open MPI's plm_rsh_agent: [ssh-like options] HOST COMMAND... runs COMMAND in HOST's
# namespace, under HOST's name.
agent() {
  while [[ ${1:-} == -* ]]; do shift; done
  local host=$1; shift
  local i=$((${host##*.} - 1))
  exec ip netns exec "$(host_ns "$i")" unshare --uts sh -c "hostname sw-host$i; $*"
}

run() {
  local n=$1; shift
  local made=false
  if ! ip netns list | grep -q '^sw-net'; then
    up "$n"; made=true
  elif ! ip netns list | grep -q "^$(host_ns $((n - 1)))\b"; then
    echo "hosts.sh: fewer than $n hosts are up; run 'hosts.sh down' or 'hosts.sh up $n' first" >&2
    return 2
  fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/streamweave-hosts.XXXXXX")
  for ((i = 0; i < n; i++)); do echo "$prefix.$((i + 1)) slots=1"; done >"$dir/hostfile"
  local rc=0
  OMPI_MCA_orte_default_hostfile=$dir/hostfile OMPI_MCA_plm_rsh_agent="$script agent" \
    OMPI_MCA_plm_rsh_no_tree_spawn=1 OMPI_MCA_btl=self,tcp \
    OMPI_MCA_oob_tcp_keepalive_time=1 OMPI_MCA_oob_tcp_keepalive_intvl=1 \
    OMPI_MCA_oob_tcp_keepalive_probes=3 \
    OMPI_MCA_btl_tcp_if_include=$prefix.0/24 OMPI_MCA_oob_tcp_if_include=$prefix.0/24 \
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mca_base_env_list=STREAMWEAVE_TEST_HOSTS \
    OMPI_MCA_hwloc_base_binding_policy=none \
    STREAMWEAVE_TEST_HOSTS=$n \
    ip netns exec "$(host_ns 0)" unshare --uts sh -c 'hostname sw-host0; exec "$@"' sh "$@" || rc=$?
  rm -rf "$dir"
  if $made; then down; fi
  return $rc
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  agent) shift; agent "$@" ;;
  run) shift; run "$@" ;;
  cut) ip -n "$(host_ns "$2")" link set "swv$2" down ;;
  mend) ip -n "$(host_ns "$2")" link set "swv$2" up ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac

#!/usr/bin/env bash
# Start a real one-node SLURM on this machine for tests/test_slurm.py.
#
#   sudo tests/slurm/start.sh      # installs packages once, then starts in seconds
#   sudo tests/slurm/stop.sh       # stops exactly what this script started
#
# Debian/Ubuntu only, as root. Installs slurmctld, slurmd, slurm-client and munge
# with apt (once), writes /etc/slurm/slurm.conf and gres.conf (one node on
# 127.0.0.1 with this machine's CPUs and memory and one GPU gres, partition `main`),
# creates a munge key if there is none, then starts munged, slurmctld and slurmd
# directly (no systemd) and waits until `sinfo` shows the node idle.
# Idempotent: a second call finds the daemons running and only checks the node.
#
# Facts this relies on (Debian 12, Slurm 22.05):
# - a GPU gres without File= is not counted and the node turns INVALID ("gres/gpu
#   count reported lower than configured"); File=/dev/null works;
# - there is no accounting database, so `sacct` fails: Snakemake's SLURM plugin
#   must use `--slurm-status-command squeue` (with sacct it never sees a job end),
#   which needs MinJobAge >= 120 s;
# - the plugin's job step removes SLURM_CONF from the environment, so the config
#   must live in the default place, /etc/slurm/.
#
# Exit status: 0 ready; 77 SLURM cannot be provided here (not root, no apt-get,
# install failed, e.g. no network): the test skips; anything else: a real failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR="${STYLEPATH_SLURM_DIR:-/var/tmp/stylepath-slurm}"  # spool, state, logs, pid files
CONF_DIR=/etc/slurm
MARKER="# Written by stylepath tests/slurm/start.sh"
PACKAGES=(slurmctld slurmd slurm-client munge)
READY_TIMEOUT_S=60

say() { echo "start.sh: $*" >&2; }
cannot() { say "SLURM cannot be provided here: $*"; exit 77; }
die() { say "ERROR: $*"; exit 1; }

# A daemon is ours and running when its pid file (<name>.pid) names a live <name>.
running() { [[ -s "$1" && "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" == "$(basename "$1" .pid)" ]]; }

show_logs() {
    for log in "$STATE_DIR"/slurmctld.log "$STATE_DIR"/slurmd.log; do
        [[ -f "$log" ]] && { say "--- last lines of $log"; tail -n 15 "$log" >&2; }
    done
    return 0
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    [[ ${#missing[@]} -eq 0 ]] && return 0

    command -v apt-get >/dev/null || cannot "missing ${missing[*]} and no apt-get to install them"
    say "installing ${PACKAGES[*]} with apt-get (missing: ${missing[*]})"
    local start=$SECONDS policy_added=""
    # Keep package scripts from starting services (no systemd here); we start them below.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    local status=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q -o Acquire::http::Timeout=30 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    } > "$STATE_DIR/apt.log" 2>&1 || status=$?
    [[ -n "$policy_added" ]] && rm -f /usr/sbin/policy-rc.d
    if [[ $status -ne 0 ]]; then
        tail -n 5 "$STATE_DIR/apt.log" >&2
        cannot "apt-get install ${PACKAGES[*]} failed (no network or no package source?); see $STATE_DIR/apt.log"
    fi
    say "packages installed in $((SECONDS - start)) s"
}

start_munge() {
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already answers; using it"
        return 0
    fi
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        install -d -o munge -g munge -m 0700 /etc/munge
        runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 50); do
        if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
            cp /run/munge/munged.pid "$STATE_DIR/munged.pid"  # stop.sh stops only what we started
            return 0
        fi
        sleep 0.1
    done
    die "munged started but does not answer (munge -n | unmunge fails); see /var/log/munge/munged.log"
}

write_config() {
    local host node_line
    host=$(hostname -s)
    # slurmd -C prints this machine's real CPUs, sockets, cores, threads and RealMemory.
    node_line=$(slurmd -C | grep '^NodeName=') || die "slurmd -C did not describe this node"
    node_line="NodeName=$host NodeAddr=127.0.0.1 ${node_line#NodeName=* }"

    for file in "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"; do
        if [[ -e "$file" ]] && ! grep -qF "$MARKER" "$file"; then
            cannot "$file exists and was not written by this script (a real SLURM is configured here); not touching it"
        fi
    done
    install -d -m 0755 "$CONF_DIR"
    cat > "$STATE_DIR/slurm.conf.new" <<EOF
$MARKER: a one-node test cluster; stop.sh removes it.
ClusterName=stylepath
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE_DIR/ctld
SlurmdSpoolDir=$STATE_DIR/d
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# No accounting database: sacct fails, squeue answers for finished jobs while
# they are younger than MinJobAge (the plugin needs >= 120 s).
AccountingStorageType=accounting_storage/none
MinJobAge=3600
# A record of every finished job, kept after squeue has forgotten them.
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE_DIR/jobcomp.log
GresTypes=gpu
$node_line Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    cat > "$STATE_DIR/gres.conf.new" <<EOF
$MARKER: one pretend GPU (without File= the node turns INVALID).
NodeName=$host Name=gpu File=/dev/null
EOF
    # A changed config (another machine size, an edited script) restarts the daemons.
    if ! cmp -s "$STATE_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf" \
        || ! cmp -s "$STATE_DIR/gres.conf.new" "$CONF_DIR/gres.conf"; then
        if running "$STATE_DIR/slurmctld.pid" || running "$STATE_DIR/slurmd.pid"; then
            say "configuration changed: restarting the SLURM daemons"
            "$HERE/stop.sh"
        fi
        mv "$STATE_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"
        mv "$STATE_DIR/gres.conf.new" "$CONF_DIR/gres.conf"
    else
        rm -f "$STATE_DIR/slurm.conf.new" "$STATE_DIR/gres.conf.new"
    fi
}

# Run a daemon (it forks into the background) and wait for its pid file.
start_daemon() {
    local name=$1
    shift
    running "$STATE_DIR/$name.pid" && return 0
    rm -f "$STATE_DIR/$name.pid"
    "$@" || { show_logs; die "$name failed to start"; }
    for _ in $(seq 100); do
        running "$STATE_DIR/$name.pid" && return 0
        sleep 0.1
    done
    show_logs
    die "$name exited right after starting (log above)"
}

start_slurm() {
    install -d -m 0755 "$STATE_DIR/ctld" "$STATE_DIR/d"
    # -c: start from a clean state (no jobs or node states from an earlier run).
    start_daemon slurmctld slurmctld -c
    start_daemon slurmd slurmd -N "$(hostname -s)"
}

wait_until_idle() {
    local host state="" deadline=$((SECONDS + READY_TIMEOUT_S))
    host=$(hostname -s)
    while ((SECONDS < deadline)); do
        for name in slurmctld slurmd; do
            running "$STATE_DIR/$name.pid" || { show_logs; die "$name exited right after starting (log above)"; }
        done
        state=$(timeout 5 sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)
        case "$state" in
            idle | mixed | allocated) return 0 ;;
            *drain* | inval*) break ;;  # the node does not match its config: waiting will not help
        esac
        sleep 0.5
    done
    sinfo -R >&2 || true
    show_logs
    die "node $host is '${state:-not known to slurmctld}' instead of idle (reason above)"
}

main() {
    [[ $(id -u) -eq 0 ]] || cannot "must run as root (it installs packages and starts daemons)"
    local start=$SECONDS
    install -d -m 0755 "$STATE_DIR"
    install_packages
    write_config
    start_munge
    start_slurm
    wait_until_idle
    say "SLURM ready in $((SECONDS - start)) s: $(sinfo -h -N -o '%N %T cpus=%c mem=%m gres=%G partition=%P')"
}

main "$@"

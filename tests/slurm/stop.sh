#!/usr/bin/env bash
# Stop the one-node SLURM that tests/slurm/start.sh started, and only that:
# its jobs still queued or running, then the slurmd, slurmctld and munged whose
# pid files start.sh left in its state directory (a munged that was already
# running before start.sh is left alone).
# Removes the /etc/slurm/slurm.conf and gres.conf that start.sh wrote (marked).
# Keeps the installed packages, the munge key and the logs in the state directory.
set -euo pipefail

STATE_DIR="${STYLEPATH_SLURM_DIR:-/var/tmp/stylepath-slurm}"
CONF_DIR=/etc/slurm
MARKER="# Written by stylepath tests/slurm/start.sh"

say() { echo "stop.sh: $*" >&2; }

alive() { kill -0 "$1" 2>/dev/null; }

# The pid in <name>.pid if that process is alive and is <name> (not a reused pid).
our_pid() {
    local pidfile="$STATE_DIR/$1.pid"
    [[ -s "$pidfile" && "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" == "$1" ]] && cat "$pidfile"
}

# Stop the process named in a pid file: TERM, then KILL if it lingers
# (a slurmd waiting to retry its registration ignores TERM for minutes).
stop_pidfile() {
    local name=$1 pid
    if pid=$(our_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            say "$name ($pid) ignored TERM for 10 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
        fi
        alive "$pid" && { say "ERROR: could not stop $name ($pid)"; exit 1; }
        say "stopped $name ($pid)"
    fi
    rm -f "$STATE_DIR/$name.pid"
}

if [[ $(id -u) -ne 0 ]]; then
    say "ERROR: must run as root, like start.sh"
    exit 1
fi
# Cancel the jobs still queued or running on this test cluster, so that no job
# process outlives it, then stop the daemons.
if our_pid slurmctld >/dev/null; then
    job_ids=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
    if [[ -n "$job_ids" ]]; then
        say "cancelling SLURM jobs: $(echo $job_ids)"
        timeout 10 scancel $job_ids || true
        for _ in $(seq 50); do [[ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]] && break; sleep 0.2; done
    fi
fi
stop_pidfile slurmd
stop_pidfile slurmctld
stop_pidfile munged
for file in "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"; do
    if [[ -f "$file" ]] && grep -qF "$MARKER" "$file"; then
        rm -f "$file"
    fi
done

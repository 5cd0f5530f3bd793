#!/bin/sh
# A throwaway single-node Slurm cluster for the test suite (Tests/CLITests/SlurmSubmitTests.swift), made
# of Debian's slurmctld, slurmd and munge (tools/install-deps.sh --test installs them). It runs without
# systemd or cgroups, entirely inside one folder: its own munge key and socket, its own slurm.conf
# (free ports, process tracking by /proc, no accounting), its state and its logs.
#
#   tools/slurm-test-cluster.sh start DIR [PID]
#                                           starts munged (as the munge user), slurmctld and slurmd, waits
#                                           until the node takes jobs, prints SLURM_CONF=DIR/slurm.conf;
#                                           with PID (the test's process), stops the cluster when PID ends,
#                                           should the test crash before it stops the cluster itself
#   tools/slurm-test-cluster.sh stop DIR    cancels the cluster's jobs and stops its daemons (by the pids
#                                           they wrote in DIR); safe after a failed start and when run twice
#   tools/slurm-test-cluster.sh logs DIR    the last lines of the daemons' logs
#
# Clients talk to this cluster when SLURM_CONF=DIR/slurm.conf is in their environment. Needs root:
# slurmd starts jobs as their user, and munged must run as the munge user.
set -u

usage() { echo "usage: $0 start DIR [PID] | stop DIR | logs DIR" >&2; exit 64; }
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = start ]; } || usage
ACTION=$1
DIR=$2
OWNER=${3:-}
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
CONF="$DIR/slurm.conf"
MUNGE_DIR="$DIR/munge"
SOCKET="$MUNGE_DIR/munge.socket"

logs() {
  for log in "$DIR/log/munged.out" "$MUNGE_DIR/munged.log" "$DIR/log/slurmctld.out" "$DIR/log/slurmctld.log" \
             "$DIR/log/slurmd.out" "$DIR/log/slurmd.log"; do
    [ -s "$log" ] || continue
    echo "--- $log (last 20 lines)"
    tail -n 20 "$log"
  done
}

# Waits up to $2 tenths of a second for the process whose pid is in file $1 to end.
wait_for_end() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1" 2>/dev/null)
  [ -n "$pid" ] || return 0
  tries=0
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -le "$2" ] || return 1
    sleep 0.1
  done
  return 0
}

# Ends the daemon whose pid is in file $1: it has had its chance to stop; TERM, then KILL.
end_daemon() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    wait_for_end "$1" 50 || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$1"
}

stop() {
  end_daemon "$DIR/watchdog.pid"
  if [ -f "$CONF" ] && [ -f "$DIR/slurmctld.pid" ]; then
    export SLURM_CONF="$CONF"
    # Jobs first, so that no job step outlives the daemons.
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086 # one argument per job id
      scancel $jobs 2>/dev/null
      tries=0
      while [ -n "$(squeue -h -o %A 2>/dev/null)" ] && [ "$tries" -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
    fi
    scontrol shutdown >/dev/null 2>&1
    wait_for_end "$DIR/slurmd.pid" 100
    wait_for_end "$DIR/slurmctld.pid" 100
  fi
  end_daemon "$DIR/slurmd.pid"
  end_daemon "$DIR/slurmctld.pid"
  if [ -S "$SOCKET" ]; then munged --stop --socket="$SOCKET" >/dev/null 2>&1; fi
  wait_for_end "$MUNGE_DIR/munged.pid" 50
  end_daemon "$MUNGE_DIR/munged.pid"
}

fail() {
  echo "slurm-test-cluster: error: $1" >&2
  logs >&2
  stop
  exit 1
}

# Two free TCP ports (slurmctld's and slurmd's), so that the cluster never meets another Slurm.
free_ports() {
  python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' 2>/dev/null || echo "6817 6818"
}

start() {
  [ "$(id -u)" -eq 0 ] || { echo "slurm-test-cluster: error: needs root (slurmd runs jobs as their user; munged runs as the munge user)" >&2; exit 1; }
  for tool in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "slurm-test-cluster: error: '$tool' is not installed; run 'sh tools/install-deps.sh --test' (apt-get install slurmctld slurmd slurm-client munge)" >&2
      exit 1
    }
  done
  id munge >/dev/null 2>&1 || { echo "slurm-test-cluster: error: there is no munge user (the munge package creates it)" >&2; exit 1; }
  for pidfile in "$MUNGE_DIR/munged.pid" "$DIR/slurmctld.pid" "$DIR/slurmd.pid"; do
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "slurm-test-cluster: error: a cluster is already running in $DIR (pid file $pidfile); stop it first: $0 stop $DIR" >&2
      exit 1
    fi
  done
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$MUNGE_DIR" || exit 1
  # munged refuses a socket folder that others cannot enter, or that others can write to.
  chmod 755 "$DIR" "$MUNGE_DIR"

  # munge: a fresh key readable by the munge user only; munged as that user, on this folder's socket.
  rm -f "$MUNGE_DIR/munge.key"
  if ! mungekey --create --keyfile="$MUNGE_DIR/munge.key" >/dev/null 2>&1; then
    dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 2>/dev/null || fail "cannot write a munge key"
  fi
  chown -R munge:munge "$MUNGE_DIR"
  chmod 400 "$MUNGE_DIR/munge.key"
  # Daemons get no part of this script's output: whoever reads it to the end would wait for them.
  runuser -u munge -- munged --socket="$SOCKET" --key-file="$MUNGE_DIR/munge.key" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed" \
    </dev/null >"$DIR/log/munged.out" 2>&1 || fail "munged did not start"
  munge -n --socket="$SOCKET" | unmunge --socket="$SOCKET" >/dev/null 2>&1 || fail "munge credentials do not round-trip"

  host=$(hostname -s)
  cpus=$(nproc)
  # Slurm drains a node that has less memory than declared: declare half of it.
  memory=$(awk '/^MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
  set -- $(free_ports)
  cat >"$CONF" <<EOF
# Written by tools/slurm-test-cluster.sh: a single-node cluster for the test suite.
ClusterName=nrlhosttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# No systemd, no cgroups: processes are tracked through /proc, tasks are not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Finished jobs stay visible to scontrol for 10 minutes (the test reads their end state).
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$CONF"
  slurmctld </dev/null >"$DIR/log/slurmctld.out" 2>&1 || fail "slurmctld did not start"
  slurmd -N "$host" </dev/null >"$DIR/log/slurmd.out" 2>&1 || fail "slurmd did not start"
  # The node takes jobs once slurmd has registered with slurmctld.
  tries=0
  while :; do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1)
    case "$state" in
      idle|mix|alloc) break ;;
    esac
    tries=$((tries + 1))
    [ "$tries" -le 300 ] || fail "the node did not become idle in 30 s (state: '${state:-none}'; $(scontrol show node "$host" 2>&1 | grep -o 'Reason=.*'))"
    sleep 0.1
  done
  if [ -n "$OWNER" ]; then
    # The watchdog forgets its own pid file before it stops the cluster, so stop does not end it.
    ( while kill -0 "$OWNER" 2>/dev/null; do sleep 1; done
      rm -f "$DIR/watchdog.pid"
      exec sh "$SELF" stop "$DIR" ) </dev/null >/dev/null 2>&1 &
    echo $! >"$DIR/watchdog.pid"
  fi
  echo "SLURM_CONF=$CONF"
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  logs) logs ;;
  *) usage ;;
esac

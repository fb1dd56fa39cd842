#!/usr/bin/env bash
# The team's file-system baseline harness (../shared/fsbaseline/run.sh: the same metadata / fio /
# tar workloads on the native root ext4 and on a 2-brick GlusterFS distributed volume
# FUSE-mounted over loopback), with kDFS's FUSE mount as two more targets:
#   kdfs1  one node, its own partition, mounted through FUSE
#   kdfs1c kdfs1 with mount.cache=kernel (attributes and names cached 1 s, the page cache kept):
#          what the coherent default (no kernel cache, direct_io) costs
#   kdfs3  three nodes: partitions on nodes 1 and 2, the mount on diskless node 3, so every
#          file is stored on another node and every call crosses a kDDM round trip
# Run it through bench/fs/run (which builds the runtime and writes docs/BENCHMARKS.md).
#
#   ./fsbaseline.sh [RUNS]     # default 2 runs; Markdown summary on stdout
#   ./fsbaseline.sh cleanup    # stop/unmount whatever a killed earlier run left (by pid file)
#
# Everything lives under /tmp/fsbench; every socket is bound to 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
B=/tmp/fsbench                      # fixed on purpose: this script rm -rf's parts of it
VOL=fsb
GMNT=$B/gmnt
NATIVE=$B/native
GSTATE=$B/glusterd                  # glusterd.vol + its working directory
GPID=$B/glusterd.pid
CPID=$B/gclient.pid                 # FUSE client (glusterfs) pid, found after each mount
BRICKPIDS=$B/brick.pids
BRICKHOST=${FSB_BRICKHOST:-$(hostname)}  # see README: the CLI refuses the literal 127.0.0.1; must resolve to 127.0.0.1 only
RUNS=${1:-2}
MD_FILES=${FSB_MD_FILES:-10000}
MD_DIRS=${FSB_MD_DIRS:-100}
FIO_SIZE=${FSB_FIO_SIZE:-256M}
FIO_RT=${FSB_FIO_RUNTIME:-15}
TARSRC=${FSB_TARSRC:-/usr/include}
TARBALL=$B/src-$(echo "$TARSRC" | tr / _ | sed 's/^_//').tar.gz
FSLIST=${FSB_FS:-"native ext4j gluster"}  # e.g. FSB_FS="native gluster"
EXT4J=$B/ext4j                      # journaled ext4 in a loop file (see README: why)
EXT4J_IMG=$B/ext4j.img
EXT4J_LOOP=$B/ext4j.loop
KROOT=$(cd "$HERE/../.." && pwd)     # the kDDM checkout: ./kddm starts the kDFS nodes
KDFS=$B/kdfs                        # kDFS nodes' data folders, partitions and mount points
KPIDS=$B/kdfs.pids                  # "pid mountpoint" of every kDFS node this script started
KPORT=${FSB_KDFS_PORT:-27101}       # kdfs1: this port; kdfs3: the next three

log() { echo "[fsbaseline $(date +%T)] $*" >&2; }
now() { date +%s.%N; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
settle() { sync; sleep 1; }

alive() {  # alive PID PATTERN: pid exists and its cmdline contains PATTERN
    [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$2"
}

stop_pid() {  # stop_pid PID PATTERN: TERM, wait 10 s, then KILL — only if cmdline matches
    local p=$1 pat=$2 i
    alive "$p" "$pat" || return 0
    log "stopping pid $p ($pat)"
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 50); do alive "$p" "$pat" || return 0; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null || true
}

client_pid() {  # the glusterfs FUSE client serving $GMNT (exact volfile-id + mount point)
    local d
    for d in /proc/[0-9]*; do
        [ "$(readlink "$d/exe" 2>/dev/null)" = /usr/sbin/glusterfsd ] || continue
        tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -qF -- "--volfile-id=/$VOL $GMNT" \
            && { echo "${d#/proc/}"; return 0; }
    done
    return 1
}

gmount() {
    mount -t glusterfs -o log-file=$B/logs/gclient.log 127.0.0.1:/$VOL "$GMNT"
    mountpoint -q "$GMNT"
    client_pid > "$CPID"
}

gumount() {
    local p
    p=$(cat "$CPID" 2>/dev/null || true)
    if mountpoint -q "$GMNT"; then umount "$GMNT" || { sleep 2; umount "$GMNT"; }; fi
    for _ in $(seq 50); do alive "$p" "$GMNT" || break; sleep 0.2; done
    stop_pid "$p" "$GMNT"
    rm -f "$CPID"
}

kstart() {  # kstart TARGET ID LISTEN PEERS VOTERS PARTITION|NONE [MOUNT [CACHE]]: one headless kDFS node
    local t=$1 id=$2 listen=$3 peers=$4 voters=$5 part=$6 mnt=${7:-} cache=${8:-none} data pid
    data=$KDFS/$t/node-$id
    mkdir -p "$data/deploy"
    if [ "$part" = NONE ]; then
        printf 'partition=NONE\nroot=1:1\n' > "$data/deploy/io.kddm.kdfs.cfg"
    else
        KDDM_NO_BUILD=1 "$KROOT/kddm" mkfs.kdfs "$part" 1 --node "$id" --force > /dev/null
        echo "partition=$part" > "$data/deploy/io.kddm.kdfs.cfg"
    fi
    echo "mount.cache=$cache" >> "$data/deploy/io.kddm.kdfs.cfg"
    local args=(node --id "$id" --listen "$listen" --secret-file "$KDFS/secret" --data "$data" --headless)
    [ -n "$peers" ] && args+=(--peers "$peers" --voters "$voters")
    [ -n "$mnt" ] && { mkdir -p "$mnt"; args+=(--mount "$mnt"); }
    KDDM_NO_BUILD=1 "$KROOT/kddm" "${args[@]}" > "$data.out" 2>&1 &
    pid=$!
    echo "$pid ${mnt:--}" >> "$KPIDS"
}

kawait() {  # kawait MOUNT: until the node's FUSE mount serves (3 min at most)
    local i
    for i in $(seq 360); do
        mountpoint -q "$1" && ls "$1" > /dev/null 2>&1 && return 0
        sleep 0.5
    done
    log "kDFS did not mount at $1 (logs: $KDFS/*/node-*.out, */log/node.log)"; return 1
}

kstop() {  # every kDFS node this script started, by pid: SIGTERM leaves in order and unmounts
    local pid mnt i
    [ -s "$KPIDS" ] || return 0
    while read -r pid mnt; do kill -TERM "$pid" 2>/dev/null || true; done < "$KPIDS"
    while read -r pid mnt; do
        for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && { log "kDFS node pid $pid did not stop: KILL"; kill -KILL -- "$pid" 2>/dev/null; }
        if [ "$mnt" != - ] && mountpoint -q "$mnt" 2>/dev/null; then fusermount -u -z "$mnt"; fi
    done < "$KPIDS"
    rm -f "$KPIDS"
}

cleanup() {
    set +e
    cd /
    log "cleanup"
    gumount
    if alive "$(cat $GPID 2>/dev/null)" glusterd; then
        gluster --mode=script volume stop $VOL force >/dev/null 2>&1
        gluster --mode=script volume delete $VOL >/dev/null 2>&1
    fi
    for p in $(cat "$BRICKPIDS" 2>/dev/null); do stop_pid "$p" "$B/bricks/"; done
    if mountpoint -q "$EXT4J"; then umount "$EXT4J"; fi
    if [ -s "$EXT4J_LOOP" ] && losetup "$(cat "$EXT4J_LOOP")" 2>/dev/null | grep -qF "$EXT4J_IMG"; then
        losetup -d "$(cat "$EXT4J_LOOP")"
    fi
    rm -f "$EXT4J_LOOP" "$EXT4J_IMG"; rmdir "$EXT4J" 2>/dev/null
    stop_pid "$(cat $GPID 2>/dev/null)" "$GSTATE/glusterd.vol"
    rm -rf "$B/bricks" "$NATIVE" "$GSTATE" "$BRICKPIDS" "$GPID"
    kstop
    if mountpoint -q "$GMNT"; then log "WARNING: $GMNT still mounted"; fi
    if losetup -a | grep -qF "$B/"; then log "WARNING: loop device still attached: $(losetup -a | grep -F "$B/")"; fi
    left=$(ps -eo pid=,args= | grep -F "$B" | grep -v grep | grep -vF "$HERE/run.sh" || true)
    for d in /proc/[0-9]*; do
        case $(readlink "$d/exe" 2>/dev/null) in
            /usr/sbin/glusterfsd|/usr/sbin/glusterd) left="$left ${d#/proc/}:gluster";;
        esac
    done
    if mount | grep -q 'type fuse.glusterfs'; then left="$left (a fuse.glusterfs mount)"; fi
    [ -z "$left" ] && log "nothing left running, nothing mounted" || log "WARNING: still there: $left"
}

if [ "${1:-}" = cleanup ]; then cleanup; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ "$RUNS" -ge 1 ] 2>/dev/null || { echo "usage: $0 [RUNS|cleanup]" >&2; exit 2; }
if mountpoint -q "$GMNT" 2>/dev/null || mountpoint -q "$EXT4J" 2>/dev/null \
        || alive "$(cat $GPID 2>/dev/null)" glusterd; then
    echo "a previous run is still up: ./run.sh cleanup" >&2; exit 1
fi

# ---- prerequisites ---------------------------------------------------------------------
if ! command -v fio >/dev/null || ! command -v glusterd >/dev/null; then
    apt-get install -y glusterfs-server fio >&2 || { apt-get update >&2 && apt-get install -y glusterfs-server fio >&2; }
fi
mkdir -p "$B/logs" "$B/results" "$NATIVE" "$GMNT"
gcc -O2 -Wall -o "$B/mdbench" "$HERE/mdbench.c"
if [ ! -s "$TARBALL" ]; then
    log "creating $TARBALL from $TARSRC (kept for later runs)"
    tar czf "$TARBALL" -C "$(dirname "$TARSRC")" "$(basename "$TARSRC")"
fi
TAR_NFILES=$(tar tzvf "$TARBALL" | grep -c '^-')

STAMP=$(date +%Y%m%d-%H%M%S)
R=$B/results/$STAMP
mkdir -p "$R"
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- ext4j: journaled ext4 (mkfs.ext4 defaults) on a sparse 8 GiB file, loop with direct I/O
if [[ " $FSLIST " == *" ext4j "* ]]; then
    rm -f "$EXT4J_IMG"; truncate -s 8G "$EXT4J_IMG"
    mkfs.ext4 -q -F "$EXT4J_IMG"
    losetup -f --show --direct-io=on "$EXT4J_IMG" > "$EXT4J_LOOP"
    mkdir -p "$EXT4J"; mount "$(cat "$EXT4J_LOOP")" "$EXT4J"
fi

# ---- GlusterFS: glusterd on 127.0.0.1, 2-brick distribute volume, FUSE mount -------------
if [[ " $FSLIST " == *" gluster "* ]]; then
    rm -rf "$GSTATE" "$B/bricks"
    mkdir -p "$GSTATE/state" "$B/bricks/b1" "$B/bricks/b2"
    # no hook scripts copied from /var/lib/glusterd/hooks: glusterd creates empty hook dirs, so
    # no samba/CTDB/ganesha/glusterfind script runs (side effects, CPU noise on 2 cores)
    cat > "$GSTATE/glusterd.vol" <<EOF
volume management
    type mgmt/glusterd
    option working-directory $GSTATE/state
    option transport-type socket
    option transport.socket.bind-address 127.0.0.1
    option transport.socket.listen-port 24007
    option transport.socket.keepalive-time 10
    option transport.socket.keepalive-interval 2
    option transport.socket.read-fail-log off
    option ping-timeout 0
    option event-threads 1
    option max-port 60999
end-volume
EOF
    log "starting glusterd"
    glusterd -f "$GSTATE/glusterd.vol" -p "$GPID" -l "$B/logs/glusterd.log"
    for i in $(seq 60); do gluster --mode=script pool list >/dev/null 2>&1 && break; sleep 0.5; done
    getent ahostsv4 "$BRICKHOST" | awk '{print $1}' | sort -u | grep -qvx '127.0.0.1' \
        && { log "$BRICKHOST must resolve to 127.0.0.1 only (set FSB_BRICKHOST or /etc/hosts)"; exit 1; }
    gluster --mode=script volume create $VOL $BRICKHOST:$B/bricks/b1 $BRICKHOST:$B/bricks/b2 force >&2
    gluster --mode=script volume start $VOL >&2
    for i in $(seq 60); do
        [ "$(gluster --mode=script volume status $VOL 2>/dev/null | grep -c '^Brick.* Y ')" = 2 ] && break
        sleep 0.5
    done
    cat /var/run/gluster/vols/$VOL/*.pid > "$BRICKPIDS"
    gmount
    {
        gluster --version | head -1
        gluster --mode=script volume info $VOL
        gluster --mode=script volume status $VOL
        gluster --mode=script volume get $VOL all
        echo "== listening sockets"; ss -ltnp
    } > "$R/gluster-config.txt" 2>&1
    if ss -ltnpH | grep -E 'gluster' | grep -vq '127\.0\.0\.1:'; then
        log "a gluster socket is not on 127.0.0.1 — aborting"; exit 1
    fi
    sleep 5   # let start-up settle before measuring
fi

# ---- kDFS: one node (kdfs1); three nodes, the mount on the diskless third (kdfs3) ------------
if [[ " $FSLIST " == *" kdfs"* ]]; then
    [ -f "$KROOT/runtime/target/kddm.jar" ] || { log "build the runtime first (bench/fs/run does)"; exit 1; }
    rm -rf "$KDFS"; mkdir -p "$KDFS"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$KDFS/secret")
    if [[ " $FSLIST " == *" kdfs1 "* ]]; then
        kstart kdfs1 1 127.0.0.1:$KPORT "" "" "$KDFS/kdfs1/part-1" "$KDFS/kdfs1/mnt"
    fi
    if [[ " $FSLIST " == *" kdfs1c "* ]]; then
        kstart kdfs1c 1 127.0.0.1:$((KPORT + 4)) "" "" "$KDFS/kdfs1c/part-1" "$KDFS/kdfs1c/mnt" kernel
    fi
    if [[ " $FSLIST " == *" kdfs3 "* ]]; then
        a=127.0.0.1:$((KPORT + 1)); b=127.0.0.1:$((KPORT + 2)); c=127.0.0.1:$((KPORT + 3))
        kstart kdfs3 1 $a "$b,$c" 1,2,3 "$KDFS/kdfs3/part-1"
        kstart kdfs3 2 $b "$a,$c" 1,2,3 "$KDFS/kdfs3/part-2"
        kstart kdfs3 3 $c "$a,$b" 1,2,3 NONE "$KDFS/kdfs3/mnt"
    fi
    for t in kdfs1 kdfs1c kdfs3; do [[ " $FSLIST " == *" $t "* ]] && kawait "$KDFS/$t/mnt"; done
    sleep 5   # let start-up settle before measuring
fi

dir_of() { case $1 in native) echo "$NATIVE";; ext4j) echo "$EXT4J/bench";; gluster) echo "$GMNT/bench";;
    kdfs1|kdfs1c|kdfs3) echo "$KDFS/$1/mnt/bench";; esac; }

{
    echo "stamp $STAMP"; uname -r; echo "debian $(cat /etc/debian_version)"; nproc
    grep MemTotal /proc/meminfo; fio --version; gluster --version 2>/dev/null | head -1
    gcc --version | head -1; tar --version | head -1
    echo "tarball $TARBALL $(stat -c %s "$TARBALL") bytes, $TAR_NFILES files"
    [ -s "$EXT4J_LOOP" ] && echo "ext4j: $(losetup -nl -O NAME,BACK-FILE,DIO "$(cat "$EXT4J_LOOP")"); $(findmnt -no FSTYPE,OPTIONS "$EXT4J"); journal: $(ls /proc/fs/jbd2/ | tr '\n' ' ')"
    echo "root: $(findmnt -no SOURCE,FSTYPE,OPTIONS /)"
    [ -f "$KROOT/runtime/target/kddm.jar" ] && echo "kDDM $(git -C "$KROOT" rev-parse --short HEAD 2>/dev/null); $(java -version 2>&1 | head -1)"
    echo "md files=$MD_FILES dirs=$MD_DIRS; fio size=$FIO_SIZE runtime=$FIO_RT; fs=$FSLIST; runs=$RUNS"
} > "$R/env.txt"

# ---- workloads -------------------------------------------------------------------------
md() {  # md FS RUN NDIRS
    local d; d=$(dir_of $1)/md
    rm -rf "$d"; mkdir -p "$d"
    settle
    "$B/mdbench" "$d" "$MD_FILES" "$3" > "$R/md-$1-r$2-d$3.tsv"
    rmdir "$d"
}

FIO_COMMON=(--ioengine=psync --iodepth=1 --numjobs=1 --size=$FIO_SIZE --output-format=json)
fio_job() {  # fio_job FS RUN NAME fio-args...
    local fs=$1 run=$2 name=$3; shift 3
    fio --name="$name" --filename="$(dir_of "$fs")/fio.dat" "${FIO_COMMON[@]}" "$@" \
        > "$R/fio-$fs-r$run-$name.json"
}

tarwl() {  # tarwl FS RUN: extract, sync, find cold, find warm, rm -rf
    local fs=$1 run=$2 d t0 t1 t2 n1 n2
    d=$(dir_of "$fs")/tree
    rm -rf "$d"; mkdir -p "$d"
    cat "$TARBALL" > /dev/null                        # tarball itself cached: not measured
    t0=$(now); tar xzf "$TARBALL" -C "$d"; t1=$(now); sync; t2=$(now)
    echo -e "tar_xzf_s\t$(echo "$t1 - $t0" | bc)" > "$R/tar-$fs-r$run.tsv"
    echo -e "sync_after_tar_s\t$(echo "$t2 - $t1" | bc)" >> "$R/tar-$fs-r$run.tsv"
    if [ "$fs" = gluster ]; then gumount; gmount; fi   # cold: fresh client (no md-cache)
    # kDFS: only the kernel's caches are dropped (and there are none: attr/entry timeouts 0,
    # direct_io); the nodes keep their kDDM copies, as a running cluster would

    drop_caches                                       # + no page/dentry/inode cache anywhere
    t0=$(now); n1=$(cd "$d" && find . -type f | wc -l); t1=$(now)
    n2=$(cd "$d" && find . -type f | wc -l); t2=$(now)
    [ "$n1" = "$TAR_NFILES" ] && [ "$n2" = "$TAR_NFILES" ] || log "WARNING $fs find counted $n1/$n2, expected $TAR_NFILES"
    echo -e "find_cold_s\t$(echo "$t1 - $t0" | bc)\nfind_warm_s\t$(echo "$t2 - $t1" | bc)\nfind_files\t$n1" >> "$R/tar-$fs-r$run.tsv"
    t0=$(now); rm -rf "$d"; t1=$(now)
    echo -e "rm_rf_s\t$(echo "$t1 - $t0" | bc)" >> "$R/tar-$fs-r$run.tsv"
}

for run in $(seq "$RUNS"); do
    # interleaved: each step runs on every FS before the next step; the FS order alternates.
    # settle (sync + 1 s) before every timed step: the bricks share the root ext4 with native,
    # so without it one FS's dirty data/journal commit slows the next one's step.
    order=$FSLIST; [ $((run % 2)) = 0 ] && order=$(echo $FSLIST | tr ' ' '\n' | tac | tr '\n' ' ')
    for fs in $order; do mkdir -p "$(dir_of $fs)"; done
    log "run $run/$RUNS (order: $order)"
    for fs in $order; do log "  md 1 dir $fs";         settle; md $fs $run 1; done
    for fs in $order; do log "  md $MD_DIRS dirs $fs"; settle; md $fs $run $MD_DIRS; done
    for fs in $order; do
        log "  fio seqwrite $fs"; rm -f "$(dir_of $fs)/fio.dat"; drop_caches; settle
        fio_job $fs $run seqwrite --rw=write --bs=1M --end_fsync=1
    done
    for fs in $order; do      # cold: page cache dropped everywhere (client, FUSE and bricks)
        log "  fio seqread cold $fs"; drop_caches; settle
        fio_job $fs $run seqread_cold --rw=read --bs=1M
    done
    for fs in $order; do      # cached: an untimed read first (the other FS's drop_caches
        log "  fio seqread cached $fs"   # emptied it), fio's own invalidation off
        cat "$(dir_of $fs)/fio.dat" > /dev/null; settle
        fio_job $fs $run seqread_warm --rw=read --bs=1M --invalidate=0
    done
    for fs in $order; do
        log "  fio randread cached $fs"
        cat "$(dir_of $fs)/fio.dat" > /dev/null; settle
        fio_job $fs $run randread --rw=randread --bs=4k --time_based --runtime=$FIO_RT --invalidate=0
    done
    for fs in $order; do      # extra: O_DIRECT, i.e. every read goes through the FS (and disk)
        log "  fio randread O_DIRECT $fs"; settle
        fio_job $fs $run randread_direct --rw=randread --bs=4k --time_based --runtime=$FIO_RT --direct=1
    done
    for fs in $order; do
        log "  fio randwrite $fs"; settle
        fio_job $fs $run randwrite --rw=randwrite --bs=4k --time_based --runtime=$FIO_RT --end_fsync=1
    done
    for fs in $order; do rm -f "$(dir_of $fs)/fio.dat"; done
    for fs in $order; do log "  tar/find/rm $fs"; settle; tarwl $fs $run; done
done

python3 "$HERE/summarize.py" "$R" | tee "$R/RESULTS.md"
log "raw results: $R"

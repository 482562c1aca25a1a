# shellcheck shell=bash
# The debootstrap → `docker import` path of every test image built here, sourced by scripts/build-images
# (the stand-in Odoo base) and scripts/build-stack-images (the compose stack's images).
# The caller sets $cache (an existing directory whose lock it holds), defines say and die, and runs
# rootfs_cleanup on exit. Nothing is pulled: debootstrap installs Debian packages with its default
# mirror, and the tree becomes an image through `docker import`.

ROOTFS_WORK=""   # scratch directory of the image being built; rootfs_cleanup removes it
ROOTFS_TAR=""    # set by rootfs_tar

rootfs_cleanup() {
    if [ -n "$ROOTFS_WORK" ] && [ -d "$ROOTFS_WORK" ]; then
        # debootstrap mounts proc/sys inside the target; never rm -rf through a mount.
        awk -v w="$ROOTFS_WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
            while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
        rm -rf --one-file-system "$ROOTFS_WORK"
    fi
    ROOTFS_WORK=""
}

# rootfs_tar NAME SUITE VARIANT INCLUDE [REBUILD]: sets ROOTFS_TAR to the path of the debootstrap tarball
# $cache/rootfs-NAME-<hash>.tar, the hash covering suite, variant, packages and architecture.
# Runs debootstrap only when that file is missing (or REBUILD is true); older tarballs of NAME go.
# Downloaded packages are kept in $cache/debs/NAME for the next run.
rootfs_tar() {
    local name=$1 suite=$2 variant=$3 include=$4 rebuild=${5:-false} arch hash out t0=$SECONDS
    arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
    hash=$(printf '%s\n' "$suite" "$variant" "$include" "$arch" | sha256sum | cut -c1-16)
    out=$cache/rootfs-$name-$hash.tar
    ROOTFS_TAR=$out
    if [ -s "$out" ] && [ "$rebuild" != true ]; then
        say "debootstrap rootfs cached: $out"
        return 0
    fi
    rootfs_cleanup
    ROOTFS_WORK=$(mktemp -d "$cache/work.XXXXXX")
    mkdir -p "$cache/debs/$name"
    say "debootstrap --variant=$variant --include=$include $suite (two or three minutes)"
    if ! debootstrap --variant="$variant" --include="$include" --cache-dir="$cache/debs/$name" \
        "$suite" "$ROOTFS_WORK/rootfs" >"$ROOTFS_WORK/debootstrap.out" 2>&1; then
        tail -n 30 "$ROOTFS_WORK/debootstrap.out" >&2
        [ -f "$ROOTFS_WORK/rootfs/debootstrap/debootstrap.log" ] &&
            tail -n 30 "$ROOTFS_WORK/rootfs/debootstrap/debootstrap.log" >&2
        die "debootstrap failed (output above)"
    fi
    rm -rf "$ROOTFS_WORK/rootfs/var/cache/apt/archives"/*.deb "$ROOTFS_WORK/rootfs/var/lib/apt/lists"/*
    tar -C "$ROOTFS_WORK/rootfs" --numeric-owner -cf "$out.tmp" .
    mv "$out.tmp" "$out"
    find "$cache" -maxdepth 1 -name "rootfs-$name-*.tar" ! -path "$out" -delete
    rootfs_cleanup
    say "debootstrap done in $((SECONDS - t0))s, cached as $out"
}

# rootfs_import TAR IMAGE MESSAGE CUSTOMIZE [CHANGE...]: unpacks TAR, runs `CUSTOMIZE DIR` on the tree,
# strips package sources and caches (nothing in a test image may reach outside the test bed), and
# imports it as IMAGE with each CHANGE given to `docker import --change`.
rootfs_import() {
    local tarball=$1 image=$2 message=$3 customize=$4 changes=() change dir
    shift 4
    for change in "$@"; do changes+=(--change "$change"); done
    rootfs_cleanup
    ROOTFS_WORK=$(mktemp -d "$cache/work.XXXXXX")
    dir=$ROOTFS_WORK/rootfs
    mkdir "$dir"
    tar -C "$dir" --numeric-owner -xpf "$tarball"
    "$customize" "$dir"
    rm -rf "$dir/etc/apt/sources.list.d"/* "$dir/var/lib/apt/lists"/* "$dir/var/cache/apt"/*.bin \
        "$dir/var/cache/apt/archives"/*.deb "$dir/var/log"/*.log "$dir/tmp"/* "$dir/root/.bash_history"
    : >"$dir/etc/apt/sources.list"
    tar -C "$dir" --numeric-owner -c . |
        docker import "${changes[@]}" --message "$message" - "$image" >/dev/null
    rootfs_cleanup
}

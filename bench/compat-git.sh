#!/bin/sh
# bench/compat-git.sh BUILDDIR QEMU_QAPI_DIR - called by bench/run.sh.
#
# qmig-gen compat on git inputs: two QEMU releases' whole qapi/ trees
# (releases/v10.1 and v10.2), committed one after the other into a
# throw-away repository under BUILDDIR/bench/, compared as
# git:HEAD~1:qapi/qapi-schema.json and git:HEAD:qapi/qapi-schema.json
# (module migration), and the same two trees as plain files.  The
# difference is what reading git costs.
set -eu

build=$1
qapi=$2
gen=$build/generator/qmig-gen
bc=$build/bench/bench-check
old=$qapi/releases/v10.1/qapi
new=$qapi/releases/v10.2/qapi
runs=${BENCH_RUNS:-50}

if [ ! -d "$old" ] || [ ! -d "$new" ]; then
    echo "compat on git inputs: skipped (no releases/v10.1, v10.2 in $qapi)"
    exit 0
fi
if ! command -v git >/dev/null 2>&1; then
    echo "compat on git inputs: skipped (git not found)"
    exit 0
fi

old=$(cd "$old" && pwd)
new=$(cd "$new" && pwd)
gen=$(cd "$(dirname "$gen")" && pwd)/$(basename "$gen")
bc=$(cd "$(dirname "$bc")" && pwd)/$(basename "$bc")
repo=$(cd "$build" && pwd)/bench/compat-git-repo
stamp=$repo/.qmig-bench-stamp
if [ ! -f "$stamp" ]; then
    rm -rf "$repo"
    mkdir -p "$repo"
    (
        cd "$repo"
        export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
        export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
        git init -q .
        for tree in "$old" "$new"; do
            rm -rf qapi
            cp -R "$tree" qapi
            git add -A qapi
            git commit -q -m "$(basename "$(dirname "$tree")")"
        done
    )
    touch "$stamp"
fi

files=$(ls "$new"/*.json | wc -l)
echo "qmig-gen compat --module migration, v10.1 -> v10.2 ($files files a side)"
cd "$repo"
"$bc" -n "$runs" -l compat-git -c compat -a --module -a migration \
    -a git:HEAD~1:qapi/qapi-schema.json \
    "$gen" git:HEAD:qapi/qapi-schema.json | tee "$repo/.result"
"$bc" -n "$runs" -l compat-files -c compat -a --module -a migration \
    -a "$old/qapi-schema.json" "$gen" "$new/qapi-schema.json"
awk '{ printf "target: compat on git inputs median %.2f ms <= 50 ms: %s\n",
       $7, ($7 <= 50 ? "met" : "MISSED") }' "$repo/.result"

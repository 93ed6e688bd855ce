#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every symbol the series exports (EXPORT_SYMBOL or EXPORT_SYMBOL_GPL on a
# line it adds) has a caller in the tree the whole series produces: a C or
# Rust file other than the one that exports it (headers do not count). One
# line per export, naming its callers; fails if one has none.
. "$(dirname "$0")/lib.sh"

SRC=$(KERNEL=default kernel_src_dir)
[ -f "$SRC/.git/auditns-base" ] || die "no kernel source in $SRC: run 'make kernel' first"
cd "$AUDITNS_TOP"

index=$(mktemp)
trap 'rm -f "$index"' EXIT
rm -f "$index"
GIT_INDEX_FILE=$index git -C "$SRC" read-tree base
for p in $(find patches -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort); do
	GIT_INDEX_FILE=$index git -C "$SRC" apply --cached "$AUDITNS_TOP/$p" || die "$p does not apply"
done
tree=$(GIT_INDEX_FILE=$index git -C "$SRC" write-tree)

mapfile -t symbols < <(sed -n 's/^+EXPORT_SYMBOL\(_GPL\)\{0,1\}(\([A-Za-z0-9_]*\));$/\2/p' \
	patches/[0-9]*.patch | sort -u)
[ ${#symbols[@]} -gt 0 ] || die "no export found in the series"
# One pass over the tree: "FILE SYMBOL" for each use of an exported symbol
# in a C or Rust file, and "FILE +SYMBOL" where FILE exports it.
pattern=$(IFS='|'; echo "${symbols[*]}")
git -C "$SRC" grep -o -w -E "(EXPORT_SYMBOL(_GPL)?\()?($pattern)" "$tree" -- '*.c' '*.rs' |
	sed -e "s|^$tree:||" -e 's|:EXPORT_SYMBOL[_GPL]*(| +|' -e 's|:| |' | sort -u |
	awk -v want="${symbols[*]}" '
		BEGIN { n = split(want, s, " ") }
		$2 ~ /^\+/ { exporter[substr($2, 2)] = $1; next }
		{ files[$2] = files[$2] " " $1 }
		END {
			missing = 0
			for (i = 1; i <= n; i++) {
				sym = s[i]; callers = ""
				m = split(files[sym], f, " ")
				for (j = 1; j <= m; j++)
					if (f[j] != exporter[sym]) callers = callers " " f[j]
				if (callers == "") {
					print sym " (exported in " exporter[sym] "): no caller in tree"
					missing++
				} else
					print sym ":" callers
			}
			if (missing) {
				print missing " of " n " exports have no caller in tree"
				exit 1
			}
			print "all " n " exports of the series have a caller in tree"
		}'

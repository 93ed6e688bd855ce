#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The series' last patch puts the policy in tree: kernel/audit_ns/, built
# with CONFIG_AUDIT_NS (tristate), from the same sources as the out-of-tree
# module: rust/auditns/*.rs, and as kernel/audit_ns/core/ the files of
# rust/auditns-core/src/ that the module includes through its core/ link.
# So every export of the series has a caller in the tree it produces.
#
#   policy-patch.sh            write the patch into patches/
#   policy-patch.sh --check    fail if the committed patch is not what the
#                              sources give (make check)
. "$(dirname "$0")/lib.sh"

SRC=$(KERNEL=default kernel_src_dir)
[ -f "$SRC/.git/auditns-base" ] || die "no kernel source in $SRC: run 'make kernel' first"
NAME=audit-add-auditns-audit-for-user-namespaces-in-tree.patch
cd "$AUDITNS_TOP"

# The patches before this one, and the number this one takes.
mapfile -t before < <(find patches -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-*' ! -name "[0-9][0-9][0-9][0-9]-$NAME" | sort)
number=$((${#before[@]} + 1))
target=patches/$(printf '%04d' "$number")-$NAME

git_src() {
	GIT_INDEX_FILE=$index git -C "$SRC" "$@"
}

# blob FILE: the blob of FILE's content in the source's object store.
blob() {
	git -C "$SRC" hash-object -w --stdin <"$1"
}

# add PATH FILE: PATH (in the tree) holds FILE's content.
add() {
	git_src update-index --add --cacheinfo "100644,$(blob "$2"),$1"
}

index=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$index" "$work"' EXIT
rm -f "$index"
git_src read-tree base
for p in "${before[@]}"; do
	git_src apply --cached "$AUDITNS_TOP/$p" || die "$p does not apply"
done
parent_tree=$(git_src write-tree)

# The option, beside the other audit options.
git_src show :init/Kconfig | awk '
	{ print }
	/^config AUDITSYSCALL$/ { in_syscall = 1 }
	in_syscall && /^$/ {
		in_syscall = 0
		print "config AUDIT_NS"
		print "\ttristate \"Audit for user namespaces\""
		print "\tdepends on AUDITSYSCALL && USER_NS && RUST"
		print "\thelp"
		print "\t  Gives each user namespace its own audit daemon, rule space,"
		print "\t  bounded queue and failure action, with records in the"
		print "\t  daemon'"'"'s view of PIDs and ids, and applies the policy of the"
		print "\t  audit container ID. Without it, audit serves one daemon in"
		print "\t  the initial namespaces and containers get ECONNREFUSED."
		print ""
		print "\t  To compile this as a module, choose M here: the module will"
		print "\t  be called auditns."
		print ""
		print "\t  If unsure, say N."
		print ""
	}' >"$work/Kconfig"
grep -q '^config AUDIT_NS$' "$work/Kconfig" || die "init/Kconfig: no AUDITSYSCALL to follow"
add init/Kconfig "$work/Kconfig"
git_src show :kernel/Makefile | awk '
	{ print }
	/^obj-\$\(CONFIG_AUDITSYSCALL\) \+= audit_ext_tree\.o$/ {
		print "obj-$(CONFIG_AUDIT_NS) += audit_ns/"
	}' >"$work/Makefile"
grep -q 'audit_ns/' "$work/Makefile" || die "kernel/Makefile: no audit_ext_tree.o to follow"
add kernel/Makefile "$work/Makefile"

printf '%s\n' '# SPDX-License-Identifier: GPL-2.0' \
	'obj-$(CONFIG_AUDIT_NS) += auditns.o' >"$work/audit_ns.Makefile"
add kernel/audit_ns/Makefile "$work/audit_ns.Makefile"
for f in rust/auditns/*.rs; do
	add "kernel/audit_ns/$(basename "$f")" "$f"
done
# The core files the module includes, by their #[path] (core/ is a link to
# rust/auditns-core/src/).
for f in $(sed -n 's|^#\[path = "core/\([a-z_]*\.rs\)"\]$|\1|p' rust/auditns/auditns.rs); do
	[ -f "rust/auditns-core/src/$f" ] || die "rust/auditns-core/src/$f: no such file"
	add "kernel/audit_ns/core/$f" "rust/auditns-core/src/$f"
done
tree=$(git_src write-tree)

parent=$(git -C "$SRC" -c user.name=auditns -c user.email=auditns@localhost \
	commit-tree "$parent_tree" -p base -m "auditns series: ${#before[@]} patches")
export GIT_AUTHOR_NAME="auditns developers" GIT_AUTHOR_EMAIL=auditns@lists.invalid
export GIT_AUTHOR_DATE="Tue, 8 Dec 2026 02:00:00 +0000"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
commit=$(git -C "$SRC" commit-tree "$tree" -p "$parent" -F - <<'EOF'
audit: add auditns, audit for user namespaces, as a Rust module

The hooks of this series have one user, and it belongs in tree with
them: the policy that gives each user namespace its own audit daemon,
rule space, bounded queue and failure action, translates PIDs and ids
into the daemon's view, and applies the audit container ID's rules.

CONFIG_AUDIT_NS (tristate, Rust) builds it as kernel/audit_ns/: the
driver (auditns.rs and its modules) over the kernel crate's audit
bindings, and in core/ the kernel-free part that it shares with its
host-side tests: the rule wire format and matching, record translation,
queue accounting and the container ID policy. As a module it calls the
audit_ext_*() exports of this series, each of which now has a caller in
tree; built in, it needs none of them.

Loading it registers the audit extension; unloading it withdraws every
namespace's state first and then unregisters, so that a user namespace
freed meanwhile still reaches it.

Signed-off-by: auditns developers <auditns@lists.invalid>
EOF
)
git -C "$SRC" format-patch --zero-commit --no-signature --stdout -1 "$commit" |
	sed "1,/^Subject: /s|^Subject: \[PATCH\]|Subject: [PATCH $number/$number]|" >"$work/patch"

if [ "${1:-}" = --check ]; then
	[ -f "$target" ] || die "$target is missing: run scripts/policy-patch.sh"
	cmp -s "$work/patch" "$target" ||
		die "$target is not what rust/auditns/ gives: run scripts/policy-patch.sh"
	echo "$target matches rust/auditns/"
else
	cp "$work/patch" "$target"
	echo "wrote $target"
fi

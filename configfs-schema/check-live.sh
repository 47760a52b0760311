#!/bin/sh
# check-live.sh: compares the live ocfsx configfs tree with ocfsx.schema in
# both directions, for busybox sh and awk (runs inside the test VMs).
#
#   check-live.sh [-a] [-r ROOT] [-s SCHEMA] [PATH=VALUE]...
#
# Every live directory and attribute must be in the schema, with the kind
# (directory or file), permission bits and, for user-named directories, a
# name matching the schema's pattern. Every fixed child the schema gives a
# live directory must exist. Every attribute must read its schema default
# followed by one newline ('unset': nothing at all), unless PATH=VALUE says
# otherwise: PATH is the live path relative to ROOT (e.g.
# cluster/c1/node/n1/num=1), VALUE what it must read (without the newline;
# 'unset' for nothing). -a also requires every schema entry to have at least
# one live instance, so nothing goes unchecked. A text attribute (a
# read-only report) must read as one or more whole lines; its values are
# the scenarios' business.
#
# ROOT defaults to /sys/kernel/config/ocfsx, SCHEMA to ocfsx.schema next to
# this script. Prints one line per mismatch and exits 1 if there is any,
# 2 on a usage or schema error, 0 otherwise.
set -u

usage() {
	echo "usage: check-live.sh [-a] [-r ROOT] [-s SCHEMA] [PATH=VALUE]..." >&2
	exit 2
}

root=/sys/kernel/config/ocfsx
schema=$(dirname "$0")/ocfsx.schema
all=0
while getopts ar:s: opt; do
	case $opt in
	a) all=1 ;;
	r) root=$OPTARG ;;
	s) schema=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

if [ ! -r "$schema" ]; then
	echo "check-live: cannot read schema $schema" >&2
	exit 2
fi
if [ ! -d "$root" ]; then
	echo "missing: . ($root does not exist: is ocfsx.ko loaded and configfs mounted?)"
	exit 1
fi

tmp=$(mktemp -d /tmp/check-live.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/overrides"
for a in "$@"; do
	case $a in
	?*=*) printf '%s\n' "$a" >>"$tmp/overrides" ;;
	*) usage ;;
	esac
done

# The live tree, one line per entry: d|f TAB path TAB mode [TAB value].
# value is '=' and what the read returned less its one trailing newline,
# 'unset' when it returned nothing, or '!' and a reason when it is not one
# newline-terminated line.
nl='
'
(cd "$root" && find .) | sort | while IFS= read -r p; do
	rel=${p#./}
	f=$root/$rel
	if [ "$p" = . ]; then
		rel=.
		f=$root
	fi
	mode=$(stat -c %a "$f")
	if [ -d "$f" ]; then
		printf 'd\t%s\t%s\n' "$rel" "$mode"
		continue
	fi
	if ! v=$(cat "$f" 2>/dev/null && echo x); then
		val='!unreadable'
	else
		v=${v%x}
		case $v in
		"") val=unset ;;
		*"$nl")
			v=${v%"$nl"}
			case $v in
			*"$nl"* | *"	"*) val='!more than one line or a tab' ;;
			*) val="=$v" ;;
			esac ;;
		*) val='!no trailing newline' ;;
		esac
	fi
	printf 'f\t%s\t%s\t%s\n' "$rel" "$mode" "$val"
done >"$tmp/live"

awk -v all="$all" -v root="$root" '
function parent(p) {
	if (p == ".")
		return ""
	if (p !~ /\//)
		return "."
	sub(/\/[^\/]*$/, "", p)
	return p
}
function base(p) {
	sub(/^.*\//, "", p)
	return p
}
function join(dir, name) {
	return dir == "." ? name : dir "/" name
}
function fail(msg) {
	print msg
	bad++
}
# /dev/stderr may not exist in a bare initramfs: go through a shell.
function say(msg) {
	print msg | "cat 1>&2"
}
function schema_error(msg) {
	say(sprintf("check-live: %s:%d: %s", FILENAME, FNR, msg))
	broken = 1
	exit 2
}
function shown(v) {
	if (v == "unset")
		return "nothing (unset)"
	return "\"" substr(v, 2) "\""
}

FILENAME == ARGV[1] {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	n = split($0, f, /[ \t]+/)
	if (n < 7)
		schema_error("expected at least 7 fields, found " n)
	p = f[1]
	if (p in kind)
		schema_error("duplicate entry " p)
	if (f[2] != "group" && f[2] != "mkdir" && f[2] != "attr")
		schema_error("unknown kind " f[2])
	if ((f[2] == "mkdir") != (base(p) == "*"))
		schema_error("a mkdir entry, and only one, has a path ending in *")
	if (f[3] !~ /^[0-7]+$/)
		schema_error("mode " f[3] " is not octal")
	if (p != "." && !(parent(p) in kind))
		schema_error("parent " parent(p) " of " p " is not listed before it")
	if (p != "." && kind[parent(p)] == "attr")
		schema_error("parent " parent(p) " of " p " is an attribute")
	kind[p] = f[2]
	mode[p] = f[3]
	type[p] = f[4]
	range[p] = f[5]
	def[p] = f[6]
	sorder[++ns] = p
	next
}
FILENAME == ARGV[2] {
	i = index($0, "=")
	ov[substr($0, 1, i - 1)] = substr($0, i + 1)
	next
}
{
	split($0, f, "\t")
	lkind[f[2]] = f[1]
	lmode[f[2]] = f[3]
	lval[f[2]] = f[4]
	lorder[++nl] = f[2]
}

END {
	if (broken)
		exit 2
	checked = 0
	# Live to schema: the listing is sorted, so parents come first.
	for (i = 1; i <= nl; i++) {
		lp = lorder[i]
		if (lp == ".") {
			sp = "."
		} else {
			lpar = parent(lp)
			if (!(lpar in smap))
				continue	# under an entry already reported
			spar = smap[lpar]
			if (join(spar, base(lp)) in kind && base(lp) != "*") {
				sp = join(spar, base(lp))
			} else if (join(spar, "*") in kind) {
				sp = join(spar, "*")
				if (lkind[lp] == "d" && base(lp) !~ range[sp])
					fail("name: " lp ": \"" base(lp) "\" does not match " range[sp] " (schema " sp ")")
			} else {
				fail("extra: " lp " (" (lkind[lp] == "d" ? "directory" : "attribute") " not in the schema)")
				continue
			}
		}
		smap[lp] = sp
		covered[sp] = 1
		checked++
		if ((kind[sp] == "attr") != (lkind[lp] == "f")) {
			fail("kind: " lp " is " (lkind[lp] == "f" ? "a file" : "a directory") ", the schema (" sp ") says " (kind[sp] == "attr" ? "an attribute file" : "a directory"))
			continue
		}
		if ((lmode[lp] "") != (mode[sp] ""))
			fail("mode: " lp " is " lmode[lp] ", the schema (" sp ") says " mode[sp])
		if (kind[sp] != "attr")
			continue
		if (type[sp] == "text") {
			if (lval[lp] !~ /^=./ && lval[lp] != "!more than one line or a tab")
				fail("format: " lp ": a read gives " (lval[lp] == "unset" ? "nothing" : substr(lval[lp], 2)) ", expected whole lines")
			continue
		}
		if (lval[lp] ~ /^!/) {
			fail("format: " lp ": a read gives " substr(lval[lp], 2))
			continue
		}
		if (lp in ov)
			want = ov[lp] == "unset" ? "unset" : "=" ov[lp]
		else
			want = def[sp] == "unset" ? "unset" : "=" def[sp]
		if ((lval[lp] "") != (want ""))
			fail("value: " lp " reads " shown(lval[lp]) ", expected " shown(want) ((lp in ov) ? " (given)" : " (the schema default)"))
	}
	# Schema to live: every fixed child of a live directory exists.
	for (i = 1; i <= nl; i++) {
		lp = lorder[i]
		if (!(lp in smap) || lkind[lp] != "d" || kind[smap[lp]] == "attr")
			continue
		for (j = 1; j <= ns; j++) {
			s = sorder[j]
			if (parent(s) != smap[lp] || base(s) == "*")
				continue
			if (!(join(lp, base(s)) in lkind))
				fail("missing: " join(lp, base(s)) " (schema " s ")")
		}
	}
	for (o in ov) {
		if (!(o in lkind))
			fail("missing: " o " (given as " o "=" ov[o] ")")
		else if (lkind[o] != "f")
			fail("usage: " o " is a directory, not an attribute (given as " o "=" ov[o] ")")
	}
	if (all == 1) {
		for (j = 1; j <= ns; j++)
			if (!(sorder[j] in covered))
				fail("uncovered: " sorder[j] " (no live instance under " root ")")
	}
	if (bad) {
		say(sprintf("check-live: %d mismatch%s between %s and the schema", bad, bad == 1 ? "" : "es", root))
		close("cat 1>&2")
		exit 1
	}
	say(sprintf("check-live: %s matches the schema (%d entries checked)", root, checked))
	close("cat 1>&2")
}
' "$schema" "$tmp/overrides" "$tmp/live"

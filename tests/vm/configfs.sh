# configfs: the node manager's tree under /sys/kernel/config/ocfsx. Every
# node builds the same 3-node cluster by hand (itself as the local node),
# checks the live tree against configfs-schema/ocfsx.schema, makes sure
# check-live.sh itself catches a broken tree, tries writes that must be
# refused (each: the right errno, the value unchanged, one "ocfsx:" kernel
# line saying why), tears the tree down and reloads the module. Then the
# same cluster again through o2cbx as a user would: cluster.conf built with
# add-cluster/add-node, online, status, the seeds' traps, offline, unload, load;
# the cluster key (generate/remove, and online with a key: refused by a module
# without the key attribute, accepted by one with it).
# vm: nodes=3 timeout=420
. /lib/ocfsx/lib.sh

CFG=/sys/kernel/config/ocfsx
SCHEMA=/lib/ocfsx/configfs-schema
CNAME=ocfsxtest
CL=$CFG/cluster/$CNAME
N=$CL/node
ME=node$OCFSX_NODE
OTHER=node$((OCFSX_NODE % 3 + 1))
REGION=0123456789abcdef0123456789abcdef
HB=$CL/heartbeat/$REGION

EINVAL="Invalid argument"
EEXIST="File exists"
EBUSY="Device or resource busy"

check_live() { sh "$SCHEMA/check-live.sh" "$@"; }

# overrides LOCAL: the PATH=VALUE list check-live needs for the cluster this
# scenario builds, with node LOCAL (0: none) as the local node.
overrides() {
	for i in 1 2 3; do
		echo "cluster/$CNAME/node/node$i/num=$i"
		echo "cluster/$CNAME/node/node$i/ipv4_address=$(node_ip "$i")"
		if [ "$i" = "$1" ]; then
			echo "cluster/$CNAME/node/node$i/local=1"
		fi
	done
	echo "cluster/$CNAME/heartbeat/$REGION/dev=$OCFSX_DISK"
}

# set FILE VALUE: a write that must succeed and read back as VALUE.
set_ok() {
	echo "$2" >"$1" || fail "write '$2' to $1 refused"
	[ "$(cat "$1")" = "$2" ] || fail "$1 reads '$(cat "$1")' after writing '$2'"
}

# One kernel line starting with "ocfsx: " since the last dmesg -c, and it
# contains PATTERN. The interconnect's "ocfsx: net: " lines are left out:
# they come whenever another node goes online or offline.
logged_once() {
	lines=$(dmesg | grep -F "ocfsx: " | grep -vF "ocfsx: net: " || true)
	count=$(echo "$lines" | grep -c . || true)
	echo "$lines" | grep -qF -- "$1" ||
		fail "no kernel line with '$1' (ocfsx lines: ${lines:-none})"
	[ "$count" = 1 ] || fail "expected one ocfsx kernel line, got $count: $lines"
}

# refuse DESC ERRNO PATTERN FILE VALUE: writing VALUE to FILE must fail
# with ERRNO, leave FILE as it was and log one line containing PATTERN.
refuse() {
	desc=$1 errno=$2 pattern=$3 file=$4 value=$5
	before=$(cat "$file")
	dmesg -c >/dev/null
	if err=$({ echo "$value" >"$file"; } 2>&1); then
		fail "$desc: writing '$value' to $file was accepted"
	fi
	case $err in
	*"$errno"*) ;;
	*) fail "$desc: writing '$value' to $file failed with '$err', expected '$errno'" ;;
	esac
	after=$(cat "$file")
	[ "$after" = "$before" ] ||
		fail "$desc: $file changed from '$before' to '$after'"
	logged_once "$pattern"
	echo "ok: refused: $desc ($errno)"
}

# mkdir_refused DESC ERRNO PATTERN DIR: mkdir DIR must fail with ERRNO,
# create nothing and log one line containing PATTERN.
mkdir_refused() {
	dmesg -c >/dev/null
	if err=$(mkdir "$4" 2>&1); then
		fail "$1: mkdir $4 succeeded"
	fi
	case $err in
	*"$2"*) ;;
	*) fail "$1: mkdir $4 failed with '$err', expected '$2'" ;;
	esac
	[ ! -e "$4" ] || fail "$1: $4 exists after the refused mkdir"
	logged_once "$3"
	echo "ok: refused: $1 ($2)"
}

# --- the empty tree ---------------------------------------------------------
check "insmod ocfsx.ko" insmod /lib/ocfsx/ocfsx.ko
check "configfs shows $CFG" [ -d "$CFG" ]
check "$CFG/cluster exists" [ -d "$CFG/cluster" ]
check "schema shipped in the image" [ -r "$SCHEMA/ocfsx.schema" ]
check "empty tree matches the schema" check_live

mkdir_refused "cluster name starting with '-'" "$EINVAL" \
	'cluster name "-bad" refused' "$CFG/cluster/-bad"
mkdir_refused "cluster name of 17 characters" "$EINVAL" \
	'cluster name "abcdefghijklmnopq" refused' "$CFG/cluster/abcdefghijklmnopq"
mkdir_refused "cluster name with a dot" "$EINVAL" \
	'cluster name "a.b" refused' "$CFG/cluster/a.b"

# --- build the cluster by hand ------------------------------------------------
check "mkdir cluster $CNAME" mkdir "$CL"
check "cluster rmdir works while empty" rmdir "$CL"
check "mkdir cluster $CNAME again" mkdir "$CL"
mkdir_refused "second cluster" "$EBUSY" \
	"cluster \"other\" refused: cluster \"$CNAME\" already exists" "$CFG/cluster/other"
for i in 1 2 3; do
	check "mkdir node$i" mkdir "$N/node$i"
	set_ok "$N/node$i/num" "$i"
	set_ok "$N/node$i/ipv4_address" "$(node_ip "$i")"
done
check "mkdir heartbeat region" mkdir "$HB"
set_ok "$HB/dev" "$OCFSX_DISK"
check "offline tree matches the schema" check_live -a $(overrides 0)

# --- check-live must be able to fail ----------------------------------------------
check "check-live sees a wrong value" sh -c \
	"! sh $SCHEMA/check-live.sh $(overrides 0 | tr '\n' ' ') cluster/$CNAME/node/node1/num=7 >/tmp/cl.out 2>&1"
check "... and names it" grep -qF "value: cluster/$CNAME/node/node1/num reads \"1\", expected \"7\"" /tmp/cl.out
rm -rf /tmp/fake
cp -a "$CFG" /tmp/fake
rm /tmp/fake/cluster/$CNAME/node/node2/ipv4_port
echo 1 >/tmp/fake/cluster/$CNAME/node/node2/extra_attr
chmod 600 /tmp/fake/cluster/$CNAME/dead_threshold
if check_live -a -r /tmp/fake $(overrides 0) >/tmp/cl.out 2>/dev/null; then
	fail "check-live passed a tree with a missing, an extra and a wrong-mode attribute"
fi
check "check-live reports the missing attribute" \
	grep -qxF "missing: cluster/$CNAME/node/node2/ipv4_port (schema cluster/*/node/*/ipv4_port)" /tmp/cl.out
check "check-live reports the extra attribute" \
	grep -qxF "extra: cluster/$CNAME/node/node2/extra_attr (attribute not in the schema)" /tmp/cl.out
check "check-live reports the wrong mode" \
	grep -qxF "mode: cluster/$CNAME/dead_threshold is 600, the schema (cluster/*/dead_threshold) says 644" /tmp/cl.out
check "check-live reports nothing else" [ "$(grep -c . /tmp/cl.out)" = 3 ]
rm -rf /tmp/fake

# --- refused while offline ----------------------------------------------------
refuse "heartbeat_interval_ms below range" "$EINVAL" \
	"cluster \"$CNAME\": heartbeat_interval_ms \"99\" is out of range 100..10000" \
	"$CL/heartbeat_interval_ms" 99
refuse "heartbeat_interval_ms above range" "$EINVAL" \
	'heartbeat_interval_ms "10001" is out of range 100..10000' \
	"$CL/heartbeat_interval_ms" 10001
refuse "dead_threshold below range" "$EINVAL" \
	'dead_threshold "1" is out of range 2..120' "$CL/dead_threshold" 1
refuse "number overflowing 64 bits" "$EINVAL" \
	'dead_threshold "99999999999999999999999" is out of range 2..120' \
	"$CL/dead_threshold" 99999999999999999999999
for bad in 12abc -5 0x100 " 500" "+500" ""; do
	refuse "malformed number '$bad'" "$EINVAL" \
		"reconnect_delay_ms \"$bad\" is not a decimal number" \
		"$CL/reconnect_delay_ms" "$bad"
done
refuse "keepalive_delay_ms equal to idle_timeout_ms" "$EINVAL" \
	"cluster \"$CNAME\": keepalive_delay_ms 3000 must be less than idle_timeout_ms 3000" \
	"$CL/keepalive_delay_ms" 3000
refuse "idle_timeout_ms below keepalive_delay_ms" "$EINVAL" \
	"cluster \"$CNAME\": idle_timeout_ms 1000 must be greater than keepalive_delay_ms 1000" \
	"$CL/idle_timeout_ms" 1000
refuse "bad fence_method" "$EINVAL" \
	'fence_method "poweroff" is not one of panic|reboot|halt' "$CL/fence_method" poweroff
refuse "fence_method in the wrong case" "$EINVAL" \
	'fence_method "Reboot" is not one of panic|reboot|halt' "$CL/fence_method" Reboot
refuse "bad heartbeat_mode" "$EINVAL" \
	'heartbeat_mode "both" is not one of local|global' "$CL/heartbeat_mode" both
refuse "num out of range" "$EINVAL" \
	'node "node3": num "255" is out of range 0..254' "$N/node3/num" 255
refuse "duplicate num" "$EEXIST" \
	'node "node3": num 1 already used by node "node1"' "$N/node3/num" 1
refuse "duplicate ipv4_address" "$EEXIST" \
	'node "node3": ipv4_address 10.77.0.1 already used by node "node1"' \
	"$N/node3/ipv4_address" 10.77.0.1
for bad in 10.77.0 10.77.0.256 10.77.0.01 10.77.0.3.4 10.77..3 "10.77.0.3 " x; do
	refuse "malformed ipv4_address '$bad'" "$EINVAL" \
		"node \"node3\": ipv4_address \"$bad\" is not a dotted quad" \
		"$N/node3/ipv4_address" "$bad"
done
for bad in 0.1.2.3 224.0.0.1 255.255.255.255; do
	refuse "non-unicast ipv4_address $bad" "$EINVAL" \
		"ipv4_address \"$bad\" is not a unicast host address" \
		"$N/node3/ipv4_address" "$bad"
done
refuse "ipv4_port 0" "$EINVAL" 'ipv4_port "0" is out of range 1..65535' \
	"$N/node3/ipv4_port" 0
refuse "ipv4_port 65536" "$EINVAL" 'ipv4_port "65536" is out of range 1..65535' \
	"$N/node3/ipv4_port" 65536
refuse "local 2" "$EINVAL" 'node "node3": local "2" is not one of 0|1' \
	"$N/node3/local" 2
check "mkdir a bare node" mkdir "$N/spare"
refuse "local 1 before num and ipv4_address" "$EINVAL" \
	'node "spare": local 1 refused: set num and ipv4_address first' "$N/spare/local" 1
set_ok "$N/spare/num" 9
refuse "local 1 before ipv4_address" "$EINVAL" \
	'node "spare": local 1 refused: set ipv4_address first' "$N/spare/local" 1
check "rmdir the bare node" rmdir "$N/spare"
refuse "blocks 0" "$EINVAL" 'region "'$REGION'": blocks "0" is out of range 1..255' \
	"$HB/blocks" 0
refuse "blocks 256" "$EINVAL" 'blocks "256" is out of range 1..255' "$HB/blocks" 256
refuse "block_bytes 3000" "$EINVAL" \
	'block_bytes "3000" is not one of 512|1024|2048|4096' "$HB/block_bytes" 3000
refuse "relative dev" "$EINVAL" 'dev "dev/vda" refused: an absolute path' \
	"$HB/dev" dev/vda
refuse "negative start_block" "$EINVAL" 'start_block "-1" is not a decimal number' \
	"$HB/start_block" -1
mkdir_refused "node name with '@'" "$EINVAL" 'node name "bad@name" refused' \
	"$N/bad@name"
long=$(head -c 65 /dev/zero | tr '\0' n)
mkdir_refused "node name of 65 characters" "$EINVAL" 'node name "nnnn' "$N/$long"
mkdir_refused "region name with a dot" "$EINVAL" \
	'heartbeat region name "bad.region" refused' "$CL/heartbeat/bad.region"

# Offline, the timeouts may change (keeping keepalive < idle at each step).
set_ok "$CL/idle_timeout_ms" 6000
set_ok "$CL/keepalive_delay_ms" 5000
set_ok "$CL/keepalive_delay_ms" 1000
set_ok "$CL/idle_timeout_ms" 3000
set_ok "$CL/heartbeat_mode" global
set_ok "$CL/heartbeat_mode" local
set_ok "$N/node3/ipv4_address" 10.77.0.33
set_ok "$N/node3/ipv4_address" 10.77.0.3
set_ok "$N/node3/num" 33
set_ok "$N/node3/num" 3
set_ok "$HB/block_bytes" 4096
set_ok "$HB/block_bytes" 512
echo "ok: valid writes accepted and read back"
check "tree is back to what was built" check_live -a $(overrides 0)
barrier built

# --- online -------------------------------------------------------------------
dmesg -c >/dev/null
set_ok "$N/$ME/local" 1
logged_once "cluster \"$CNAME\" online: local node \"$ME\" num $OCFSX_NODE at $OCFSX_IP:7777"
check "online tree matches the schema" check_live -a $(overrides "$OCFSX_NODE")

refuse "idle_timeout_ms change while online" "$EBUSY" \
	"cluster \"$CNAME\": idle_timeout_ms 5000 refused: idle_timeout_ms cannot change while the cluster is online (local node \"$ME\")" \
	"$CL/idle_timeout_ms" 5000
refuse "heartbeat_interval_ms change while online" "$EBUSY" \
	"heartbeat_interval_ms 1000 refused: heartbeat_interval_ms cannot change while the cluster is online" \
	"$CL/heartbeat_interval_ms" 1000
refuse "dead_threshold change while online" "$EBUSY" \
	"dead_threshold 10 refused: dead_threshold cannot change while the cluster is online" \
	"$CL/dead_threshold" 10
refuse "heartbeat_mode change while online" "$EBUSY" \
	"heartbeat_mode \"global\" refused: heartbeat_mode cannot change while the cluster is online" \
	"$CL/heartbeat_mode" global
refuse "num change of the local node" "$EBUSY" \
	"node \"$ME\": num 9 refused: num cannot change while the node is local; write 0 to local first" \
	"$N/$ME/num" 9
refuse "ipv4_address change of the local node" "$EBUSY" \
	"node \"$ME\": ipv4_address 10.77.0.99 refused: ipv4_address cannot change while the node is local" \
	"$N/$ME/ipv4_address" 10.77.0.99
refuse "ipv4_port change of the local node" "$EBUSY" \
	"node \"$ME\": ipv4_port 7778 refused: ipv4_port cannot change while the node is local" \
	"$N/$ME/ipv4_port" 7778
refuse "a second local node" "$EBUSY" \
	"node \"$OTHER\": local 1 refused: node \"$ME\" is already the local node" \
	"$N/$OTHER/local" 1
refuse "out-of-range value while online" "$EINVAL" \
	'idle_timeout_ms "999" is out of range 1000..600000' "$CL/idle_timeout_ms" 999
if err=$(rmdir "$N/$ME" 2>&1); then
	fail "rmdir of the local node succeeded"
fi
case $err in
*"$EBUSY"*) echo "ok: refused: rmdir of the local node ($EBUSY)" ;;
*) fail "rmdir of the local node failed with '$err', expected '$EBUSY'" ;;
esac
check "local node still there" [ "$(cat "$N/$ME/local")" = 1 ]
if err=$(rmdir "$CL" 2>&1); then
	fail "rmdir of a cluster with nodes succeeded"
fi
echo "ok: refused: rmdir of a cluster with nodes ($err)"

# Allowed while online.
set_ok "$N/$ME/num" "$OCFSX_NODE"
set_ok "$CL/idle_timeout_ms" 3000
set_ok "$CL/fence_method" panic
set_ok "$CL/fence_method" reboot
set_ok "$N/$OTHER/ipv4_port" 7778
set_ok "$N/$OTHER/ipv4_port" 7777
check "mkdir a node while online" mkdir "$N/node4"
set_ok "$N/node4/num" 4
set_ok "$N/node4/ipv4_address" 10.77.0.4
check "rmdir a node while online" rmdir "$N/node4"
echo "ok: same-value, fence_method, peer and node add/remove writes accepted online"

if err=$(rmmod ocfsx 2>&1); then
	fail "rmmod ocfsx succeeded with a cluster configured"
fi
echo "ok: rmmod refused while the tree exists ($err)"
check "ocfsx still loaded" grep -q '^ocfsx ' /proc/modules
check "online tree unchanged by the refused writes" check_live -a $(overrides "$OCFSX_NODE")
barrier checked

# --- tear down and reload -------------------------------------------------------
dmesg -c >/dev/null
set_ok "$N/$ME/local" 0
logged_once "cluster \"$CNAME\" offline: node \"$ME\" is no longer local"
for i in 1 2 3; do
	check "rmdir node$i" rmdir "$N/node$i"
done
check "rmdir heartbeat region" rmdir "$HB"
check "rmdir cluster" rmdir "$CL"
check "torn-down tree matches the schema" check_live
check "rmmod ocfsx" rmmod ocfsx
check "ocfsx gone from /proc/modules" sh -c '! grep -q "^ocfsx " /proc/modules'
check "$CFG gone" [ ! -e "$CFG" ]
check "insmod ocfsx.ko again" insmod /lib/ocfsx/ocfsx.ko
check "reloaded tree matches the schema" check_live
check "mkdir cluster after reload" mkdir "$CL"
check "mkdir node after reload" mkdir "$N/$ME"
check "fresh cluster and node read their defaults" check_live
check "rmdir node after reload" rmdir "$N/$ME"
check "rmdir cluster after reload" rmdir "$CL"
check "rmmod ocfsx again" rmmod ocfsx
barrier reloaded

# --- the same cluster through o2cbx, as a user sets it up (seeds 000, 004) ----
export OCFSX_MODULE=/lib/ocfsx/ocfsx.ko
CONF=/etc/ocfsx/cluster.conf
OCL=webcl
# refused MESSAGE-PATTERN CMD...: CMD must fail with one line matching the pattern.
refused() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "accepted: $*"
	fi
	[ "$(echo "$out" | wc -l)" = 1 ] || fail "more than one line from: $*: $out"
	echo "$out" | grep -Eq "$want" || fail "unexpected error from $*: $out"
	echo "ok: refused: $out"
}
check "o2cbx add-cluster $OCL" o2cbx add-cluster "$OCL"
for i in 1 2 3; do
	check "o2cbx add-node node$i" o2cbx add-node "$OCL" "node$i" --ip "$(node_ip "$i")" --number "$i"
done
check "cluster.conf holds three node stanzas" [ "$(grep -c '^node:' "$CONF")" = 3 ]
check "cluster.conf is 644 without a key" [ "$(stat -c %a "$CONF")" = 644 ]
check "o2cbx generate-key $OCL" o2cbx generate-key "$OCL"
check "cluster.conf is 600 with a key" [ "$(stat -c %a "$CONF")" = 600 ]
key=$(awk '$1 == "key" { print $3 }' "$CONF")
check "the key is 64 hex digits" sh -c "echo '$key' | grep -qxE '[0-9a-f]{64}'"
o2cbx list-cluster "$OCL" >/tmp/list.out
check "list-cluster hides the key" sh -c "! grep -qF '$key' /tmp/list.out"
check "list-cluster shows its fingerprint" grep -qE '^	key_fingerprint = [0-9a-f]{16}$' /tmp/list.out
refused 'already has a key' o2cbx generate-key "$OCL"
check "o2cbx generate-key -f" o2cbx generate-key "$OCL" -f
check "-f replaced the key" [ "$(awk '$1 == "key" { print $3 }' "$CONF")" != "$key" ]
check "o2cbx remove-key" o2cbx remove-key "$OCL"
check "no key left in cluster.conf" sh -c "! grep -q key $CONF"
refused 'cluster name' o2cbx add-cluster 'bad name!'
refused 'number 2' o2cbx add-node "$OCL" node9 --ip 10.77.0.9 --number 2
refused 'ocfsx module not loaded' o2cbx register-cluster "$OCL"
if st=$(o2cbx status); then
	fail "o2cbx status exited 0 with the module unloaded"
fi
echo "$st" | grep -qF 'Module "ocfsx": Not loaded' || fail "o2cbx status: $st"
if o2cbx cluster-status "$OCL" >/dev/null 2>&1; then
	fail "cluster-status says online before online"
fi
barrier o2cbx-config

check "o2cbx online $OCL" o2cbx online "$OCL"
check "o2cbx cluster-status: online" o2cbx cluster-status "$OCL"
st=$(o2cbx status)
echo "$st"
for want in 'Module "ocfsx": Loaded' 'Filesystem "configfs": Mounted' "Cluster \"$OCL\": Online" \
	"Local node: node$OCFSX_NODE (number $OCFSX_NODE)" 'Nodes: 3' 'Heartbeat dead threshold: 5' \
	'Network idle timeout: 3000 ms' 'Heartbeat interval: 400 ms' 'Heartbeat mode: Local' \
	'Key fingerprint: ' 'Quorum: ' 'Live nodes: ' 'Nodes:' '  NODE   NUMBER  HEARTBEAT  ' \
	"  node$OCFSX_NODE  " 'Heartbeat active: '; do
	echo "$st" | grep -qF "$want" || fail "o2cbx status lacks '$want'"
done
live=""
for i in 1 2 3; do
	live="$live cluster/$OCL/node/node$i/num=$i cluster/$OCL/node/node$i/ipv4_address=$(node_ip "$i")"
done
# o2cbx writes every tunable, with its own defaults (400 ms, 3000 ms).
live="$live cluster/$OCL/heartbeat_interval_ms=400 cluster/$OCL/idle_timeout_ms=3000"
check "tree registered by o2cbx matches the schema" check_live $live "cluster/$OCL/node/node$OCFSX_NODE/local=1"
check "o2cbx online again is a no-op" o2cbx online "$OCL"
# The key reaches the module before any node, or is refused in one line by a
# module without the key attribute (then nothing stays registered).
if [ -e "$CFG/cluster/$OCL/key" ]; then keyed=yes; else keyed=no; fi
echo "module has the key attribute: $keyed"
check "o2cbx offline for the key test" o2cbx offline "$OCL"
check "o2cbx generate-key for the key test" o2cbx generate-key "$OCL"
if [ "$keyed" = no ]; then
	refused 'does not support cluster keys' o2cbx online "$OCL"
	check "the refused online left no cluster" [ -z "$(ls "$CFG/cluster")" ]
else
	check "o2cbx online with a key" o2cbx online "$OCL"
	fp=$(o2cbx list-cluster "$OCL" | awk '$1 == "key_fingerprint" { print $3 }')
	check "the key attribute reads the fingerprint" [ "$(cat "$CFG/cluster/$OCL/key")" = "$fp" ]
	check "status shows the fingerprint" sh -c "o2cbx status | grep -qxF '  Key fingerprint: $fp'"
	check "o2cbx offline after the key test" o2cbx offline "$OCL"
fi
check "o2cbx remove-key after the key test" o2cbx remove-key "$OCL"
check "o2cbx online without a key" o2cbx online "$OCL"
# Seed 004's trap: no node in cluster.conf matches this host.
cp "$CONF" /tmp/conf.bak
sed -i "s/name = node$OCFSX_NODE\$/name = node$OCFSX_NODE.other.test/" "$CONF"
check "o2cbx offline $OCL" o2cbx offline "$OCL"
refused "no node .* matches this host" o2cbx online "$OCL"
cp /tmp/conf.bak "$CONF"
check "o2cbx online after fixing cluster.conf" o2cbx online "$OCL"
barrier o2cbx-online

check "o2cbx offline $OCL" o2cbx offline "$OCL"
if o2cbx cluster-status "$OCL" >/dev/null 2>&1; then
	fail "cluster-status says online after offline"
fi
check "o2cbx unload" o2cbx unload
check "ocfsx unloaded by o2cbx" sh -c '! grep -q "^ocfsx " /proc/modules'
check "o2cbx load (module reload)" o2cbx load
check "o2cbx online after reload" o2cbx online "$OCL"
check "o2cbx unload from online" o2cbx unload
check "ocfsx unloaded again" sh -c '! grep -q "^ocfsx " /proc/modules'
barrier done

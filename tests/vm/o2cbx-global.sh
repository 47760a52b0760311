# o2cbx-global: global heartbeat as a user sets it up, on 2 nodes, one boot.
# Node 1 formats the shared disk; both build the same cluster.conf with
# o2cbx (global mode, the volume as heartbeat region, a shared cluster key)
# and go online: the region must run, both nodes see each other live and
# connected through the authenticated interconnect, and `o2cbx status`
# shows it. stop-heartbeat takes the region down cleanly (the peer logs
# "stopped"), start-heartbeat brings it back, offline leaves nothing.
# vm: nodes=2 timeout=420
. /lib/ocfsx/lib.sh

fs_env glob
CFG=/sys/kernel/config/ocfsx/cluster/$CL
OTHER=$((3 - OCFSX_NODE))
# A fixed test key: both nodes must hold the same one (normally cluster.conf
# is generated once with 'o2cbx generate-key' and copied).
KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

status_key() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1"; }

if [ "$OCFSX_NODE" = 1 ]; then
	check "mkfs.ocfsx" mkfs.ocfsx -q -F -N 2 --cluster-name "$CL" -L glob "$DEV"
fi
barrier formatted
check "o2cbx add-cluster" o2cbx add-cluster "$CL"
check "o2cbx add-node node1" o2cbx add-node "$CL" node1 --ip "$(node_ip 1)" --number 1
check "o2cbx add-node node2" o2cbx add-node "$CL" node2 --ip "$(node_ip 2)" --number 2
check "o2cbx heartbeat-mode global" o2cbx heartbeat-mode "$CL" global
check "o2cbx add-heartbeat $DEV" o2cbx add-heartbeat "$CL" "$DEV"
check "the region is listed by the volume's UUID" sh -c "o2cbx list-heartbeats $CL | grep -Eq 'region = [0-9A-Fa-f]{32}'"
awk -v k="$KEY" '{ print } /^[ \t]*name = '"$CL"'$/ { sub(/name = .*/, "key = " k); print }' \
	/etc/ocfsx/cluster.conf >/tmp/cluster.conf
check "the key goes into cluster.conf" sh -c "grep -q 'key = $KEY' /tmp/cluster.conf"
cat /tmp/cluster.conf >/etc/ocfsx/cluster.conf
chmod 600 /etc/ocfsx/cluster.conf
check "o2cbx reads the key (fingerprint shown)" sh -c "o2cbx list-cluster $CL | grep -Eq 'key_fingerprint = [0-9a-f]{16}'"
check "fence_method halt (test)" sh -c "mkdir -p /etc/default && echo O2CBX_FENCE_METHOD=halt >>/etc/default/o2cbx"
check "o2cbx online" o2cbx online "$CL"
check "heartbeat_mode global in the kernel" [ "$(cat "$CFG/heartbeat_mode")" = global ]
check "the key reached the kernel" [ -n "$(cat "$CFG/key")" ]
wait_for 30 "the region heartbeats" sh -c "grep -qx 'state active' $CFG/heartbeat/*/status"
wait_for 60 "node $OTHER live" sh -c "grep -qx 'hb live' $CFG/node/node$OTHER/status"
wait_for 60 "connected to node $OTHER" sh -c "grep -qx 'conn up' $CFG/node/node$OTHER/status"
wait_for 60 "quorum joined" grep -qx 'quorum joined' "$CFG/status"
check "live_nodes 1 2" [ "$(status_key "$CFG/status" live_nodes)" = "1 2" ]
check "the connection proved the key" sh -c "dmesg | grep -q 'cluster key proven'"
o2cbx status "$CL" | tee /tmp/status
check "status: quorum joined" grep -q '^  Quorum: joined' /tmp/status
check "status: node$OTHER live and connected" sh -c "grep '^  node$OTHER ' /tmp/status | grep -q 'live, .* up '"
check "status: the region is active" sh -c "grep -A2 '^Heartbeat regions:' /tmp/status | grep -q ' active '"
check "status: heartbeat active" grep -q '^Heartbeat active: yes (1 region)' /tmp/status
barrier all-live

dmesg -c >/dev/null
if [ "$OCFSX_NODE" = 2 ]; then
	check "o2cbx stop-heartbeat" o2cbx stop-heartbeat "$CL"
	check "no region left" [ -z "$(ls "$CFG/heartbeat")" ]
fi
if [ "$OCFSX_NODE" = 1 ]; then
	wait_for 10 "node 2 seen stopped" sh -c "dmesg | grep -q 'node 2 (generation [0-9a-f]*) is down: stopped'"
	check "node 2 dead in its status" grep -qx 'hb dead' "$CFG/node/node2/status"
	check "live_nodes 1" [ "$(status_key "$CFG/status" live_nodes)" = 1 ]
fi
barrier stopped
if [ "$OCFSX_NODE" = 2 ]; then
	check "o2cbx start-heartbeat" o2cbx start-heartbeat "$CL"
fi
wait_for 60 "node $OTHER live again" sh -c "grep -qx 'hb live' $CFG/node/node$OTHER/status"
check "nobody fenced" [ "$(status_key "$CFG/status" state)" = online ]
barrier restarted
check "o2cbx offline" o2cbx offline "$CL"
check "nothing registered" [ -z "$(ls /sys/kernel/config/ocfsx/cluster)" ]
barrier done

# Harness self-test: each node fails in a different way; the harness must
# report all three, naming the node and the console line.
# vm: nodes=3 timeout=40
. /lib/ocfsx/lib.sh
case "$OCFSX_NODE" in
1)
	echo "node 1 exits 3 on purpose"
	exit 3
	;;
2)
	insmod /lib/ocfsx/test/ocfsx_crashmod.ko mode=warn
	rmmod ocfsx_crashmod
	insmod /lib/ocfsx/test/ocfsx_crashmod.ko mode=oops || true
	echo "node 2 carries on after its oops and exits 0"
	;;
3)
	echo "node 3 hangs on purpose"
	sleep 3600
	;;
esac

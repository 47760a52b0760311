// SPDX-License-Identifier: GPL-2.0
/*
 * TCP interconnect (net.h, docs/interconnect.md): one connection per pair
 * of nodes, a handshake with optional cluster-key authentication, framed
 * messages dispatched to registered handlers, keepalive and idle timeout.
 *
 * Every connection runs in one work item on net.wq that does its handshake
 * and then its receive loop; the socket's receive timeout is a short tick
 * so that the loop also sends keepalives, notices the idle timeout and
 * notices ocfsx_net_stop(). Handlers run on net.hwq so that a slow handler
 * never stalls the receive loop (at most NET_MAX_INFLIGHT per connection).
 * The lower-numbered node of a pair connects; the other one accepts.
 */
#define pr_fmt(fmt) "ocfsx: net: " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "heartbeat.h"
#include "net.h"
#include "net_wire.h"
#include "nodemanager.h"
#include "quorum.h"

/* Receive timeout of every socket: how often loops look at the clock. */
#define NET_TICK_MS		100
/* Messages of one connection queued for or running in handlers. */
#define NET_MAX_INFLIGHT	32
/* Accepted connections still in their handshake. */
#define NET_MAX_HANDSHAKES	16
/* Reconnect backoff: reconnect_delay_ms doubled per failure up to this. */
#define NET_BACKOFF_MAX_MS	10000
#define NET_BACKOFF_MAX_SHIFT	4
/* How often the node list is re-read for nodes added or removed. */
#define NET_SCAN_MS		1000
/* A connect attempt gives up after this long. */
#define NET_CONNECT_MS		3000
#define NET_NO_NODE		U32_MAX
#define NET_LOG_MAX		320

struct net_conn {
	struct kref ref;
	struct socket *sock;
	struct list_head link;		/* in net.conns */
	struct work_struct work;	/* incoming: handshake and receive loop */
	struct mutex send_lock;
	bool outgoing;
	u32 node;			/* NET_NO_NODE until known */
	__be32 peer_addr;
	unsigned long last_rx;		/* jiffies of the last byte received */
	bool ka_pending;
	u32 ka_id;
	ktime_t ka_sent;
	atomic_t inflight;
	wait_queue_head_t inflight_wq;
	u8 *rxbuf;			/* OCFSX_NET_MAX_PAYLOAD bytes */
	struct ocfsx_net_hello hello_i, hello_a;	/* as on the wire */
	bool unknown_logged;
};

struct net_waiter {
	struct list_head link;		/* in net_node.waiters */
	struct net_conn *conn;
	u32 id;
	int err;
	int status;
	void *reply;
	size_t reply_cap, reply_len;
	struct completion done;
};

struct net_node {
	spinlock_t lock;
	struct net_conn *conn;		/* handshaken connection, or NULL */
	struct delayed_work connect_work;
	bool configured;		/* seen by the last scan */
	bool connecting;		/* connect_work is queued or running */
	u32 failures;			/* connect/handshake failures in a row */
	struct list_head waiters;
	struct ocfsx_net_node_stats st;
	unsigned long last_rx;
	bool ever_rx;
	char last_log[NET_LOG_MAX];	/* last refusal logged: log each once */
};

/* A received request on its way to a handler. */
struct net_rx_msg {
	struct work_struct work;
	struct net_conn *conn;
	u16 type;
	u32 key, id;
	size_t len;
	u8 data[];
};

static struct {
	struct mutex mutex;		/* start and stop */
	bool running;
	struct workqueue_struct *wq, *hwq;
	struct socket *listen_sock;
	struct work_struct listen_work;
	struct delayed_work scan_work;
	struct mutex conns_mutex;
	struct list_head conns;
	atomic_t handshakes;
	atomic_t next_id;
	struct ocfsx_nm_cluster_info ci;
	u32 local;
	__be32 local_addr;
	u16 local_port;
	u8 key[OCFSX_NM_KEY_MAX];
	int key_len;
	char fingerprint[17];
	struct dentry *debugfs;
} net;

static struct net_node net_nodes[OCFSX_NM_MAX_NODES];
static LIST_HEAD(net_handlers);
static DECLARE_RWSEM(net_handlers_sem);
/* Lines about connections from unknown peers: bounded, whatever they send. */
static DEFINE_RATELIMIT_STATE(net_rs, 5 * HZ, 20);

static bool net_running(void)
{
	return READ_ONCE(net.running);
}

/* ----------------------------------------------------------------------
 * Connections
 */

static void conn_release(struct kref *ref)
{
	struct net_conn *c = container_of(ref, struct net_conn, ref);

	if (c->sock)
		sock_release(c->sock);
	kfree(c->rxbuf);
	kfree(c);
}

static void conn_put(struct net_conn *c)
{
	kref_put(&c->ref, conn_release);
}

static void conn_set_timeouts(struct socket *sock, u32 send_ms)
{
	struct sock *sk = sock->sk;

	sk->sk_rcvtimeo = msecs_to_jiffies(NET_TICK_MS);
	sk->sk_sndtimeo = msecs_to_jiffies(send_ms);
	sk->sk_allocation = GFP_NOFS;
	tcp_sock_set_nodelay(sk);
}

/* Takes over sock; NULL (sock released) when stopping or out of memory. */
static struct net_conn *conn_new(struct socket *sock, bool outgoing, u32 node,
				 __be32 peer_addr)
{
	struct net_conn *c = kzalloc(sizeof(*c), GFP_NOFS);

	if (c)
		c->rxbuf = kmalloc(OCFSX_NET_MAX_PAYLOAD, GFP_NOFS);
	if (!c || !c->rxbuf) {
		kfree(c);
		sock_release(sock);
		return NULL;
	}
	kref_init(&c->ref);
	mutex_init(&c->send_lock);
	init_waitqueue_head(&c->inflight_wq);
	atomic_set(&c->inflight, 0);
	c->sock = sock;
	c->outgoing = outgoing;
	c->node = node;
	c->peer_addr = peer_addr;
	c->last_rx = jiffies;
	conn_set_timeouts(sock, net.ci.idle_timeout_ms);

	mutex_lock(&net.conns_mutex);
	if (!net_running()) {
		mutex_unlock(&net.conns_mutex);
		conn_put(c);
		return NULL;
	}
	list_add_tail(&c->link, &net.conns);
	mutex_unlock(&net.conns_mutex);
	return c;
}

/* "connection to 10.77.0.3 (node 3)" or "connection from ...". */
static int conn_desc(struct net_conn *c, char *buf, size_t size)
{
	if (c->node == NET_NO_NODE)
		return scnprintf(buf, size, "connection %s %pI4",
				 c->outgoing ? "to" : "from", &c->peer_addr);
	return scnprintf(buf, size, "connection %s %pI4 (node %u)",
			 c->outgoing ? "to" : "from", &c->peer_addr, c->node);
}

/*
 * Logs one line about c. Lines about a known node are logged once until a
 * different line or a successful handshake, so that a peer retrying with
 * the same wrong configuration does not flood the log; lines about unknown
 * peers are rate limited.
 */
static __printf(3, 4) void conn_log(struct net_conn *c, bool once,
				    const char *fmt, ...)
{
	char line[NET_LOG_MAX];
	struct net_node *nn;
	va_list args;
	int n;

	n = conn_desc(c, line, sizeof(line));
	va_start(args, fmt);
	vscnprintf(line + n, sizeof(line) - n, fmt, args);
	va_end(args);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;

	if (c->node == NET_NO_NODE) {
		if (__ratelimit(&net_rs))
			pr_warn("%s\n", line);
		return;
	}
	nn = &net_nodes[c->node];
	if (once) {
		spin_lock_bh(&nn->lock);
		if (!strcmp(nn->last_log, line)) {
			spin_unlock_bh(&nn->lock);
			return;
		}
		strscpy(nn->last_log, line, sizeof(nn->last_log));
		spin_unlock_bh(&nn->lock);
	}
	pr_warn("%s\n", line);
}

static void node_count(struct net_conn *c, bool sent, size_t bytes, bool msg)
{
	struct net_node *nn;

	if (c->node == NET_NO_NODE)
		return;
	nn = &net_nodes[c->node];
	spin_lock_bh(&nn->lock);
	if (sent) {
		nn->st.bytes_sent += bytes;
		nn->st.msgs_sent += msg;
	} else {
		nn->st.bytes_recv += bytes;
		nn->st.msgs_recv += msg;
		nn->last_rx = jiffies;
		nn->ever_rx = true;
	}
	spin_unlock_bh(&nn->lock);
}

/*
 * Sends one frame whole. A partial send leaves the stream unusable, so any
 * failure shuts the connection down (its receive loop then ends).
 */
static int conn_send(struct net_conn *c, u16 type, u16 flags, u32 key,
		     u32 id, s32 status, const void *data, size_t len)
{
	struct ocfsx_net_hdr hdr = {
		.magic = cpu_to_be32(OCFSX_NET_MAGIC),
		.type = cpu_to_be16(type),
		.flags = cpu_to_be16(flags),
		.key = cpu_to_be32(key),
		.len = cpu_to_be32(len),
		.msg_id = cpu_to_be32(id),
		.status = cpu_to_be32((u32)status),
	};
	struct kvec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t total = sizeof(hdr) + len;
	int ret;

	mutex_lock(&c->send_lock);
	ret = kernel_sendmsg(c->sock, &msg, iov, len ? 2 : 1, total);
	mutex_unlock(&c->send_lock);
	if (ret == total) {
		node_count(c, true, total, true);
		return 0;
	}
	kernel_sock_shutdown(c->sock, SHUT_RDWR);
	return ret < 0 ? ret : -EIO;
}

/* Keepalive and idle timeout, between two receive ticks. */
static int conn_tick(struct net_conn *c)
{
	u32 idle = jiffies_to_msecs(jiffies - c->last_rx);

	if (idle >= net.ci.idle_timeout_ms) {
		conn_log(c, false, " dropped: silent for %u ms (idle_timeout_ms %u); %s\n",
			 idle, net.ci.idle_timeout_ms,
			 c->outgoing ? "reconnecting" :
			 "the peer reconnects");
		return -ETIMEDOUT;
	}
	if (idle >= net.ci.keepalive_delay_ms && !c->ka_pending) {
		c->ka_pending = true;
		c->ka_id = atomic_inc_return(&net.next_id);
		c->ka_sent = ktime_get();
		return conn_send(c, OCFSX_NET_T_KEEPALIVE, 0, 0, c->ka_id, 0,
				 NULL, 0);
	}
	return 0;
}

/*
 * Reads exactly len bytes. Before the handshake completed (deadline != 0)
 * it gives up at the deadline; afterwards it runs conn_tick() between
 * ticks. Returns 0, -ESHUTDOWN when stopping, -ECONNRESET with *got set
 * when the peer closed, or another error.
 */
static int conn_recv(struct net_conn *c, void *buf, size_t len,
		     unsigned long deadline, size_t *got)
{
	int ret;

	*got = 0;
	while (*got < len) {
		struct kvec iov = { .iov_base = buf + *got,
				    .iov_len = len - *got };
		struct msghdr msg = { .msg_flags = 0 };

		if (!net_running())
			return -ESHUTDOWN;
		ret = kernel_recvmsg(c->sock, &msg, &iov, 1, len - *got, 0);
		if (ret > 0) {
			*got += ret;
			c->last_rx = jiffies;
			node_count(c, false, ret, false);
			continue;
		}
		/* Our own stop shuts the socket down: not the peer's doing. */
		if (!net_running())
			return -ESHUTDOWN;
		if (ret == 0)
			return -ECONNRESET;
		if (ret != -EAGAIN && ret != -EINTR)
			return ret;
		if (deadline) {
			if (time_after(jiffies, deadline))
				return -ETIMEDOUT;
			continue;
		}
		ret = conn_tick(c);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *hdr_problem(enum ocfsx_net_hdr_check chk)
{
	switch (chk) {
	case OCFSX_NET_HDR_BAD_MAGIC:
		return "wrong frame magic";
	case OCFSX_NET_HDR_TOO_LONG:
		return "frame length over the limit";
	case OCFSX_NET_HDR_BAD_FLAGS:
		return "unknown frame flags";
	default:
		return "bad frame";
	}
}

/*
 * Reads one frame: header into *hdr (host order fields returned through
 * the out parameters) and payload into c->rxbuf. Logs why and returns an
 * error when the stream is not a valid frame sequence. what says where we
 * are ("during the handshake" or "").
 */
static int conn_read_frame(struct net_conn *c, unsigned long deadline,
			   const char *what, u16 *type, u16 *flags, u32 *key,
			   u32 *len, u32 *id, s32 *status)
{
	struct ocfsx_net_hdr hdr;
	enum ocfsx_net_hdr_check chk;
	size_t got;
	int ret;

	ret = conn_recv(c, &hdr, sizeof(hdr), deadline, &got);
	if (ret == -ECONNRESET && got == 0) {
		conn_log(c, !deadline, " closed by the peer%s\n", what);
		return ret;
	}
	if (ret == -ECONNRESET) {
		conn_log(c, false, " dropped%s: the peer closed it in the middle of a frame header (%zu of %zu bytes)\n",
			 what, got, sizeof(hdr));
		return ret;
	}
	if (ret == -ETIMEDOUT && deadline) {
		conn_log(c, false, " dropped%s: no complete frame within %u ms (idle_timeout_ms)\n",
			 what, net.ci.idle_timeout_ms);
		return ret;
	}
	if (ret) {
		if (ret != -ESHUTDOWN && ret != -ETIMEDOUT)
			conn_log(c, false, " dropped%s: receive error %d\n",
				 what, ret);
		return ret;
	}
	chk = ocfsx_net_check_hdr(&hdr);
	if (chk != OCFSX_NET_HDR_OK) {
		conn_log(c, false, " dropped%s: %s (magic 0x%08x, length %u, flags 0x%04x; expected magic 0x%08x, length at most %u): not an ocfsx peer of this version, or a corrupted stream\n",
			 what, hdr_problem(chk), be32_to_cpu(hdr.magic),
			 be32_to_cpu(hdr.len), be16_to_cpu(hdr.flags),
			 OCFSX_NET_MAGIC, OCFSX_NET_MAX_PAYLOAD);
		return -EPROTO;
	}
	*type = be16_to_cpu(hdr.type);
	*flags = be16_to_cpu(hdr.flags);
	*key = be32_to_cpu(hdr.key);
	*len = be32_to_cpu(hdr.len);
	*id = be32_to_cpu(hdr.msg_id);
	*status = (s32)be32_to_cpu(hdr.status);
	ret = conn_recv(c, c->rxbuf, *len, deadline, &got);
	if (ret == -ECONNRESET) {
		conn_log(c, false, " dropped%s: the peer closed it in the middle of a frame (type 0x%04x, %zu of %u payload bytes)\n",
			 what, *type, got, *len);
		return ret;
	}
	if (ret == -ETIMEDOUT && deadline) {
		conn_log(c, false, " dropped%s: frame payload incomplete after %u ms (idle_timeout_ms)\n",
			 what, net.ci.idle_timeout_ms);
		return ret;
	}
	if (ret && ret != -ESHUTDOWN && ret != -ETIMEDOUT)
		conn_log(c, false, " dropped%s: receive error %d\n", what, ret);
	if (!ret)
		node_count(c, false, 0, true);
	return ret;
}

/* ----------------------------------------------------------------------
 * Handshake
 */

static void hello_fill(struct ocfsx_net_hello *h, u32 receiver)
{
	memset(h, 0, sizeof(*h));
	h->version = cpu_to_be32(OCFSX_NET_PROTO_VERSION);
	h->sender = cpu_to_be32(net.local);
	h->receiver = cpu_to_be32(receiver);
	h->heartbeat_interval_ms = cpu_to_be32(net.ci.heartbeat_interval_ms);
	h->dead_threshold = cpu_to_be32(net.ci.dead_threshold);
	h->idle_timeout_ms = cpu_to_be32(net.ci.idle_timeout_ms);
	h->keepalive_delay_ms = cpu_to_be32(net.ci.keepalive_delay_ms);
	h->flags = cpu_to_be32(net.key_len ? OCFSX_NET_HELLO_KEY : 0);
	strscpy(h->cluster_name, net.ci.name, sizeof(h->cluster_name));
	get_random_bytes(h->nonce, sizeof(h->nonce));
}

/* Is num a configured node at addr? Says why not into why. */
static bool node_matches(u32 num, __be32 addr, char *why, size_t size)
{
	struct ocfsx_nm_node_info ni;
	struct ocfsx_nm_node *node;
	bool ok = false;

	node = num < OCFSX_NM_MAX_NODES ? ocfsx_nm_node_get(num) : NULL;
	if (!node || ocfsx_nm_node_info(node, &ni)) {
		scnprintf(why, size, "node %u is not in our cluster configuration; give every node the same cluster.conf",
			  num);
	} else if (ni.ipv4_address != addr) {
		scnprintf(why, size, "node %u has address %pI4 in our configuration, not %pI4; give every node the same cluster.conf",
			  num, &ni.ipv4_address, &addr);
	} else {
		ok = true;
	}
	ocfsx_nm_node_put(node);
	return ok;
}

/*
 * Checks the peer's hello against ours; returns false with the reason
 * (one clause, no subject) in why.
 */
static bool hello_check(struct net_conn *c, const struct ocfsx_net_hello *p,
			char *why, size_t size)
{
	static const char fix_timeouts[] =
		"set the same timeouts on every node (/etc/default/o2cbx)";
	char name[OCFSX_NET_NAME_LEN + 1];
	u32 sender = be32_to_cpu(p->sender);
	u32 receiver = be32_to_cpu(p->receiver);
	struct {
		const char *name;
		u32 theirs, ours;
	} t[] = {
		{ "heartbeat_interval_ms", be32_to_cpu(p->heartbeat_interval_ms),
		  net.ci.heartbeat_interval_ms },
		{ "dead_threshold", be32_to_cpu(p->dead_threshold),
		  net.ci.dead_threshold },
		{ "idle_timeout_ms", be32_to_cpu(p->idle_timeout_ms),
		  net.ci.idle_timeout_ms },
		{ "keepalive_delay_ms", be32_to_cpu(p->keepalive_delay_ms),
		  net.ci.keepalive_delay_ms },
	};
	bool has_key = be32_to_cpu(p->flags) & OCFSX_NET_HELLO_KEY;
	int i;

	memcpy(name, p->cluster_name, OCFSX_NET_NAME_LEN);
	name[OCFSX_NET_NAME_LEN] = 0;
	if (strcmp(name, net.ci.name)) {
		scnprintf(why, size, "cluster name \"%*pE\" differs from ours \"%s\"; both nodes need the same cluster.conf",
			  (int)strlen(name), name, net.ci.name);
		return false;
	}
	if (receiver != net.local) {
		scnprintf(why, size, "it is meant for node %u but we are node %u; give every node the same cluster.conf",
			  receiver, net.local);
		return false;
	}
	if (c->outgoing && sender != c->node) {
		scnprintf(why, size, "the peer says it is node %u; give every node the same cluster.conf",
			  sender);
		return false;
	}
	if (!c->outgoing) {
		if (!node_matches(sender, c->peer_addr, why, size))
			return false;
		if (sender >= net.local) {
			scnprintf(why, size, "node %u connected to us (node %u), but the lower-numbered node connects; give every node the same cluster.conf",
				  sender, net.local);
			return false;
		}
	}
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (t[i].theirs != t[i].ours) {
			scnprintf(why, size, "%s %u differs from ours %u; %s",
				  t[i].name, t[i].theirs, t[i].ours,
				  fix_timeouts);
			return false;
		}
	}
	if (has_key != !!net.key_len) {
		scnprintf(why, size, "%s; write the same key to cluster/%s/key on every node",
			  has_key ? "the peer has a cluster key and we have none" :
			  "we have a cluster key and the peer has none",
			  net.ci.name);
		return false;
	}
	return true;
}

/* HMAC-SHA256 over both hellos, labelled with the prover's role. */
static int hello_mac(bool initiator, const struct net_conn *c, u8 *out)
{
	static const char label_i[] = "ocfsx interconnect initiator";
	static const char label_a[] = "ocfsx interconnect acceptor";
	const char *label = initiator ? label_i : label_a;
	struct crypto_shash *tfm;
	int ret;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_shash_setkey(tfm, net.key, net.key_len);
	if (!ret) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc) ?:
		      crypto_shash_update(desc, label, strlen(label) + 1) ?:
		      crypto_shash_update(desc, (const u8 *)&c->hello_i,
					  sizeof(c->hello_i)) ?:
		      crypto_shash_update(desc, (const u8 *)&c->hello_a,
					  sizeof(c->hello_a)) ?:
		      crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return ret;
}

/* Reads a frame that must be of the given handshake type. */
static int hs_read(struct net_conn *c, unsigned long deadline, u16 want,
		   u32 *len, s32 *status)
{
	u16 type, flags;
	u32 key, id;
	int ret;

	ret = conn_read_frame(c, deadline, " during the handshake", &type,
			      &flags, &key, len, &id, status);
	if (ret)
		return ret;
	if (type != want) {
		conn_log(c, false, " dropped during the handshake: frame type 0x%04x where 0x%04x belongs; not an ocfsx peer of this version\n",
			 type, want);
		return -EPROTO;
	}
	return 0;
}

static int conn_handshake(struct net_conn *c)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(net.ci.idle_timeout_ms);
	struct ocfsx_net_hello *mine = c->outgoing ? &c->hello_i : &c->hello_a;
	struct ocfsx_net_hello *theirs = c->outgoing ? &c->hello_a : &c->hello_i;
	char why[NET_LOG_MAX - 64];
	u8 mac[OCFSX_NET_MAC_LEN];
	u32 len, version;
	s32 status;
	bool ok;
	int ret;

	if (c->outgoing) {
		hello_fill(mine, c->node);
		ret = conn_send(c, OCFSX_NET_T_HELLO, 0, 0, 0, 0, mine,
				sizeof(*mine));
		if (ret)
			return ret;
	}
	ret = hs_read(c, deadline, OCFSX_NET_T_HELLO, &len, &status);
	if (ret)
		return ret;
	version = len >= 4 ? ocfsx_net_be32_get(c->rxbuf) : 0;
	if (version != OCFSX_NET_PROTO_VERSION) {
		ok = false;
		scnprintf(why, sizeof(why), "protocol version %u differs from ours %u; run the same ocfsx version on every node",
			  version, OCFSX_NET_PROTO_VERSION);
	} else if (len != sizeof(*theirs)) {
		ok = false;
		scnprintf(why, sizeof(why), "hello of %u bytes, expected %zu; run the same ocfsx version on every node",
			  len, sizeof(*theirs));
	} else {
		memcpy(theirs, c->rxbuf, sizeof(*theirs));
		if (!c->outgoing) {
			u32 sender = be32_to_cpu(theirs->sender);

			/* Lines and state go to a node only if it is that node. */
			if (sender != net.local &&
			    node_matches(sender, c->peer_addr, why, sizeof(why)))
				c->node = sender;
		}
		ok = hello_check(c, theirs, why, sizeof(why));
	}
	if (!c->outgoing) {
		/* Answered even when refused: the peer logs its own view. */
		hello_fill(mine, version == OCFSX_NET_PROTO_VERSION ?
			   be32_to_cpu(theirs->sender) : NET_NO_NODE);
		ret = conn_send(c, OCFSX_NET_T_HELLO, 0, 0, 0, 0, mine,
				sizeof(*mine));
		if (ret)
			return ret;
	}

	if (!ok) {
		conn_send(c, OCFSX_NET_T_VERDICT, 0, 0, 0, -EPROTO, why,
			  strnlen(why, OCFSX_NET_REASON_MAX));
		conn_log(c, true, " refused: %s\n", why);
		return -EPROTO;
	}
	if (net.key_len) {
		ret = hello_mac(c->outgoing, c, mac);
		if (ret) {
			conn_log(c, false, " dropped: cannot compute HMAC-SHA256 (error %d); is hmac(sha256) available in this kernel?\n",
				 ret);
			return ret;
		}
	}
	ret = conn_send(c, OCFSX_NET_T_VERDICT, 0, 0, 0, 0, mac,
			net.key_len ? sizeof(mac) : 0);
	if (ret)
		return ret;
	ret = hs_read(c, deadline, OCFSX_NET_T_VERDICT, &len, &status);
	if (ret)
		return ret;
	if (status) {
		len = min_t(u32, len, OCFSX_NET_REASON_MAX);
		conn_log(c, true, " refused by the peer: %*pE\n", (int)len,
			 c->rxbuf);
		return -EPROTO;
	}
	if (net.key_len) {
		ret = hello_mac(!c->outgoing, c, mac);
		if (ret)
			return ret;
		if (len != sizeof(mac) || crypto_memneq(mac, c->rxbuf,
							sizeof(mac))) {
			conn_log(c, true, " refused: the peer does not prove our cluster key (fingerprint %s); write the same key to cluster/%s/key on every node and compare what it reads\n",
				 net.fingerprint, net.ci.name);
			return -EACCES;
		}
	}
	memzero_explicit(mac, sizeof(mac));
	return 0;
}

/* ----------------------------------------------------------------------
 * Messages
 */

static void waiters_fail(struct net_node *nn, struct net_conn *c)
{
	struct net_waiter *w, *tmp;

	spin_lock_bh(&nn->lock);
	list_for_each_entry_safe(w, tmp, &nn->waiters, link) {
		if (w->conn != c)
			continue;
		list_del_init(&w->link);
		w->err = -EHOSTDOWN;
		complete(&w->done);
	}
	spin_unlock_bh(&nn->lock);
}

static void waiter_reply(struct net_conn *c, u32 id, s32 status,
			 const void *data, size_t len)
{
	struct net_node *nn = &net_nodes[c->node];
	struct net_waiter *w;

	spin_lock_bh(&nn->lock);
	list_for_each_entry(w, &nn->waiters, link) {
		if (w->conn != c || w->id != id)
			continue;
		list_del_init(&w->link);
		w->status = status;
		w->reply_len = min(len, w->reply_cap);
		if (w->reply_len)
			memcpy(w->reply, data, w->reply_len);
		complete(&w->done);
		break;
	}
	spin_unlock_bh(&nn->lock);
}

static struct ocfsx_net_handler *handler_find(u16 type, u32 key)
{
	struct ocfsx_net_handler *h;

	list_for_each_entry(h, &net_handlers, link)
		if (h->type == type && h->key == key)
			return h;
	return NULL;
}

static void net_handle_work(struct work_struct *work)
{
	struct net_rx_msg *m = container_of(work, struct net_rx_msg, work);
	struct net_conn *c = m->conn;
	struct ocfsx_net_handler *h;
	void *ret_data = NULL;
	size_t ret_len = 0;
	bool unknown = false;
	int status;

	down_read(&net_handlers_sem);
	h = handler_find(m->type, m->key);
	if (!h) {
		status = -ENOPROTOOPT;
		unknown = true;
	} else if (m->len > h->max_len) {
		status = -EMSGSIZE;
	} else {
		status = h->fn(c->node, m->type, m->key, m->data, m->len,
			       h->priv, &ret_data, &ret_len);
	}
	up_read(&net_handlers_sem);
	if (unknown && !c->unknown_logged) {
		c->unknown_logged = true;
		conn_log(c, false, ": message type 0x%04x key 0x%08x has no handler here; answered %d (the nodes run different ocfsx versions?)\n",
			 m->type, m->key, -ENOPROTOOPT);
	}
	if (ret_len > OCFSX_NET_MAX_PAYLOAD) {
		status = -EMSGSIZE;
		ret_len = 0;
	}
	conn_send(c, m->type, OCFSX_NET_F_REPLY, m->key, m->id, status,
		  ret_data, ret_len);
	kfree(ret_data);
	if (atomic_dec_return(&c->inflight) < NET_MAX_INFLIGHT)
		wake_up(&c->inflight_wq);
	conn_put(c);
	kfree(m);
}

/* The receive loop of a handshaken connection; returns why it ended. */
static int conn_loop(struct net_conn *c)
{
	struct net_rx_msg *m;
	u16 type, flags;
	u32 key, len, id;
	s32 status;
	int ret;

	for (;;) {
		ret = conn_read_frame(c, 0, "", &type, &flags, &key, &len,
				      &id, &status);
		if (ret)
			return ret;
		if (flags & OCFSX_NET_F_REPLY) {
			if (type != OCFSX_NET_T_KEEPALIVE) {
				waiter_reply(c, id, status, c->rxbuf, len);
			} else if (c->ka_pending && id == c->ka_id) {
				s64 us = ktime_us_delta(ktime_get(),
							c->ka_sent);
				struct net_node *nn = &net_nodes[c->node];

				c->ka_pending = false;
				spin_lock_bh(&nn->lock);
				nn->st.rtt_us = clamp_t(s64, us, 1, U32_MAX);
				spin_unlock_bh(&nn->lock);
			}
			continue;
		}
		if (type == OCFSX_NET_T_KEEPALIVE) {
			ret = conn_send(c, type, OCFSX_NET_F_REPLY, 0, id, 0,
					NULL, 0);
			if (ret)
				return ret;
			continue;
		}
		if (type == OCFSX_NET_T_HELLO || type == OCFSX_NET_T_VERDICT) {
			conn_log(c, false, " dropped: handshake frame type 0x%04x after the handshake; the peer is confused, it reconnects\n",
				 type);
			return -EPROTO;
		}
		/* Bounded memory: wait while the handlers catch up. */
		while (atomic_read(&c->inflight) >= NET_MAX_INFLIGHT) {
			wait_event_timeout(c->inflight_wq,
					   atomic_read(&c->inflight) <
					   NET_MAX_INFLIGHT,
					   msecs_to_jiffies(NET_TICK_MS));
			if (!net_running())
				return -ESHUTDOWN;
		}
		m = kmalloc(struct_size(m, data, len), GFP_NOFS);
		if (!m) {
			conn_send(c, type, OCFSX_NET_F_REPLY, key, id,
				  -ENOMEM, NULL, 0);
			continue;
		}
		INIT_WORK(&m->work, net_handle_work);
		m->type = type;
		m->key = key;
		m->id = id;
		m->len = len;
		memcpy(m->data, c->rxbuf, len);
		kref_get(&c->ref);
		m->conn = c;
		atomic_inc(&c->inflight);
		queue_work(net.hwq, &m->work);
	}
}

/* Makes c the node's connection, replacing an older one. */
static void conn_attach(struct net_conn *c)
{
	struct net_node *nn = &net_nodes[c->node];
	struct net_conn *old;
	u32 connects;

	spin_lock_bh(&nn->lock);
	old = nn->conn;		/* its reference is now ours */
	kref_get(&c->ref);
	nn->conn = c;
	nn->st.state = OCFSX_NET_UP;
	connects = ++nn->st.connects;
	nn->failures = 0;
	nn->last_log[0] = 0;
	spin_unlock_bh(&nn->lock);
	pr_info("connection %s %pI4 (node %u) up%s%s\n",
		c->outgoing ? "to" : "from", &c->peer_addr, c->node,
		net.key_len ? ", cluster key proven" : "",
		old ? ", replacing the previous one" : "");
	if (old) {
		kernel_sock_shutdown(old->sock, SHUT_RDWR);
		conn_put(old);
	}
	ocfsx_quorum_conn_up(c->node);
}

static void conn_detach(struct net_conn *c)
{
	struct net_node *nn = &net_nodes[c->node];
	bool current_conn;

	spin_lock_bh(&nn->lock);
	current_conn = nn->conn == c;
	if (current_conn) {
		nn->conn = NULL;
		nn->st.state = net_running() ? OCFSX_NET_DOWN : OCFSX_NET_NONE;
	}
	spin_unlock_bh(&nn->lock);
	waiters_fail(nn, c);
	if (current_conn) {
		conn_put(c);
		ocfsx_quorum_conn_down(c->node);
	}
}

/* Handshake and receive loop of one connection; true if it was up. */
static bool conn_main(struct net_conn *c)
{
	bool up = false;
	int ret;

	ret = conn_handshake(c);
	if (!ret) {
		up = true;
		conn_attach(c);
		conn_loop(c);
		conn_detach(c);
	} else if (c->node != NET_NO_NODE &&
		   (ret == -EPROTO || ret == -EACCES)) {
		struct net_node *nn = &net_nodes[c->node];

		spin_lock_bh(&nn->lock);
		if (!nn->conn)
			nn->st.state = OCFSX_NET_REFUSED;
		spin_unlock_bh(&nn->lock);
	}
	kernel_sock_shutdown(c->sock, SHUT_RDWR);
	mutex_lock(&net.conns_mutex);
	list_del_init(&c->link);
	mutex_unlock(&net.conns_mutex);
	return up;
}

static void net_incoming_work(struct work_struct *work)
{
	struct net_conn *c = container_of(work, struct net_conn, work);

	conn_main(c);
	atomic_dec(&net.handshakes);
	conn_put(c);
}

/* ----------------------------------------------------------------------
 * Connecting, accepting, scanning
 */

static unsigned long backoff_jiffies(u32 failures)
{
	u32 ms = net.ci.reconnect_delay_ms;

	ms <<= min_t(u32, failures, NET_BACKOFF_MAX_SHIFT);
	ms = min_t(u32, ms, NET_BACKOFF_MAX_MS);
	return msecs_to_jiffies(max(ms, net.ci.reconnect_delay_ms));
}

static int sock_make(struct socket **sockp)
{
	int ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
				   IPPROTO_TCP, sockp);

	if (!ret)
		conn_set_timeouts(*sockp, NET_CONNECT_MS);
	return ret;
}

static void net_connect_work(struct work_struct *work)
{
	struct net_node *nn = container_of(to_delayed_work(work),
					   struct net_node, connect_work);
	u32 num = nn - net_nodes;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ocfsx_nm_node_info ni;
	struct ocfsx_nm_node *node;
	struct net_conn *c;
	struct socket *sock;
	bool up = false;
	char line[NET_LOG_MAX];
	int ret;

	if (!net_running())
		return;
	node = ocfsx_nm_node_get(num);
	ret = node ? ocfsx_nm_node_info(node, &ni) : -ENOENT;
	ocfsx_nm_node_put(node);
	if (ret || num <= net.local) {
		spin_lock_bh(&nn->lock);
		nn->connecting = false;
		spin_unlock_bh(&nn->lock);
		return;
	}

	ret = sock_make(&sock);
	if (ret)
		goto retry;
	sin.sin_addr.s_addr = net.local_addr;
	ret = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (!ret) {
		sin.sin_addr.s_addr = ni.ipv4_address;
		sin.sin_port = htons(ni.ipv4_port);
		ret = kernel_connect(sock, (struct sockaddr *)&sin,
				     sizeof(sin), 0);
	}
	if (ret) {
		sock_release(sock);
		/* Normal while the peer is not online yet: said once. */
		scnprintf(line, sizeof(line), "cannot connect to node %u (%pI4:%u) yet: error %d; retrying, backing off up to %u ms",
			  num, &ni.ipv4_address, ni.ipv4_port, ret,
			  NET_BACKOFF_MAX_MS);
		spin_lock_bh(&nn->lock);
		if (strcmp(nn->last_log, line)) {
			strscpy(nn->last_log, line, sizeof(nn->last_log));
			spin_unlock_bh(&nn->lock);
			pr_info("%s\n", line);
		} else {
			spin_unlock_bh(&nn->lock);
		}
		goto retry;
	}
	c = conn_new(sock, true, num, ni.ipv4_address);
	if (!c)
		goto retry;
	spin_lock_bh(&nn->lock);
	if (!nn->conn)
		nn->st.state = OCFSX_NET_HANDSHAKE;
	spin_unlock_bh(&nn->lock);
	up = conn_main(c);
	conn_put(c);
retry:
	spin_lock_bh(&nn->lock);
	if (!up)
		nn->failures++;
	if (!nn->conn && nn->st.state != OCFSX_NET_REFUSED)
		nn->st.state = OCFSX_NET_DOWN;
	spin_unlock_bh(&nn->lock);
	if (net_running())
		queue_delayed_work(net.wq, &nn->connect_work,
				   up ? msecs_to_jiffies(net.ci.reconnect_delay_ms) :
				   backoff_jiffies(nn->failures - 1));
}

static void net_listen_work(struct work_struct *work)
{
	struct sockaddr_in sin;
	struct socket *sock;
	struct net_conn *c;
	int ret;

	while (net_running()) {
		ret = kernel_accept(net.listen_sock, &sock, 0);
		if (ret == -EAGAIN || ret == -EINTR)
			continue;
		if (ret) {
			if (net_running() && __ratelimit(&net_rs))
				pr_warn("accept on %pI4:%u failed (error %d); retrying\n",
					&net.local_addr, net.local_port, ret);
			msleep(NET_TICK_MS);
			continue;
		}
		if (kernel_getpeername(sock, (struct sockaddr *)&sin) < 0) {
			sock_release(sock);
			continue;
		}
		if (atomic_inc_return(&net.handshakes) > NET_MAX_HANDSHAKES) {
			atomic_dec(&net.handshakes);
			if (__ratelimit(&net_rs))
				pr_warn("connection from %pI4 dropped: %u connections are already in their handshake\n",
					&sin.sin_addr.s_addr,
					NET_MAX_HANDSHAKES);
			sock_release(sock);
			continue;
		}
		c = conn_new(sock, false, NET_NO_NODE, sin.sin_addr.s_addr);
		if (!c) {
			atomic_dec(&net.handshakes);
			continue;
		}
		INIT_WORK(&c->work, net_incoming_work);
		queue_work(net.wq, &c->work);
	}
}

static void net_scan_work(struct work_struct *work)
{
	struct ocfsx_nm_node_info ni;
	struct ocfsx_nm_node *node;
	struct net_conn *drop;
	u32 n;

	for (n = 0; n < OCFSX_NM_MAX_NODES && net_running(); n++) {
		struct net_node *nn = &net_nodes[n];
		bool ok, start = false;

		if (n == net.local)
			continue;
		node = ocfsx_nm_node_get(n);
		ok = node && !ocfsx_nm_node_info(node, &ni);
		ocfsx_nm_node_put(node);

		drop = NULL;
		spin_lock_bh(&nn->lock);
		if (ok && !nn->configured && !nn->conn)
			nn->st.state = OCFSX_NET_CONNECTING;
		if (!ok && nn->configured) {
			nn->st.state = OCFSX_NET_NONE;
			drop = nn->conn;
			if (drop)
				kref_get(&drop->ref);
		}
		nn->configured = ok;
		if (ok && n > net.local && !nn->connecting) {
			nn->connecting = true;
			start = true;
		}
		spin_unlock_bh(&nn->lock);
		if (drop) {
			pr_info("node %u left the configuration: closing its connection\n",
				n);
			kernel_sock_shutdown(drop->sock, SHUT_RDWR);
			conn_put(drop);
		}
		if (start)
			queue_delayed_work(net.wq, &nn->connect_work, 0);
	}
	if (net_running())
		queue_delayed_work(net.wq, &net.scan_work,
				   msecs_to_jiffies(NET_SCAN_MS));
}

/* ----------------------------------------------------------------------
 * API
 */

int ocfsx_net_register_handler(struct ocfsx_net_handler *h)
{
	int ret = 0;

	if (!h->fn || h->max_len > OCFSX_NET_MAX_PAYLOAD)
		return -EINVAL;
	down_write(&net_handlers_sem);
	if (handler_find(h->type, h->key))
		ret = -EEXIST;
	else
		list_add_tail(&h->link, &net_handlers);
	up_write(&net_handlers_sem);
	return ret;
}

void ocfsx_net_unregister_handler(struct ocfsx_net_handler *h)
{
	down_write(&net_handlers_sem);
	list_del_init(&h->link);
	up_write(&net_handlers_sem);
}

int ocfsx_net_send_msg(u32 target, u16 type, u32 key, const void *data,
		       size_t len, int *status, void *reply, size_t *reply_len)
{
	struct net_waiter w = { .reply = reply };
	struct net_node *nn;
	struct net_conn *c;
	int ret;

	if (target >= OCFSX_NM_MAX_NODES)
		return -EINVAL;
	if (len > OCFSX_NET_MAX_PAYLOAD)
		return -EMSGSIZE;
	w.reply_cap = reply && reply_len ? *reply_len : 0;
	init_completion(&w.done);
	w.id = atomic_inc_return(&net.next_id);
	nn = &net_nodes[target];

	spin_lock_bh(&nn->lock);
	c = net_running() ? nn->conn : NULL;
	if (!c) {
		spin_unlock_bh(&nn->lock);
		return -ENOTCONN;
	}
	kref_get(&c->ref);
	w.conn = c;
	list_add_tail(&w.link, &nn->waiters);
	spin_unlock_bh(&nn->lock);

	ret = conn_send(c, type, 0, key, w.id, 0, data, len);
	if (ret) {
		spin_lock_bh(&nn->lock);
		if (!list_empty(&w.link))
			list_del_init(&w.link);
		spin_unlock_bh(&nn->lock);
	}
	/* Completed by the reply or by the connection's teardown. */
	if (!ret)
		wait_for_completion(&w.done);
	conn_put(c);
	if (ret || w.err)
		return -EHOSTDOWN;
	if (status)
		*status = w.status;
	if (reply_len)
		*reply_len = w.reply_len;
	return 0;
}

int ocfsx_net_node_stats(u32 node, struct ocfsx_net_node_stats *st)
{
	struct net_node *nn;

	if (node >= OCFSX_NM_MAX_NODES)
		return -ENOENT;
	nn = &net_nodes[node];
	spin_lock_bh(&nn->lock);
	*st = nn->st;
	if (!net_running() || !nn->configured)
		st->state = OCFSX_NET_NONE;
	st->idle_ms = nn->ever_rx ? jiffies_to_msecs(jiffies - nn->last_rx) :
		      -1;
	spin_unlock_bh(&nn->lock);
	return 0;
}

static const char *const net_state_names[] = {
	[OCFSX_NET_NONE]	= "none",
	[OCFSX_NET_CONNECTING]	= "connecting",
	[OCFSX_NET_HANDSHAKE]	= "handshake",
	[OCFSX_NET_UP]		= "up",
	[OCFSX_NET_REFUSED]	= "refused",
	[OCFSX_NET_DOWN]	= "down",
};

const char *ocfsx_net_state_name(u32 state)
{
	return state < ARRAY_SIZE(net_state_names) ? net_state_names[state] :
						     NULL;
}

static int net_listen(void)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = net.local_addr,
		.sin_port = htons(net.local_port),
	};
	struct socket *sock;
	int ret;

	ret = sock_make(&sock);
	if (ret)
		return ret;
	sock_set_reuseaddr(sock->sk);
	ret = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (!ret)
		ret = kernel_listen(sock, 64);
	if (ret) {
		sock_release(sock);
		return ret;
	}
	net.listen_sock = sock;
	return 0;
}

/*
 * A node that just came live on disk is connected to at once, whatever the
 * backoff: it must reach every live node within the quorum join window
 * (docs/cluster-protocol.md), which is shorter than the longest backoff.
 */
static void net_hb_node_up(void *priv, u32 node, u64 generation)
{
	struct net_node *nn;
	bool kick = false;

	if (!net_running() || node >= OCFSX_NM_MAX_NODES || node <= net.local)
		return;
	nn = &net_nodes[node];
	spin_lock_bh(&nn->lock);
	if (nn->configured && !nn->conn && nn->connecting) {
		nn->failures = 0;
		kick = true;
	}
	spin_unlock_bh(&nn->lock);
	if (kick)
		mod_delayed_work(net.wq, &nn->connect_work, 0);
}

static struct ocfsx_heartbeat_subscriber net_hb_sub = {
	.node_up = net_hb_node_up,
};

int ocfsx_net_start(void)
{
	struct ocfsx_nm_node_info ni;
	struct ocfsx_nm_node *node;
	u8 digest[SHA256_DIGEST_SIZE];
	int ret, n;

	mutex_lock(&net.mutex);
	if (net.running) {
		ret = 0;
		goto out;
	}
	ret = ocfsx_nm_cluster_info(&net.ci);
	if (ret)
		goto out;
	ret = -ENOENT;
	if (net.ci.local_node < 0)
		goto out;
	net.local = net.ci.local_node;
	node = ocfsx_nm_node_get(net.local);
	if (!node)
		goto out;
	ret = ocfsx_nm_node_info(node, &ni);
	ocfsx_nm_node_put(node);
	if (ret)
		goto out;
	net.local_addr = ni.ipv4_address;
	net.local_port = ni.ipv4_port;
	net.key_len = max(ocfsx_nm_cluster_key(net.key), 0);
	net.fingerprint[0] = 0;
	if (net.key_len) {
		sha256(net.key, net.key_len, digest);
		bin2hex(net.fingerprint, digest, 8);
		net.fingerprint[16] = 0;
	}
	for (n = 0; n < OCFSX_NM_MAX_NODES; n++) {
		struct net_node *nn = &net_nodes[n];

		spin_lock_bh(&nn->lock);
		memset(&nn->st, 0, sizeof(nn->st));
		nn->configured = false;
		nn->connecting = false;
		nn->failures = 0;
		nn->ever_rx = false;
		nn->last_log[0] = 0;
		spin_unlock_bh(&nn->lock);
	}
	ret = net_listen();
	if (ret)
		pr_err("cannot listen on %pI4:%u (error %d): the local node's ipv4_address must be an address of this machine and the port free; only outgoing connections will work\n",
		       &net.local_addr, net.local_port, ret);
	WRITE_ONCE(net.running, true);
	if (net.listen_sock)
		queue_work(net.wq, &net.listen_work);
	queue_delayed_work(net.wq, &net.scan_work, 0);
	ocfsx_heartbeat_subscribe(&net_hb_sub);
	pr_info("node %u listening on %pI4:%u, cluster \"%s\", %s%s\n",
		net.local, &net.local_addr, net.local_port, net.ci.name,
		net.key_len ? "cluster key fingerprint " :
		"no cluster key (peers are not authenticated)",
		net.fingerprint);
out:
	mutex_unlock(&net.mutex);
	return ret;
}

void ocfsx_net_stop(void)
{
	struct net_conn *c;
	int n;

	mutex_lock(&net.mutex);
	if (!net.running) {
		mutex_unlock(&net.mutex);
		return;
	}
	ocfsx_heartbeat_unsubscribe(&net_hb_sub);
	WRITE_ONCE(net.running, false);
	if (net.listen_sock)
		kernel_sock_shutdown(net.listen_sock, SHUT_RDWR);
	mutex_lock(&net.conns_mutex);
	list_for_each_entry(c, &net.conns, link)
		kernel_sock_shutdown(c->sock, SHUT_RDWR);
	mutex_unlock(&net.conns_mutex);
	cancel_delayed_work_sync(&net.scan_work);
	cancel_work_sync(&net.listen_work);
	for (n = 0; n < OCFSX_NM_MAX_NODES; n++)
		cancel_delayed_work_sync(&net_nodes[n].connect_work);
	flush_workqueue(net.wq);
	flush_workqueue(net.hwq);
	if (net.listen_sock) {
		sock_release(net.listen_sock);
		net.listen_sock = NULL;
	}
	for (n = 0; n < OCFSX_NM_MAX_NODES; n++) {
		spin_lock_bh(&net_nodes[n].lock);
		net_nodes[n].connecting = false;
		net_nodes[n].st.state = OCFSX_NET_NONE;
		spin_unlock_bh(&net_nodes[n].lock);
	}
	memzero_explicit(net.key, sizeof(net.key));
	pr_info("node %u stopped: all connections closed\n", net.local);
	mutex_unlock(&net.mutex);
}

/* ----------------------------------------------------------------------
 * Test support: an echo message type and a debugfs file
 * (/sys/kernel/debug/ocfsx_net): reading lists every configured node's
 * connection, writing "ping N" sends an echo to node N and "send N TYPE
 * LEN" LEN zero bytes of any type; both log the answer.
 */

static int net_ping_handler(u32 from, u16 type, u32 key, const void *data,
			    size_t len, void *priv, void **ret_data,
			    size_t *ret_len)
{
	*ret_data = kmemdup(data, len, GFP_NOFS);
	if (len && !*ret_data)
		return -ENOMEM;
	*ret_len = len;
	return 0;
}

static struct ocfsx_net_handler net_ping = {
	.type = OCFSX_NET_T_PING,
	.max_len = 256,
	.fn = net_ping_handler,
};

static ssize_t net_debug_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct ocfsx_net_node_stats st;
	size_t size = PAGE_SIZE * 4, n = 0;
	ssize_t ret;
	char *buf;
	u32 i;

	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < OCFSX_NM_MAX_NODES && n < size - 256; i++) {
		if (!READ_ONCE(net_nodes[i].configured))
			continue;
		ocfsx_net_node_stats(i, &st);
		n += scnprintf(buf + n, size - n,
			       "node %u %s connects %u msgs_sent %llu msgs_recv %llu bytes_sent %llu bytes_recv %llu rtt_us %u idle_ms %lld\n",
			       i, ocfsx_net_state_name(st.state), st.connects,
			       st.msgs_sent, st.msgs_recv, st.bytes_sent,
			       st.bytes_recv, st.rtt_us, st.idle_ms);
	}
	ret = simple_read_from_buffer(ubuf, count, ppos, buf, n);
	kfree(buf);
	return ret;
}

/* "send N TYPE LEN": LEN bytes to (TYPE, key 0) on node N; logs the status. */
static int net_debug_send(u32 node, u32 type, u32 len)
{
	size_t reply_len = 64;
	int status = 0, ret;
	u8 *buf;

	/* A len over the limit is refused by ocfsx_net_send_msg() unread. */
	buf = kzalloc(max_t(u32, min_t(u32, len, OCFSX_NET_MAX_PAYLOAD),
			    reply_len), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = ocfsx_net_send_msg(node, type, 0, buf, len, &status, buf,
				 &reply_len);
	kfree(buf);
	if (ret)
		pr_info("send to node %u: type 0x%04x, %u bytes: not sent or no answer (error %d)\n",
			node, type, len, ret);
	else
		pr_info("send to node %u: type 0x%04x, %u bytes: status %d, %zu bytes back\n",
			node, type, len, status, reply_len);
	return ret;
}

static ssize_t net_debug_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	static const char payload[] = "ocfsx ping";
	char cmd[48], reply[sizeof(payload)];
	size_t reply_len = sizeof(reply);
	unsigned int node, type, len;
	int status = 0, ret;
	ktime_t t0;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = 0;
	if (sscanf(cmd, "send %u %i %u", &node, &type, &len) == 3 &&
	    type <= U16_MAX) {
		ret = net_debug_send(node, type, len);
		return ret ? ret : count;
	}
	if (sscanf(cmd, "ping %u", &node) != 1) {
		pr_err("debugfs ocfsx_net: \"%*pE\" is neither \"ping N\" nor \"send N TYPE LEN\"\n",
		       (int)strcspn(cmd, "\n"), cmd);
		return -EINVAL;
	}
	t0 = ktime_get();
	ret = ocfsx_net_send_msg(node, OCFSX_NET_T_PING, 0, payload,
				 sizeof(payload), &status, reply, &reply_len);
	if (ret) {
		pr_info("ping node %u: no answer (error %d)\n", node, ret);
		return ret;
	}
	ret = reply_len == sizeof(payload) && !memcmp(reply, payload,
						      reply_len) ? 0 : -EIO;
	pr_info("ping node %u: status %d, %zu bytes echoed%s, %lld us\n",
		node, status, reply_len, ret ? " WRONGLY" : "",
		ktime_us_delta(ktime_get(), t0));
	return ret ? ret : status ? status : count;
}

static const struct file_operations net_debug_fops = {
	.owner = THIS_MODULE,
	.read = net_debug_read,
	.write = net_debug_write,
	.llseek = default_llseek,
};

int ocfsx_net_init(void)
{
	int n;

	/* The wire layout docs/interconnect.md gives. */
	BUILD_BUG_ON(sizeof(struct ocfsx_net_hdr) != 24);
	BUILD_BUG_ON(sizeof(struct ocfsx_net_hello) != 96);
	mutex_init(&net.mutex);
	mutex_init(&net.conns_mutex);
	INIT_LIST_HEAD(&net.conns);
	INIT_WORK(&net.listen_work, net_listen_work);
	INIT_DELAYED_WORK(&net.scan_work, net_scan_work);
	for (n = 0; n < OCFSX_NM_MAX_NODES; n++) {
		spin_lock_init(&net_nodes[n].lock);
		INIT_LIST_HEAD(&net_nodes[n].waiters);
		INIT_DELAYED_WORK(&net_nodes[n].connect_work,
				  net_connect_work);
	}
	net.wq = alloc_workqueue("ocfsx_net", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	net.hwq = alloc_workqueue("ocfsx_net_handler",
				  WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!net.wq || !net.hwq)
		goto nomem;
	if (ocfsx_net_register_handler(&net_ping))
		goto nomem;
	net.debugfs = debugfs_create_file("ocfsx_net", 0600, NULL, NULL,
					  &net_debug_fops);
	return 0;
nomem:
	if (net.wq)
		destroy_workqueue(net.wq);
	if (net.hwq)
		destroy_workqueue(net.hwq);
	return -ENOMEM;
}

void ocfsx_net_exit(void)
{
	ocfsx_net_stop();
	debugfs_remove(net.debugfs);
	ocfsx_net_unregister_handler(&net_ping);
	destroy_workqueue(net.hwq);
	destroy_workqueue(net.wq);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP interconnect: one connection per pair of nodes, a handshake that
 * checks protocol version, cluster name, node numbers, timeouts and the
 * cluster key, then framed messages dispatched to (type, key) handlers.
 */
#ifndef OCFSX_NET_H
#define OCFSX_NET_H

#include <linux/list.h>
#include <linux/types.h>

/*
 * A handler runs in process context for each message of its (type, key).
 * Its return value is the status sent back to a sender waiting in
 * ocfsx_net_send_msg(); it may set *ret_data and *ret_len (kmalloc'ed, freed
 * by the net layer) for a reply payload. A handler must not register or
 * unregister handlers. Payloads are at most OCFSX_NET_MAX_PAYLOAD bytes
 * (net_wire.h); a request longer than max_len is answered with -EMSGSIZE.
 */
typedef int (*ocfsx_net_handler_fn)(u32 from, u16 type, u32 key,
				    const void *data, size_t len, void *priv,
				    void **ret_data, size_t *ret_len);

struct ocfsx_net_handler {
	u16 type;
	u32 key;
	size_t max_len;
	ocfsx_net_handler_fn fn;
	void *priv;
	struct list_head link;		/* private */
};

int ocfsx_net_register_handler(struct ocfsx_net_handler *h);
void ocfsx_net_unregister_handler(struct ocfsx_net_handler *h);

/*
 * Sends one message and waits for the handler's status (returned through
 * *status) and optional reply. Returns 0 when a reply arrived, -ENOTCONN
 * when there is no connection, -EHOSTDOWN when it dropped while waiting.
 * *reply_len is the capacity of reply on entry and the bytes copied on
 * return (a longer reply is cut). Wire format: docs/interconnect.md.
 */
int ocfsx_net_send_msg(u32 target, u16 type, u32 key, const void *data,
		       size_t len, int *status, void *reply, size_t *reply_len);

enum ocfsx_net_conn_state {
	OCFSX_NET_NONE,		/* not configured or not online */
	OCFSX_NET_CONNECTING,
	OCFSX_NET_HANDSHAKE,
	OCFSX_NET_UP,
	OCFSX_NET_REFUSED,	/* last handshake was refused (see the log) */
	OCFSX_NET_DOWN,		/* lost; reconnecting with backoff */
};

struct ocfsx_net_node_stats {
	u32 state;		/* enum ocfsx_net_conn_state */
	u64 msgs_sent, msgs_recv;
	u64 bytes_sent, bytes_recv;
	u32 rtt_us;		/* last keepalive round trip; 0: unknown */
	u32 connects;		/* handshakes completed */
	s64 idle_ms;		/* since the last frame received; -1: never */
};

/*
 * Copies node's connection statistics (state OCFSX_NET_NONE while offline
 * or for a node not configured). Never sleeps: callable from process or
 * softirq context. -ENOENT for a number >= OCFSX_NM_MAX_NODES.
 */
int ocfsx_net_node_stats(u32 node, struct ocfsx_net_node_stats *st);

/* "none", "connecting", ... as status files show them; NULL if unknown. */
const char *ocfsx_net_state_name(u32 state);

/* The cluster went online (local node set) / offline. */
int ocfsx_net_start(void);
void ocfsx_net_stop(void);

int ocfsx_net_init(void);
void ocfsx_net_exit(void);

#endif /* OCFSX_NET_H */

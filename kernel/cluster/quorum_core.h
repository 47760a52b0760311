/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quorum core: from the disk view (which nodes are live, from hb_core's
 * up/down events) and the network view (which connections are up, from the
 * TCP layer after its idle timeout) decides whether this node may stay in
 * the cluster or must fence itself. Plain C over proto_env.h.
 *
 * Rule, applied only once some live member has been unreachable for the
 * grace period: with L = live members including us and C = those of them
 * not unreachable for the grace (us included), keep going if 2|C| > |L|, or
 * 2|C| == |L| and C holds the lowest node number of L; otherwise fence. See
 * docs/cluster-protocol.md for membership, joining and the timing argument.
 */
#ifndef OCFSX_QUORUM_CORE_H
#define OCFSX_QUORUM_CORE_H

#include "proto_env.h"

struct ocfsx_quo_config {
	__u32 self;
	__u32 nr_nodes;		/* node numbers 0..nr_nodes-1 */
	__u32 grace_ms;		/* how long a live member may stay unreachable
				 * before the rule is applied */
	__u32 stranger_grace_ms; /* how long a live node that never connected
				  * is ignored; 0: 2 x grace_ms */
};

struct ocfsx_quo_node {
	ocfsx_ns_t live_since;	/* disk: became live */
	ocfsx_ns_t down_since;	/* net: connection went down */
	__u8 live;		/* live by disk heartbeat */
	__u8 connected;		/* connection up */
	__u8 member;		/* connected at least once while live */
};

struct ocfsx_quo_core {
	const struct ocfsx_proto_env *env;
	struct ocfsx_quo_config cfg;
	ocfsx_ns_t grace_ns;
	ocfsx_ns_t stranger_ns;
	ocfsx_ns_t start;	/* our heartbeat became live */
	ocfsx_ns_t last_eval;	/* time of the last evaluation */
	bool started;
	bool joined;
	bool done;		/* fenced or left */
	bool degraded;		/* last evaluation kept quorum without a
				 * member (logged once) */
	__u32 reason;
	struct ocfsx_quo_node nodes[OCFSX_PROTO_MAX_NODES];
};

/*
 * Default grace: the longest a crashed node can stay live on disk after its
 * connection dropped is its disk detection time, at most (dead_threshold + 2)
 * intervals plus I/O latency (docs/cluster-protocol.md §5); one more interval
 * covers that latency, so a crash is never mistaken for a partition.
 */
static inline __u32 ocfsx_quo_default_grace_ms(__u32 interval_ms,
					       __u32 dead_threshold)
{
	return (dead_threshold + 3) * interval_ms;
}

int ocfsx_quo_init(struct ocfsx_quo_core *q, const struct ocfsx_proto_env *env,
		   const struct ocfsx_quo_config *cfg);

/* Our own heartbeat is live (hb_core's OCFSX_EV_SELF_LIVE). */
void ocfsx_quo_start(struct ocfsx_quo_core *q);

/* hb_core's up/down events for other nodes. */
void ocfsx_quo_node_up(struct ocfsx_quo_core *q, __u32 node);
void ocfsx_quo_node_down(struct ocfsx_quo_core *q, __u32 node);

/* The TCP layer's view of the connection to node. */
void ocfsx_quo_conn_up(struct ocfsx_quo_core *q, __u32 node);
void ocfsx_quo_conn_down(struct ocfsx_quo_core *q, __u32 node);

/* Timer at ocfsx_quo_next_deadline(). */
void ocfsx_quo_tick(struct ocfsx_quo_core *q);
ocfsx_ns_t ocfsx_quo_next_deadline(const struct ocfsx_quo_core *q);

static inline bool ocfsx_quo_joined(const struct ocfsx_quo_core *q)
{
	return q->joined && !q->done;
}

static inline bool ocfsx_quo_done(const struct ocfsx_quo_core *q)
{
	return q->done;
}

#endif /* OCFSX_QUORUM_CORE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quorum and fencing service: runs quorum_core with the heartbeat's view of
 * live nodes and the interconnect's view of connections, and carries out
 * the configured fence_method (panic, reboot or halt) when this node must
 * leave the cluster.
 */
#ifndef OCFSX_QUORUM_H
#define OCFSX_QUORUM_H

#include <linux/types.h>

/* From the interconnect: the handshaken connection to node is up/down. */
void ocfsx_quorum_conn_up(u32 node);
void ocfsx_quorum_conn_down(u32 node);

/* true once this node fenced itself (halt keeps it fenced until unload). */
bool ocfsx_quorum_fenced(void);

struct notifier_block;

/*
 * Fence notification: called once, in atomic context, the moment this node
 * fences (before fence_method runs), with the reason as action. Whatever
 * writes to shared devices closes its gates there; the callback must not
 * sleep.
 */
int ocfsx_quorum_fence_notifier_register(struct notifier_block *nb);
void ocfsx_quorum_fence_notifier_unregister(struct notifier_block *nb);

/*
 * Called by heartbeat.c only. A region started (the first one creates the
 * node's quorum core) or stopped (the last one ends it); our first
 * heartbeat write on some region completed; a node became live or dead
 * over all regions; a region's heartbeat core decided to fence (reason:
 * enum ocfsx_proto_reason).
 */
void ocfsx_quorum_region_start(void);
void ocfsx_quorum_region_stop(void);
void ocfsx_quorum_self_live(void);
void ocfsx_quorum_node_up(u32 node);
void ocfsx_quorum_node_down(u32 node);
void ocfsx_quorum_fence(u32 reason);

/* The node joined (JOINED), or left because it could not (join_failed). */
bool ocfsx_quorum_joined(void);
bool ocfsx_quorum_left(void);

enum ocfsx_quorum_state {
	OCFSX_QUORUM_NONE,	/* no region runs */
	OCFSX_QUORUM_JOINING,
	OCFSX_QUORUM_JOINED,
	OCFSX_QUORUM_FENCED,	/* fenced, or left (reason join_failed) */
};

/* state: enum ocfsx_quorum_state; reason: enum ocfsx_proto_reason. */
void ocfsx_quorum_status(u32 *state, u32 *reason);

int ocfsx_quorum_init(void);
void ocfsx_quorum_exit(void);

#endif /* OCFSX_QUORUM_H */

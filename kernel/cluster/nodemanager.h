/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ocfsx node manager: the cluster configuration userspace writes under
 * /sys/kernel/config/ocfsx (see docs/configfs.md), and the small API the
 * rest of the module reads it through.
 *
 * All functions below may be called from process or softirq context (not
 * from hard interrupts); they take a spinlock with bottom halves disabled
 * and never sleep. Results are snapshots: a value may change right after it
 * was read, except where noted.
 */
#ifndef OCFSX_NODEMANAGER_H
#define OCFSX_NODEMANAGER_H

#include <linux/types.h>

#include "nm_parse.h"

/* Node numbers are 0..OCFSX_NM_MAX_NODES - 1. */
#define OCFSX_NM_MAX_NODES	255

enum ocfsx_nm_fence_method {
	OCFSX_FENCE_PANIC,
	OCFSX_FENCE_REBOOT,
	OCFSX_FENCE_HALT,
};

enum ocfsx_nm_hb_mode {
	OCFSX_HB_LOCAL,
	OCFSX_HB_GLOBAL,
};

struct ocfsx_nm_cluster_info {
	char name[OCFSX_CLUSTER_NAME_MAX + 1];
	u32 heartbeat_interval_ms;
	u32 dead_threshold;		/* heartbeat rounds */
	u32 idle_timeout_ms;
	u32 keepalive_delay_ms;
	u32 reconnect_delay_ms;
	enum ocfsx_nm_fence_method fence_method;
	enum ocfsx_nm_hb_mode heartbeat_mode;
	int local_node;			/* node number, or -1: offline */
};

struct ocfsx_nm_node_info {
	char name[OCFSX_NODE_NAME_MAX + 1];
	u8 num;
	__be32 ipv4_address;
	u16 ipv4_port;
	bool local;
};

/* Opaque; pinned by ocfsx_nm_node_get(), released by ocfsx_nm_node_put(). */
struct ocfsx_nm_node;

/*
 * Copies the cluster's settings. Returns -ENOENT when no cluster exists.
 * The timeouts and heartbeat_mode cannot change while local_node >= 0.
 */
int ocfsx_nm_cluster_info(struct ocfsx_nm_cluster_info *info);

/* The local node's number, or -ENOENT when none is set (cluster offline). */
int ocfsx_nm_local_node(void);

/*
 * Looks a node up by number and takes a reference on it: its memory stays
 * valid until ocfsx_nm_node_put(), even if it is removed from the cluster
 * meanwhile. Returns NULL when no node has that number.
 */
struct ocfsx_nm_node *ocfsx_nm_node_get(unsigned int num);
void ocfsx_nm_node_put(struct ocfsx_nm_node *node);

/*
 * Copies a referenced node's identity and address. Returns -ENOENT (and
 * leaves info alone) once the node was removed from the cluster. A node
 * other than the local one may have been renumbered or readdressed since
 * it was looked up: compare info->num if that matters. The local node's
 * number, address and port are frozen while it is local.
 */
int ocfsx_nm_node_info(struct ocfsx_nm_node *node,
		       struct ocfsx_nm_node_info *info);

/* Cluster key: 16..64 bytes written as hex to cluster/<name>/key. */
#define OCFSX_NM_KEY_MAX	64

/*
 * Copies the cluster key into key[OCFSX_NM_KEY_MAX] and returns its length,
 * 0 when no key is set, or -ENOENT when no cluster exists.
 */
int ocfsx_nm_cluster_key(u8 *key);

int ocfsx_nm_init(void);
void ocfsx_nm_exit(void);

#endif /* OCFSX_NODEMANAGER_H */

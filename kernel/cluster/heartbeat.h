/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Disk heartbeat service: one kernel thread per heartbeat region runs
 * hb_core over real block I/O, and node up/down events reach subscribers
 * (quorum, DLM, filesystem). Global regions come from configfs; local
 * regions are started by the filesystem at mount.
 */
#ifndef OCFSX_HEARTBEAT_H
#define OCFSX_HEARTBEAT_H

#include <linux/list.h>
#include <linux/types.h>

struct block_device;
struct ocfsx_hb_region;

/* Where a region lives and what its blocks must carry. */
struct ocfsx_hb_region_params {
	const char *name;		/* region name: volume UUID as 32 hex */
	struct block_device *bdev;	/* local mode: the mounted device */
	const char *dev_path;		/* global mode: opened by the region */
	u64 start_block;		/* in block_bytes units */
	u32 blocks;			/* node numbers 0..blocks-1 */
	u32 block_bytes;
	u32 fs_generation;		/* bh_fs_generation of every block */
	u64 owner;			/* bh_owner: the heartbeat inode */
	u16 slot;			/* hb_slot to advertise, or 0xFFFF */
};

/*
 * Starts heartbeat on a region: needs the cluster online. Returns once the
 * region's thread runs (not yet live: see ocfsx_hb_region_wait_live()).
 */
struct ocfsx_hb_region *ocfsx_hb_region_start(
		const struct ocfsx_hb_region_params *p);

/*
 * Waits until our own heartbeat is live on the region and the node has
 * joined the cluster (quorum JOINED), or fails: -ETIMEDOUT, -EEXIST (our
 * node number is used by a live node), -EIO (fenced), -EINTR.
 */
int ocfsx_hb_region_wait_live(struct ocfsx_hb_region *r);

/* Clean stop: the next write carries STOPPED; frees the region. */
void ocfsx_hb_region_stop(struct ocfsx_hb_region *r);

/*
 * May this node do shared-disk I/O now? false once the lease ran out or
 * the node fenced. Every filesystem I/O path checks it (cheap: no locks).
 */
bool ocfsx_heartbeat_io_allowed(void);

/* Node up/down notifications, called from the heartbeat thread. */
struct ocfsx_heartbeat_subscriber {
	void (*node_up)(void *priv, u32 node, u64 generation);
	void (*node_down)(void *priv, u32 node, u64 generation);
	void *priv;
	struct list_head link;		/* private */
};

/* Subscribing reports every node already live as node_up at once. */
void ocfsx_heartbeat_subscribe(struct ocfsx_heartbeat_subscriber *s);
void ocfsx_heartbeat_unsubscribe(struct ocfsx_heartbeat_subscriber *s);

enum ocfsx_hb_node_view {
	OCFSX_HB_VIEW_UNKNOWN,	/* never seen */
	OCFSX_HB_VIEW_DEAD,
	OCFSX_HB_VIEW_LIVE,
};

struct ocfsx_hb_node_stats {
	u32 view;		/* enum ocfsx_hb_node_view */
	u64 generation;
	s64 age_ms;		/* since its block last changed; -1: never */
};

/* Liveness of a node over all running regions. -ENOENT: no region runs. */
int ocfsx_heartbeat_node_stats(u32 node, struct ocfsx_hb_node_stats *st);

int ocfsx_heartbeat_init(void);
void ocfsx_heartbeat_exit(void);

#endif /* OCFSX_HEARTBEAT_H */

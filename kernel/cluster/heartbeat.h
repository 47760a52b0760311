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
	char *errbuf;			/* optional: why start failed */
	size_t errlen;
};

/*
 * Starts heartbeat on a region: needs the cluster online. Returns once the
 * region's thread runs (not yet live: see ocfsx_hb_region_wait_live()), or
 * an ERR_PTR: -ENOTCONN (cluster offline), -EINVAL (bad parameters, or the
 * device does not hold the region the parameters describe), -EBUSY (a
 * region of that name runs), -EIO, -ENOMEM. Every failure logs one line.
 *
 * Local mode (the filesystem at mount): pass bdev (the caller keeps its
 * reference and must stop the region before releasing it), name = the
 * volume UUID as 32 hex digits, start_block/blocks = s_hb_blkno/s_hb_blocks,
 * block_bytes = the volume block size, fs_generation = the superblock's
 * bh_fs_generation, owner = the heartbeat system inode's blkno, slot = the
 * slot the mount holds (OCFSX_SLOT_NONE until it has one). Then call
 * ocfsx_hb_region_wait_live() before touching anything shared, and
 * ocfsx_hb_region_stop() after the last I/O at unmount.
 *
 * Global mode (nodemanager.c, from configfs): pass dev_path instead of
 * bdev; the region opens the device, reads its ocfsx superblock and takes
 * fs_generation and owner from it (the given ones are ignored); start_block,
 * blocks and block_bytes must match the superblock.
 */
struct ocfsx_hb_region *ocfsx_hb_region_start(
		const struct ocfsx_hb_region_params *p);

/*
 * Waits until our own heartbeat is live on the region and the node has
 * joined the cluster (quorum JOINED), or fails: -ETIMEDOUT, -EEXIST (our
 * node number is used by a live node), -EIO (fenced, or the region stopped
 * or failed), -ENOTCONN (could not reach every live node: the node left
 * the cluster cleanly), -EINTR.
 */
int ocfsx_hb_region_wait_live(struct ocfsx_hb_region *r);

/*
 * Clean stop: the next write carries STOPPED; waits for it (at most about
 * one lease), then frees the region. Sleeps; never call it from a
 * subscriber callback.
 */
void ocfsx_hb_region_stop(struct ocfsx_hb_region *r);

/* What heartbeat/<region>/status shows. */
enum ocfsx_hb_region_state {
	OCFSX_HB_REGION_OBSERVING,
	OCFSX_HB_REGION_ACTIVE,
	OCFSX_HB_REGION_STOPPING,
	OCFSX_HB_REGION_STOPPED,
	OCFSX_HB_REGION_CONFLICT,
	OCFSX_HB_REGION_FENCED,
};

struct ocfsx_hb_region_stats {
	u32 state;		/* enum ocfsx_hb_region_state */
	u32 rounds;		/* reads completed */
	u64 generation;		/* ours on this region */
};

void ocfsx_hb_region_stats(struct ocfsx_hb_region *r,
			   struct ocfsx_hb_region_stats *st);

/*
 * Other nodes live on this region, ourselves excluded, as a bitmap of
 * OCFSX_NM_MAX_NODES bits. In local mode: the nodes that have the volume
 * mounted.
 */
void ocfsx_hb_region_live_nodes(struct ocfsx_hb_region *r,
				unsigned long *map);

/* Running regions: all of them, and those started in local mode. */
int ocfsx_heartbeat_regions(void);
int ocfsx_heartbeat_local_regions(void);

/*
 * Nodes live by disk heartbeat (ourselves included while one of our
 * regions is active), as a bitmap of OCFSX_NM_MAX_NODES bits.
 */
void ocfsx_heartbeat_live_nodes(unsigned long *map);

/* Wakes every region thread and waiter (fence, quorum JOINED). */
void ocfsx_heartbeat_kick(void);

/*
 * May this node do shared-disk I/O now? false once the lease ran out or
 * the node fenced. Every filesystem I/O path checks it (cheap: no locks).
 */
bool ocfsx_heartbeat_io_allowed(void);

/*
 * The same for one region (a local-mode mount gates on its own region, so
 * another volume's region that is still starting does not stop it).
 */
bool ocfsx_hb_region_io_allowed(struct ocfsx_hb_region *r);

/*
 * Node up/down notifications, called from a heartbeat thread (they may
 * sleep, but must not start or stop regions). A node is live while it is
 * live on at least one running region; it goes down once no region sees it
 * live (docs/cluster-protocol.md §8). Either callback may be NULL.
 */
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Disk heartbeat liveness core: decides from heartbeat samples which nodes
 * are live, when a node is dead, when this node may write and when it must
 * fence itself. No I/O here: the heartbeat thread reads every block, feeds
 * the result as a round, then asks for the block it should write and
 * reports when that write completed. docs/cluster-protocol.md has the
 * state machines and the timing argument.
 *
 * The caller's heartbeat thread ticks every interval_ms on an absolute
 * schedule (a late tick does not shift the later ones). On each tick:
 *
 *	if no heartbeat write is in flight and ocfsx_hb_prepare_write(hb, &w):
 *		submit the write of block self built from w;
 *		on completion: t = now() (in the completion callback, so the
 *		time is not delayed by a starved thread);
 *		ocfsx_hb_write_done(hb, &w, t, err) (from the thread is fine);
 *	if no read is in flight:
 *		t_issue = now(); read blocks 0..nr-1;
 *		on completion: t_done = now() (again in the callback);
 *		ocfsx_hb_read_done(hb, &round);
 *
 * plus a timer at ocfsx_hb_next_deadline() that calls ocfsx_hb_tick().
 * Every shared-disk I/O of the node must first check ocfsx_hb_io_allowed():
 * it turns false by itself when the lease runs out, even if the timer
 * fires late.
 */
#ifndef OCFSX_HB_CORE_H
#define OCFSX_HB_CORE_H

#include "proto_env.h"

/* Same value as OCFSX_HB_F_STOPPED in uapi/ocfsx_fs.h. */
#define OCFSX_HB_CORE_F_STOPPED	0x00000001U

struct ocfsx_hb_config {
	__u32 self;		/* our node number */
	__u32 nr_nodes;		/* node numbers 0..nr_nodes-1 are read */
	__u32 interval_ms;	/* heartbeat_interval_ms */
	__u32 dead_threshold;	/* rounds; dead time = dead_threshold x interval */
	__u32 fence_margin_ms;	/* dead time - lease; 0: the default */
	__u64 generation;	/* random, non-zero, new at every start */
};

/* What one read returned for one node's block. */
struct ocfsx_hb_sample {
	__u64 seq;
	__u64 generation;
	__u32 flags;		/* hb_flags */
	__u32 interval_ms;	/* hb_interval_ms */
	__u32 dead_ms;		/* hb_dead_ms */
	bool valid;		/* checksum, magic, self-reference, fs
				 * generation and hb_node all passed */
};

struct ocfsx_hb_round {
	ocfsx_ns_t t_issue;	/* clock read just before the read was issued */
	ocfsx_ns_t t_done;	/* clock read just after it completed */
	__u32 nr;		/* samples[n] is node n's block, n < nr */
	const struct ocfsx_hb_sample *samples;
};

/* The block to write, from ocfsx_hb_prepare_write(). */
struct ocfsx_hb_write {
	__u64 seq;
	__u64 generation;
	__u32 flags;
	__u32 interval_ms;
	__u32 dead_ms;
	ocfsx_ns_t t_submit;	/* taken before submission; pass it back */
};

enum ocfsx_hb_self_state {
	OCFSX_HB_OBSERVING,	/* reading only: is our number free? */
	OCFSX_HB_ACTIVE,	/* writing; I/O allowed while the lease holds */
	OCFSX_HB_STOPPING,	/* the next write carries STOPPED */
	OCFSX_HB_STOPPED,	/* clean stop done */
	OCFSX_HB_CONFLICT,	/* our number is in use by a live node; we
				 * never wrote, nothing to fence */
	OCFSX_HB_FENCED,	/* fenced: no I/O ever again */
};

enum ocfsx_hb_node_state {
	OCFSX_HB_NODE_UNKNOWN,	/* no valid sample yet */
	OCFSX_HB_NODE_DEAD,
	OCFSX_HB_NODE_LIVE,
};

/* Reader-side state of one node's block. */
struct ocfsx_hb_node {
	__u64 seq;		/* last valid sample */
	__u64 generation;
	__u64 live_gen;		/* generation that is LIVE */
	__u64 join_gen;		/* generation of the current run of changes */
	ocfsx_ns_t live_anchor;	/* t_done of the read that first returned
				 * the newest value of live_gen */
	ocfsx_ns_t join_anchor;	/* t_done of the newest change */
	__u8 state;		/* enum ocfsx_hb_node_state */
	__u8 changes;		/* consecutive changes of join_gen */
	__u8 have;		/* a valid sample was seen */
	__u8 warned;		/* mismatch / two-writer already reported */
};

struct ocfsx_hb_core {
	const struct ocfsx_proto_env *env;
	struct ocfsx_hb_config cfg;
	ocfsx_ns_t dead_ns;	/* dead_threshold x interval */
	ocfsx_ns_t lease_ns;	/* dead_ns - fence margin */
	__u32 state;		/* enum ocfsx_hb_self_state */
	__u32 fence_reason;
	__u64 last_seq;		/* last seq handed out */
	__u64 inflight_seq;	/* write handed out, not completed; 0: none */
	bool have_lease;
	ocfsx_ns_t lease_anchor; /* t_submit of the newest completed write */
	ocfsx_ns_t first_done;	/* when our first write completed */
	ocfsx_ns_t own_anchor;	/* observing: last change of our block */
	bool observed;		/* observing: a first sample was taken */
	__u32 rounds;
	struct ocfsx_hb_node nodes[OCFSX_PROTO_MAX_NODES];
};

/* Defaults (docs/cluster-protocol.md §6). */
#define OCFSX_HB_DEFAULT_INTERVAL_MS	400U
#define OCFSX_HB_DEFAULT_DEAD_THRESHOLD	5U
#define OCFSX_HB_DEFAULT_FENCE_MARGIN_MS 500U

/* -EINVAL on a bad config (then nothing else may be called). */
int ocfsx_hb_init(struct ocfsx_hb_core *hb, const struct ocfsx_proto_env *env,
		  const struct ocfsx_hb_config *cfg);

/* Feed one completed read of every block. */
void ocfsx_hb_read_done(struct ocfsx_hb_core *hb,
			const struct ocfsx_hb_round *r);

/* false: write nothing this round (observing, stopped or fenced). */
bool ocfsx_hb_prepare_write(struct ocfsx_hb_core *hb, struct ocfsx_hb_write *w);

/*
 * The write from prepare_write completed at t_complete (clock read in the
 * completion callback); err is 0 or a negative errno.
 */
void ocfsx_hb_write_done(struct ocfsx_hb_core *hb,
			 const struct ocfsx_hb_write *w, ocfsx_ns_t t_complete,
			 int err);

/*
 * Timer: checks the lease. When it ran out with a write still in flight,
 * I/O stays refused and the node fences only if that write does not
 * complete in time (or at all within a dead time).
 */
void ocfsx_hb_tick(struct ocfsx_hb_core *hb);

/* When ocfsx_hb_tick() must run next, or OCFSX_NS_NEVER. */
ocfsx_ns_t ocfsx_hb_next_deadline(const struct ocfsx_hb_core *hb);

/* May this node do shared-disk I/O at time now (lease held, not fenced)? */
bool ocfsx_hb_io_allowed(const struct ocfsx_hb_core *hb, ocfsx_ns_t now);

/* Fence now (re-entrant from an event callback). Idempotent. */
void ocfsx_hb_fence(struct ocfsx_hb_core *hb, __u32 reason);

/*
 * Clean stop: the caller has already stopped all other I/O. The next write
 * carries STOPPED so readers mark us down at once. Re-entrant.
 */
void ocfsx_hb_stop(struct ocfsx_hb_core *hb);

static inline __u32 ocfsx_hb_state(const struct ocfsx_hb_core *hb)
{
	return hb->state;
}

static inline bool ocfsx_hb_node_live(const struct ocfsx_hb_core *hb,
				      __u32 node)
{
	return node < hb->cfg.nr_nodes &&
	       hb->nodes[node].state == OCFSX_HB_NODE_LIVE;
}

#endif /* OCFSX_HB_CORE_H */

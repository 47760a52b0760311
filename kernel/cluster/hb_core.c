// SPDX-License-Identifier: GPL-2.0
/*
 * Disk heartbeat liveness core. Plain C over proto_env.h: no kernel or libc
 * calls, so tests/sim runs this very file. See hb_core.h for the calling
 * sequence and docs/cluster-protocol.md for why the rules are safe.
 *
 * Times: a node's liveness is judged only on the reader's own clock and
 * only from reads. A change is dated by the completion of the read that
 * first returned it (never earlier than the write that made it); a miss is
 * dated by the issue of the read that did not see a change (never later
 * than the moment the block was sampled). A node is dead when a read
 * issued dead_ns or more after the last change still shows no change, so a
 * reader that was itself starved never counts rounds it did not read.
 */
#include "hb_core.h"

#define hb_log(hb, lvl, fmt, ...) \
	(hb)->env->log((hb)->env->priv, (lvl), "ocfsx hb: node %u: " fmt, \
		       (hb)->cfg.self, ##__VA_ARGS__)

const char *ocfsx_proto_reason_name(__u32 reason)
{
	switch (reason) {
	case OCFSX_REASON_NONE:		return "none";
	case OCFSX_REASON_TIMEOUT:	return "timeout";
	case OCFSX_REASON_STOPPED:	return "stopped";
	case OCFSX_REASON_RESTART:	return "restart";
	case OCFSX_REASON_LEASE:	return "heartbeat write too old";
	case OCFSX_REASON_SAME_NODE:	return "node number in use";
	case OCFSX_REASON_NO_QUORUM:	return "no quorum";
	case OCFSX_REASON_JOIN_FAILED:	return "join failed";
	case OCFSX_REASON_REQUESTED:	return "requested";
	}
	return "?";
}

static void hb_event(struct ocfsx_hb_core *hb, __u32 type, __u32 node,
		     __u64 gen, __u32 reason)
{
	struct ocfsx_proto_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.node = node;
	ev.generation = gen;
	ev.reason = reason;
	hb->env->event(hb->env->priv, &ev);
}

int ocfsx_hb_init(struct ocfsx_hb_core *hb, const struct ocfsx_proto_env *env,
		  const struct ocfsx_hb_config *cfg)
{
	__u32 margin;

	memset(hb, 0, sizeof(*hb));
	if (!env || !env->now || !env->log || !env->event || !cfg)
		return -22;	/* EINVAL, without <errno.h> */
	if (cfg->nr_nodes == 0 || cfg->nr_nodes > OCFSX_PROTO_MAX_NODES ||
	    cfg->self >= cfg->nr_nodes || cfg->generation == 0 ||
	    cfg->interval_ms == 0 || cfg->dead_threshold < 2)
		return -22;
	margin = cfg->fence_margin_ms ? cfg->fence_margin_ms :
		 OCFSX_HB_DEFAULT_FENCE_MARGIN_MS;
	/*
	 * The lease must outlast one write interval, or a healthy node would
	 * fence itself between two writes.
	 */
	if ((__u64)cfg->dead_threshold * cfg->interval_ms <=
	    (__u64)margin + cfg->interval_ms)
		return -22;
	hb->env = env;
	hb->cfg = *cfg;
	hb->cfg.fence_margin_ms = margin;
	hb->dead_ns = (ocfsx_ns_t)cfg->dead_threshold * cfg->interval_ms *
		      OCFSX_NS_PER_MS;
	hb->lease_ns = hb->dead_ns - (ocfsx_ns_t)margin * OCFSX_NS_PER_MS;
	hb->state = OCFSX_HB_OBSERVING;
	hb_log(hb, OCFSX_LOG_INFO,
	       "start: generation %llx, interval %u ms, dead after %u rounds, lease %lld ms",
	       (unsigned long long)cfg->generation, cfg->interval_ms,
	       cfg->dead_threshold,
	       (long long)(hb->lease_ns / OCFSX_NS_PER_MS));
	return 0;
}

static bool hb_writing(const struct ocfsx_hb_core *hb)
{
	return hb->state == OCFSX_HB_ACTIVE || hb->state == OCFSX_HB_STOPPING;
}

void ocfsx_hb_fence(struct ocfsx_hb_core *hb, __u32 reason)
{
	if (hb->state == OCFSX_HB_FENCED || hb->state == OCFSX_HB_STOPPED ||
	    hb->state == OCFSX_HB_CONFLICT)
		return;
	hb->state = OCFSX_HB_FENCED;
	hb->fence_reason = reason;
	hb_log(hb, OCFSX_LOG_ERR, "FENCING this node: %s",
	       ocfsx_proto_reason_name(reason));
	hb_event(hb, OCFSX_EV_FENCE, hb->cfg.self, hb->cfg.generation, reason);
}

void ocfsx_hb_stop(struct ocfsx_hb_core *hb)
{
	switch (hb->state) {
	case OCFSX_HB_OBSERVING:
		hb->state = OCFSX_HB_STOPPED;
		break;
	case OCFSX_HB_ACTIVE:
		/* Never wrote: nobody can have seen us. */
		hb->state = hb->have_lease ? OCFSX_HB_STOPPING :
					     OCFSX_HB_STOPPED;
		break;
	default:
		return;
	}
	hb_log(hb, OCFSX_LOG_INFO, "stopping heartbeat");
}

/*
 * Lease check at time now: true if we may go on writing. When the lease ran
 * out but a write is still in flight, that write may yet prove it completed
 * before the lease ended (ocfsx_hb_write_done() judges by its completion
 * time), so we only wait, with I/O refused, for at most a dead time.
 */
static bool hb_check_lease(struct ocfsx_hb_core *hb, ocfsx_ns_t now)
{
	ocfsx_ns_t late;

	if (!hb_writing(hb) || !hb->have_lease)
		return hb_writing(hb);
	late = now - hb->lease_anchor - hb->lease_ns;
	if (late < 0)
		return true;
	if (hb->state == OCFSX_HB_STOPPING) {
		/* All other I/O already stopped: nothing left to fence. */
		hb->state = OCFSX_HB_STOPPED;
		hb_log(hb, OCFSX_LOG_WARN, "stopped without a final write");
		return false;
	}
	if (hb->inflight_seq && late < hb->dead_ns)
		return false;
	hb_log(hb, OCFSX_LOG_ERR,
	       "last completed heartbeat write was submitted %lld ms ago (lease %lld ms)",
	       (long long)((now - hb->lease_anchor) / OCFSX_NS_PER_MS),
	       (long long)(hb->lease_ns / OCFSX_NS_PER_MS));
	ocfsx_hb_fence(hb, OCFSX_REASON_LEASE);
	return false;
}

void ocfsx_hb_tick(struct ocfsx_hb_core *hb)
{
	hb_check_lease(hb, hb->env->now(hb->env->priv));
}

ocfsx_ns_t ocfsx_hb_next_deadline(const struct ocfsx_hb_core *hb)
{
	ocfsx_ns_t end;

	if (hb->state != OCFSX_HB_ACTIVE || !hb->have_lease)
		return OCFSX_NS_NEVER;
	end = hb->lease_anchor + hb->lease_ns;
	if (hb->inflight_seq && hb->env->now(hb->env->priv) >= end)
		return end + hb->dead_ns;
	return end;
}

bool ocfsx_hb_io_allowed(const struct ocfsx_hb_core *hb, ocfsx_ns_t now)
{
	return hb->state == OCFSX_HB_ACTIVE && hb->have_lease &&
	       now - hb->lease_anchor < hb->lease_ns;
}

bool ocfsx_hb_prepare_write(struct ocfsx_hb_core *hb, struct ocfsx_hb_write *w)
{
	ocfsx_ns_t now = hb->env->now(hb->env->priv);

	if (!hb_check_lease(hb, now))
		return false;
	memset(w, 0, sizeof(*w));
	w->seq = ++hb->last_seq;
	w->generation = hb->cfg.generation;
	w->flags = hb->state == OCFSX_HB_STOPPING ? OCFSX_HB_CORE_F_STOPPED : 0;
	w->interval_ms = hb->cfg.interval_ms;
	w->dead_ms = hb->cfg.dead_threshold * hb->cfg.interval_ms;
	w->t_submit = now;
	hb->inflight_seq = w->seq;
	return true;
}

void ocfsx_hb_write_done(struct ocfsx_hb_core *hb,
			 const struct ocfsx_hb_write *w, ocfsx_ns_t t_complete,
			 int err)
{
	if (hb->inflight_seq == w->seq)
		hb->inflight_seq = 0;
	if (!hb_writing(hb))
		return;
	/*
	 * Only a write that completed while the lease still held renews it;
	 * a later one may already have been missed by a reader that declared
	 * us dead.
	 */
	if (hb->have_lease &&
	    t_complete - hb->lease_anchor >= hb->lease_ns) {
		hb_check_lease(hb, hb->env->now(hb->env->priv));
		return;
	}
	if (err) {
		hb_log(hb, OCFSX_LOG_WARN, "heartbeat write %llu failed: %d",
		       (unsigned long long)w->seq, err);
	} else if (w->flags & OCFSX_HB_CORE_F_STOPPED) {
		hb->state = OCFSX_HB_STOPPED;
		hb_log(hb, OCFSX_LOG_INFO, "heartbeat stopped cleanly");
		return;
	} else if (!hb->have_lease) {
		if (t_complete - w->t_submit >= hb->lease_ns)
			return;	/* too slow to hold a lease: try again */
		hb->have_lease = true;
		hb->lease_anchor = w->t_submit;
		hb->first_done = t_complete;
		hb_log(hb, OCFSX_LOG_INFO, "first heartbeat written");
		hb_event(hb, OCFSX_EV_SELF_LIVE, hb->cfg.self,
			 hb->cfg.generation, OCFSX_REASON_NONE);
	} else if (w->t_submit > hb->lease_anchor) {
		hb->lease_anchor = w->t_submit;
	}
	hb_check_lease(hb, hb->env->now(hb->env->priv));
}

static bool hb_same(const struct ocfsx_hb_node *st,
		    const struct ocfsx_hb_sample *s)
{
	return st->seq == s->seq && st->generation == s->generation;
}

/*
 * A changed sample of a node that is not LIVE, or of a new generation of a
 * LIVE node: count consecutive changes of one generation. Two changes no
 * more than dead_ns apart make the generation live; a single change (say a
 * dead node's last write landing late) never does.
 */
static void hb_count_change(struct ocfsx_hb_core *hb, struct ocfsx_hb_node *st,
			    const struct ocfsx_hb_sample *s,
			    const struct ocfsx_hb_round *r)
{
	if (s->flags & OCFSX_HB_CORE_F_STOPPED) {
		st->changes = 0;
		return;
	}
	if (st->changes && st->join_gen == s->generation &&
	    r->t_issue - st->join_anchor < hb->dead_ns) {
		if (st->changes < 255)
			st->changes++;
	} else {
		st->changes = 1;
		st->join_gen = s->generation;
	}
	st->join_anchor = r->t_done;
}

static void hb_node_down(struct ocfsx_hb_core *hb, __u32 n, __u32 reason)
{
	struct ocfsx_hb_node *st = &hb->nodes[n];

	st->state = OCFSX_HB_NODE_DEAD;
	st->warned = 0;
	hb_log(hb, OCFSX_LOG_INFO, "node %u (generation %llx) is down: %s",
	       n, (unsigned long long)st->live_gen,
	       ocfsx_proto_reason_name(reason));
	hb_event(hb, OCFSX_EV_NODE_DOWN, n, st->live_gen, reason);
}

static void hb_maybe_up(struct ocfsx_hb_core *hb, __u32 n,
			const struct ocfsx_hb_sample *s,
			const struct ocfsx_hb_round *r)
{
	struct ocfsx_hb_node *st = &hb->nodes[n];

	if (st->state == OCFSX_HB_NODE_LIVE || st->changes < 2 ||
	    r->t_issue - st->join_anchor >= hb->dead_ns)
		return;
	st->state = OCFSX_HB_NODE_LIVE;
	st->live_gen = st->join_gen;
	st->live_anchor = st->join_anchor;
	st->changes = 0;
	hb_log(hb, OCFSX_LOG_INFO, "node %u (generation %llx) is up", n,
	       (unsigned long long)st->live_gen);
	hb_event(hb, OCFSX_EV_NODE_UP, n, st->live_gen, OCFSX_REASON_NONE);
	if (s && s->generation == st->live_gen &&
	    (s->interval_ms != hb->cfg.interval_ms ||
	     s->dead_ms != hb->cfg.interval_ms * hb->cfg.dead_threshold)) {
		st->warned = 1;
		hb_log(hb, OCFSX_LOG_ERR,
		       "node %u writes every %u ms with dead time %u ms; ours are %u and %u",
		       n, s->interval_ms, s->dead_ms, hb->cfg.interval_ms,
		       hb->cfg.interval_ms * hb->cfg.dead_threshold);
		hb_event(hb, OCFSX_EV_CONFIG_MISMATCH, n, st->live_gen,
			 OCFSX_REASON_NONE);
	}
}

/* One other node's block. */
static void hb_peer_sample(struct ocfsx_hb_core *hb, __u32 n,
			   const struct ocfsx_hb_sample *s,
			   const struct ocfsx_hb_round *r)
{
	struct ocfsx_hb_node *st = &hb->nodes[n];
	bool changed = false;

	if (s->valid && !st->have) {
		/* A baseline, not a change: a stale block never comes alive. */
		st->have = 1;
		st->seq = s->seq;
		st->generation = s->generation;
		st->state = OCFSX_HB_NODE_DEAD;
	} else if (s->valid && !hb_same(st, s)) {
		changed = true;
		st->seq = s->seq;
		st->generation = s->generation;
	}

	if (changed && st->state == OCFSX_HB_NODE_LIVE) {
		if (s->generation == st->live_gen) {
			if (s->flags & OCFSX_HB_CORE_F_STOPPED) {
				st->changes = 0;
				hb_node_down(hb, n, OCFSX_REASON_STOPPED);
				return;
			}
			st->live_anchor = r->t_done;
			if (st->changes && st->join_gen != st->live_gen &&
			    !st->warned) {
				/* Old and new generation alternate. */
				st->warned = 1;
				hb_log(hb, OCFSX_LOG_ERR,
				       "node %u: generations %llx and %llx alternate: two nodes use this number",
				       n, (unsigned long long)st->live_gen,
				       (unsigned long long)st->join_gen);
				hb_event(hb, OCFSX_EV_SAME_NODE, n,
					 st->join_gen, OCFSX_REASON_NONE);
			}
		} else {
			/*
			 * A new generation: the node restarted. Its old
			 * incarnation is declared down only when its own dead
			 * time runs out, as if it had simply stopped: a new
			 * generation never shortens the wait.
			 */
			if (!(st->changes && st->join_gen == s->generation))
				hb_log(hb, OCFSX_LOG_INFO,
				       "node %u: new generation %llx replaces %llx",
				       n, (unsigned long long)s->generation,
				       (unsigned long long)st->live_gen);
			hb_count_change(hb, st, s, r);
		}
	} else if (changed) {
		hb_count_change(hb, st, s, r);
	}

	/*
	 * Dead: a valid read issued a dead time after the anchor still shows
	 * no newer write of the live generation. An invalid block proves
	 * nothing (a write may be in progress), so a block that stays
	 * invalid (torn by a crash) needs twice as long.
	 */
	if (st->state == OCFSX_HB_NODE_LIVE &&
	    r->t_issue - st->live_anchor >= (s->valid ? hb->dead_ns :
							2 * hb->dead_ns)) {
		bool restarted = st->changes && st->join_gen != st->live_gen;

		hb_node_down(hb, n, restarted ? OCFSX_REASON_RESTART :
						OCFSX_REASON_TIMEOUT);
	}
	hb_maybe_up(hb, n, s->valid ? s : NULL, r);
}

static void hb_conflict(struct ocfsx_hb_core *hb, __u64 gen)
{
	hb_log(hb, OCFSX_LOG_ERR,
	       "another node is heartbeating with our node number (generation %llx, ours %llx)",
	       (unsigned long long)gen,
	       (unsigned long long)hb->cfg.generation);
	hb_event(hb, OCFSX_EV_SAME_NODE, hb->cfg.self, gen,
		 OCFSX_REASON_NONE);
	if (hb->state == OCFSX_HB_OBSERVING) {
		hb->state = OCFSX_HB_CONFLICT;
		return;
	}
	if (hb->state == OCFSX_HB_ACTIVE && !hb->have_lease) {
		/* Nothing written yet that anyone relies on. */
		hb->state = OCFSX_HB_CONFLICT;
		return;
	}
	ocfsx_hb_fence(hb, OCFSX_REASON_SAME_NODE);
}

/* Our own block. */
static void hb_self_sample(struct ocfsx_hb_core *hb,
			   const struct ocfsx_hb_sample *s,
			   const struct ocfsx_hb_round *r)
{
	struct ocfsx_hb_node *st = &hb->nodes[hb->cfg.self];

	if (hb->state == OCFSX_HB_OBSERVING) {
		if (!hb->observed) {
			hb->observed = true;
			hb->own_anchor = r->t_done;
		}
		if (!s->valid)
			return;
		if (!st->have) {
			st->have = 1;
			st->seq = s->seq;
			st->generation = s->generation;
			return;
		}
		if (hb_same(st, s))
			return;
		st->seq = s->seq;
		st->generation = s->generation;
		hb->own_anchor = r->t_done;
		hb_count_change(hb, st, s, r);
		if (st->changes >= 2)
			hb_conflict(hb, s->generation);
		return;
	}
	if (!hb_writing(hb) || !s->valid || !hb->have_lease ||
	    r->t_issue < hb->first_done)
		return;
	/* Issued after our first write completed: it must be ours. */
	if (s->generation != hb->cfg.generation || s->seq > hb->last_seq)
		hb_conflict(hb, s->generation);
}

void ocfsx_hb_read_done(struct ocfsx_hb_core *hb,
			const struct ocfsx_hb_round *r)
{
	__u32 n, nr = r->nr < hb->cfg.nr_nodes ? r->nr : hb->cfg.nr_nodes;

	hb_check_lease(hb, hb->env->now(hb->env->priv));
	hb->rounds++;
	for (n = 0; n < nr; n++) {
		if (n == hb->cfg.self)
			hb_self_sample(hb, &r->samples[n], r);
		else
			hb_peer_sample(hb, n, &r->samples[n], r);
	}
	/*
	 * Our number is free once our block has not changed for a whole dead
	 * time: any live writer would have changed it (or fenced itself).
	 */
	if (hb->state == OCFSX_HB_OBSERVING && hb->observed &&
	    hb->cfg.self < nr && r->t_issue - hb->own_anchor >= hb->dead_ns) {
		hb->state = OCFSX_HB_ACTIVE;
		hb_log(hb, OCFSX_LOG_INFO,
		       "node number is free after %u rounds; writing",
		       hb->rounds);
	}
}

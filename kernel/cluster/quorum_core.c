// SPDX-License-Identifier: GPL-2.0
/*
 * Quorum core: network partition handling. Plain C over proto_env.h; see
 * quorum_core.h and docs/cluster-protocol.md.
 *
 * Membership: a live node counts once we have been connected to it during
 * its current generation ("member"). A live node we never reached
 * ("stranger") is most likely still joining; it is ignored for
 * stranger_grace, after which it counts as an unreachable member. We are
 * "joined" once connected to every live node at the same time; a node that
 * is not joined has touched nothing shared, so instead of fencing it leaves
 * (the caller stops its heartbeat cleanly) when it cannot reach a live node
 * within grace. A joined node applies the majority rule whenever a member
 * has been unreachable for grace, and on every change after that.
 */
#include "quorum_core.h"

#define quo_log(q, lvl, fmt, ...) \
	(q)->env->log((q)->env->priv, (lvl), "ocfsx quorum: node %u: " fmt, \
		      (q)->cfg.self, ##__VA_ARGS__)

int ocfsx_quo_init(struct ocfsx_quo_core *q, const struct ocfsx_proto_env *env,
		   const struct ocfsx_quo_config *cfg)
{
	memset(q, 0, sizeof(*q));
	if (!env || !env->now || !env->log || !env->event || !cfg)
		return -22;
	if (cfg->nr_nodes == 0 || cfg->nr_nodes > OCFSX_PROTO_MAX_NODES ||
	    cfg->self >= cfg->nr_nodes || cfg->grace_ms == 0)
		return -22;
	q->env = env;
	q->cfg = *cfg;
	if (!q->cfg.stranger_grace_ms)
		q->cfg.stranger_grace_ms = 2 * cfg->grace_ms;
	q->grace_ns = (ocfsx_ns_t)q->cfg.grace_ms * OCFSX_NS_PER_MS;
	q->stranger_ns = (ocfsx_ns_t)q->cfg.stranger_grace_ms * OCFSX_NS_PER_MS;
	return 0;
}

static void quo_finish(struct ocfsx_quo_core *q, __u32 reason, __u32 live,
		       __u32 conn)
{
	struct ocfsx_proto_event ev;

	q->done = true;
	q->reason = reason;
	quo_log(q, OCFSX_LOG_ERR, "%s: %u live, %u reachable (ourselves included)",
		reason == OCFSX_REASON_JOIN_FAILED ?
		"cannot reach every live node: leaving" :
		"lost quorum: fencing", live, conn);
	memset(&ev, 0, sizeof(ev));
	ev.type = OCFSX_EV_FENCE;
	ev.node = q->cfg.self;
	ev.reason = reason;
	q->env->event(q->env->priv, &ev);
}

static ocfsx_ns_t quo_max(ocfsx_ns_t a, ocfsx_ns_t b)
{
	return a > b ? a : b;
}

/* When an unreachable live node starts to matter. */
static ocfsx_ns_t quo_deadline(const struct ocfsx_quo_core *q,
			       const struct ocfsx_quo_node *p)
{
	if (!q->joined)
		return quo_max(q->start, p->member ? p->down_since :
						     p->live_since) +
		       q->grace_ns;
	if (p->member)
		return p->down_since + q->grace_ns;
	return p->live_since + q->stranger_ns;
}

static void quo_evaluate(struct ocfsx_quo_core *q)
{
	ocfsx_ns_t now;
	__u32 n, live = 1, conn = 1, lowest = q->cfg.self;
	bool lowest_conn = true, expired = false, reach;

	if (!q->started || q->done)
		return;
	now = q->env->now(q->env->priv);
	q->last_eval = now;

	if (!q->joined) {
		bool all = true;

		for (n = 0; n < q->cfg.nr_nodes; n++) {
			const struct ocfsx_quo_node *p = &q->nodes[n];

			if (n == q->cfg.self || !p->live)
				continue;
			live++;
			if (p->connected) {
				conn++;
				continue;
			}
			all = false;
			if (now >= quo_deadline(q, p))
				expired = true;
		}
		if (expired) {
			quo_finish(q, OCFSX_REASON_JOIN_FAILED, live, conn);
			return;
		}
		if (all) {
			struct ocfsx_proto_event ev;

			q->joined = true;
			quo_log(q, OCFSX_LOG_INFO, "joined: %u live nodes",
				live);
			memset(&ev, 0, sizeof(ev));
			ev.type = OCFSX_EV_JOINED;
			ev.node = q->cfg.self;
			q->env->event(q->env->priv, &ev);
		}
		return;
	}

	for (n = 0; n < q->cfg.nr_nodes; n++) {
		const struct ocfsx_quo_node *p = &q->nodes[n];

		if (n == q->cfg.self || !p->live)
			continue;
		if (!p->member && !p->connected && now < quo_deadline(q, p))
			continue;	/* a stranger, still joining */
		live++;
		/*
		 * A connection down for less than the grace counts as up: it
		 * may be a flap, and if it is a partition we come back here
		 * when its own grace ends.
		 */
		reach = p->connected || now < quo_deadline(q, p);
		if (reach)
			conn++;
		else
			expired = true;
		if (n < lowest) {
			lowest = n;
			lowest_conn = reach;
		}
	}
	if (!expired) {
		q->degraded = false;
		return;
	}
	if (2 * conn > live || (2 * conn == live && lowest_conn)) {
		if (!q->degraded)
			quo_log(q, OCFSX_LOG_WARN,
				"keeping quorum: %u of %u live nodes reachable%s",
				conn, live, 2 * conn == live ?
				" (tie, we hold the lowest node number)" : "");
		q->degraded = true;
		return;
	}
	quo_finish(q, OCFSX_REASON_NO_QUORUM, live, conn);
}

void ocfsx_quo_start(struct ocfsx_quo_core *q)
{
	if (q->started)
		return;
	q->started = true;
	q->start = q->env->now(q->env->priv);
	quo_evaluate(q);
}

static struct ocfsx_quo_node *quo_node(struct ocfsx_quo_core *q, __u32 node)
{
	if (node >= q->cfg.nr_nodes || node == q->cfg.self)
		return NULL;
	return &q->nodes[node];
}

void ocfsx_quo_node_up(struct ocfsx_quo_core *q, __u32 node)
{
	struct ocfsx_quo_node *p = quo_node(q, node);

	if (!p)
		return;
	p->live = 1;
	p->live_since = q->env->now(q->env->priv);
	p->member = p->connected;
	quo_evaluate(q);
}

void ocfsx_quo_node_down(struct ocfsx_quo_core *q, __u32 node)
{
	struct ocfsx_quo_node *p = quo_node(q, node);

	if (!p)
		return;
	p->live = 0;
	p->member = 0;
	quo_evaluate(q);
}

void ocfsx_quo_conn_up(struct ocfsx_quo_core *q, __u32 node)
{
	struct ocfsx_quo_node *p = quo_node(q, node);

	if (!p)
		return;
	p->connected = 1;
	if (p->live)
		p->member = 1;
	quo_log(q, OCFSX_LOG_DEBUG, "connected to node %u", node);
	quo_evaluate(q);
}

void ocfsx_quo_conn_down(struct ocfsx_quo_core *q, __u32 node)
{
	struct ocfsx_quo_node *p = quo_node(q, node);

	if (!p || !p->connected)
		return;
	p->connected = 0;
	p->down_since = q->env->now(q->env->priv);
	quo_log(q, OCFSX_LOG_DEBUG, "connection to node %u lost%s", node,
		p->live ? "" : " (not live)");
	quo_evaluate(q);
}

void ocfsx_quo_tick(struct ocfsx_quo_core *q)
{
	quo_evaluate(q);
}

/*
 * The earliest deadline not yet evaluated: one that passed while the timer
 * was late is still returned (it is in the past, so the timer fires at once).
 */
ocfsx_ns_t ocfsx_quo_next_deadline(const struct ocfsx_quo_core *q)
{
	ocfsx_ns_t best = OCFSX_NS_NEVER;
	__u32 n;

	if (!q->started || q->done)
		return OCFSX_NS_NEVER;
	for (n = 0; n < q->cfg.nr_nodes; n++) {
		const struct ocfsx_quo_node *p = &q->nodes[n];
		ocfsx_ns_t d;

		if (n == q->cfg.self || !p->live || p->connected)
			continue;
		d = quo_deadline(q, p);
		if (d > q->last_eval && d < best)
			best = d;
	}
	return best;
}

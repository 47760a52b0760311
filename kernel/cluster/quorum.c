// SPDX-License-Identifier: GPL-2.0
/*
 * Quorum and fencing service (see quorum.h): one quorum_core for the node,
 * fed by the heartbeat's node-wide up/down and the interconnect's
 * connection events, with a delayed work as its timer; carries out the
 * cluster's fence_method when the node must leave.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "heartbeat.h"
#include "nodemanager.h"
#include "quorum.h"
#include "quorum_core.h"

#define QUO_MAX_NODES	OCFSX_NM_MAX_NODES

static DEFINE_MUTEX(quo_mutex);
static struct ocfsx_quo_core *quo_core;	/* NULL while no region runs */
static struct ocfsx_proto_env quo_env;
static int quo_regions;
static DECLARE_BITMAP(quo_conn, QUO_MAX_NODES);
static struct delayed_work quo_work;

/* Published for lockless readers. */
static bool quo_joined;
static bool quo_left;
static bool quo_fenced;			/* until the module is unloaded */
static u32 quo_reason;			/* why fenced or left */
static u32 quo_pending;			/* fence to carry out after unlock */

static ATOMIC_NOTIFIER_HEAD(quo_fence_chain);

int ocfsx_quorum_fence_notifier_register(struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&quo_fence_chain, nb);
}

void ocfsx_quorum_fence_notifier_unregister(struct notifier_block *nb)
{
	atomic_notifier_chain_unregister(&quo_fence_chain, nb);
}

/* quo_mutex held: the node must stop every shared I/O now. */
static void quo_fence_locked(u32 reason)
{
	if (READ_ONCE(quo_fenced))
		return;
	WRITE_ONCE(quo_reason, reason);
	/* Every region thread sees this before its next write (§8). */
	smp_store_release(&quo_fenced, true);
	atomic_notifier_call_chain(&quo_fence_chain, reason, NULL);
	quo_pending = reason;
	ocfsx_heartbeat_kick();
}

static void quo_event(void *priv, const struct ocfsx_proto_event *ev)
{
	switch (ev->type) {
	case OCFSX_EV_JOINED:
		WRITE_ONCE(quo_joined, true);
		ocfsx_heartbeat_kick();
		break;
	case OCFSX_EV_FENCE:
		if (ev->reason == OCFSX_REASON_JOIN_FAILED) {
			/* Leave cleanly: the regions write STOPPED. */
			WRITE_ONCE(quo_reason, ev->reason);
			WRITE_ONCE(quo_left, true);
			pr_err("cannot reach every live node over the interconnect: leaving the cluster (heartbeat stopped); check the network and the other nodes' ipv4_address, then restart the cluster\n");
			ocfsx_heartbeat_kick();
		} else {
			quo_fence_locked(ev->reason);
		}
		break;
	default:
		break;
	}
}

static const char *quo_reason_text(u32 reason)
{
	switch (reason) {
	case OCFSX_REASON_LEASE:
		return "heartbeat lease lost (our heartbeat writes did not complete in time)";
	case OCFSX_REASON_SAME_NODE:
		return "another node writes heartbeat with our node number";
	case OCFSX_REASON_NO_QUORUM:
		return "lost quorum (cut off from the majority of the live nodes)";
	default:
		return "requested";
	}
}

/* Carries out a fence decided under quo_mutex; called after unlocking. */
static void quo_act(void)
{
	struct ocfsx_nm_cluster_info ci;
	u32 reason;

	mutex_lock(&quo_mutex);
	reason = quo_pending;
	quo_pending = 0;
	mutex_unlock(&quo_mutex);
	if (!reason)
		return;
	if (ocfsx_nm_cluster_info(&ci))
		ci.fence_method = OCFSX_FENCE_HALT;
	switch (ci.fence_method) {
	case OCFSX_FENCE_PANIC:
		panic("ocfsx: fenced: %s\n", quo_reason_text(reason));
		break;
	case OCFSX_FENCE_REBOOT:
		pr_emerg("fenced (reboot): %s; restarting the machine now\n",
			 quo_reason_text(reason));
		emergency_restart();
		break;
	default:
		pr_err("fenced (halt): %s; all I/O to shared devices stopped\n",
		       quo_reason_text(reason));
		break;
	}
}

/* quo_mutex held: the timer follows the core's next deadline. */
static void quo_rearm(void)
{
	ocfsx_ns_t dl, now;

	if (!quo_core)
		return;
	dl = ocfsx_quo_next_deadline(quo_core);
	if (dl == OCFSX_NS_NEVER) {
		cancel_delayed_work(&quo_work);
		return;
	}
	now = ocfsx_proto_kernel_now(NULL);
	mod_delayed_work(system_wq, &quo_work,
			 dl > now ? nsecs_to_jiffies(dl - now) + 1 : 0);
}

static void quo_work_fn(struct work_struct *work)
{
	mutex_lock(&quo_mutex);
	if (quo_core) {
		ocfsx_quo_tick(quo_core);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
}

/* quo_mutex held. */
static void quo_create(void)
{
	struct ocfsx_nm_cluster_info ci;
	struct ocfsx_quo_config cfg;
	struct ocfsx_quo_core *q;
	u32 n;

	WRITE_ONCE(quo_joined, false);
	WRITE_ONCE(quo_left, false);
	if (ocfsx_nm_cluster_info(&ci) || ci.local_node < 0)
		return;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return;
	quo_env.now = ocfsx_proto_kernel_now;
	quo_env.log = ocfsx_proto_kernel_log;
	quo_env.event = quo_event;
	memset(&cfg, 0, sizeof(cfg));
	cfg.self = ci.local_node;
	cfg.nr_nodes = QUO_MAX_NODES;
	cfg.grace_ms = ocfsx_quo_default_grace_ms(ci.heartbeat_interval_ms,
						  ci.dead_threshold);
	if (ocfsx_quo_init(q, &quo_env, &cfg)) {
		kfree(q);
		return;
	}
	for_each_set_bit(n, quo_conn, QUO_MAX_NODES)
		ocfsx_quo_conn_up(q, n);
	quo_core = q;
}

void ocfsx_quorum_region_start(void)
{
	mutex_lock(&quo_mutex);
	if (quo_regions++ == 0)
		quo_create();
	mutex_unlock(&quo_mutex);
}

void ocfsx_quorum_region_stop(void)
{
	struct ocfsx_quo_core *q = NULL;

	mutex_lock(&quo_mutex);
	if (quo_regions && --quo_regions == 0) {
		q = quo_core;
		quo_core = NULL;
		WRITE_ONCE(quo_joined, false);
		WRITE_ONCE(quo_left, false);
	}
	mutex_unlock(&quo_mutex);
	if (q) {
		cancel_delayed_work_sync(&quo_work);
		kfree(q);
	}
}

void ocfsx_quorum_self_live(void)
{
	mutex_lock(&quo_mutex);
	if (quo_core) {
		ocfsx_quo_start(quo_core);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
	ocfsx_heartbeat_kick();
}

void ocfsx_quorum_node_up(u32 node)
{
	mutex_lock(&quo_mutex);
	if (quo_core) {
		ocfsx_quo_node_up(quo_core, node);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
}

void ocfsx_quorum_node_down(u32 node)
{
	mutex_lock(&quo_mutex);
	if (quo_core) {
		ocfsx_quo_node_down(quo_core, node);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
}

void ocfsx_quorum_conn_up(u32 node)
{
	if (node >= QUO_MAX_NODES)
		return;
	mutex_lock(&quo_mutex);
	set_bit(node, quo_conn);
	if (quo_core) {
		ocfsx_quo_conn_up(quo_core, node);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
}

void ocfsx_quorum_conn_down(u32 node)
{
	if (node >= QUO_MAX_NODES)
		return;
	mutex_lock(&quo_mutex);
	clear_bit(node, quo_conn);
	if (quo_core) {
		ocfsx_quo_conn_down(quo_core, node);
		quo_rearm();
	}
	mutex_unlock(&quo_mutex);
	quo_act();
}

void ocfsx_quorum_fence(u32 reason)
{
	mutex_lock(&quo_mutex);
	quo_fence_locked(reason);
	mutex_unlock(&quo_mutex);
	quo_act();
}

bool ocfsx_quorum_fenced(void)
{
	return smp_load_acquire(&quo_fenced);
}

bool ocfsx_quorum_joined(void)
{
	return READ_ONCE(quo_joined) && !ocfsx_quorum_fenced() &&
	       !READ_ONCE(quo_left);
}

bool ocfsx_quorum_left(void)
{
	return READ_ONCE(quo_left);
}

void ocfsx_quorum_status(u32 *state, u32 *reason)
{
	*reason = OCFSX_REASON_NONE;
	if (ocfsx_quorum_fenced() || READ_ONCE(quo_left)) {
		*state = OCFSX_QUORUM_FENCED;
		*reason = READ_ONCE(quo_reason);
	} else if (READ_ONCE(quo_joined)) {
		*state = OCFSX_QUORUM_JOINED;
	} else if (READ_ONCE(quo_regions)) {
		*state = OCFSX_QUORUM_JOINING;
	} else {
		*state = OCFSX_QUORUM_NONE;
	}
}

int ocfsx_quorum_init(void)
{
	INIT_DELAYED_WORK(&quo_work, quo_work_fn);
	quo_fenced = false;
	quo_reason = OCFSX_REASON_NONE;
	bitmap_zero(quo_conn, QUO_MAX_NODES);
	return 0;
}

void ocfsx_quorum_exit(void)
{
	cancel_delayed_work_sync(&quo_work);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tiny environment the cluster protocol cores (hb_core.c, quorum_core.c)
 * run in. The cores never call the kernel or libc directly: they read the
 * clock, log and report events through struct ocfsx_proto_env, so the same
 * files build into ocfsx.ko and into the userspace simulator (tests/sim).
 *
 * The cores never allocate, never sleep and never take locks: the caller
 * owns the core structure, serializes every call into one core and arms a
 * timer for the core's next_deadline() (see docs/cluster-protocol.md).
 */
#ifndef OCFSX_PROTO_ENV_H
#define OCFSX_PROTO_ENV_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#endif

/* A point on the caller's monotonic clock, in nanoseconds. */
typedef __s64 ocfsx_ns_t;

#define OCFSX_NS_PER_MS		1000000LL
#define OCFSX_NS_NEVER		((ocfsx_ns_t)0x7fffffffffffffffLL)

#define OCFSX_PROTO_MAX_NODES	255	/* node numbers 0..254 */

enum ocfsx_log_level {
	OCFSX_LOG_ERR,
	OCFSX_LOG_WARN,
	OCFSX_LOG_INFO,
	OCFSX_LOG_DEBUG,
};

enum ocfsx_proto_event_type {
	/* Disk heartbeat (hb_core). */
	OCFSX_EV_NODE_UP = 1,	/* node, generation: a node became live */
	OCFSX_EV_NODE_DOWN,	/* node, generation, reason: it is dead */
	OCFSX_EV_SELF_LIVE,	/* our first heartbeat write completed */
	OCFSX_EV_SAME_NODE,	/* node, generation: a second writer uses that
				 * number (node == ours: we stop) */
	OCFSX_EV_CONFIG_MISMATCH, /* node: its interval or dead time differs */
	/* Quorum (quorum_core). */
	OCFSX_EV_JOINED,	/* connected to every live node at once */
	/* Both: this node must stop every I/O now (reason says why). */
	OCFSX_EV_FENCE,
};

enum ocfsx_proto_reason {
	OCFSX_REASON_NONE,
	OCFSX_REASON_TIMEOUT,	/* down: no heartbeat change for dead time */
	OCFSX_REASON_STOPPED,	/* down: the node stopped cleanly */
	OCFSX_REASON_RESTART,	/* down: a new generation replaced it */
	OCFSX_REASON_LEASE,	/* fence: our own write is too old */
	OCFSX_REASON_SAME_NODE,	/* fence: another node writes our block */
	OCFSX_REASON_NO_QUORUM,	/* fence: we are on the losing side */
	OCFSX_REASON_JOIN_FAILED, /* leave: could not reach every live node */
	OCFSX_REASON_REQUESTED,	/* fence asked for by the caller */
};

struct ocfsx_proto_event {
	__u32 type;		/* enum ocfsx_proto_event_type */
	__u32 node;		/* node number it is about */
	__u64 generation;	/* that node's heartbeat generation, or 0 */
	__u32 reason;		/* enum ocfsx_proto_reason */
};

struct ocfsx_proto_env {
	void *priv;
	/* The local monotonic clock. Never goes back. */
	ocfsx_ns_t (*now)(void *priv);
	/* One line, no trailing newline needed. */
	void (*log)(void *priv, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/*
	 * Called synchronously from inside the core call that caused it. The
	 * callee may call into the other core, but into the same core only
	 * through its fence (or stop) function, which is re-entrant.
	 */
	void (*event)(void *priv, const struct ocfsx_proto_event *ev);
};

const char *ocfsx_proto_reason_name(__u32 reason);

#ifdef __KERNEL__
/* The module's clock and log for the cores (proto_kernel.c). */
ocfsx_ns_t ocfsx_proto_kernel_now(void *priv);
void ocfsx_proto_kernel_log(void *priv, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#endif

#endif /* OCFSX_PROTO_ENV_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Disk heartbeat service (see heartbeat.h). Placeholder: no region runs
 * yet, every node is unknown.
 */
#include <linux/err.h>
#include <linux/errno.h>

#include "heartbeat.h"

struct ocfsx_hb_region *ocfsx_hb_region_start(
		const struct ocfsx_hb_region_params *p)
{
	return ERR_PTR(-EOPNOTSUPP);
}

int ocfsx_hb_region_wait_live(struct ocfsx_hb_region *r)
{
	return -EOPNOTSUPP;
}

void ocfsx_hb_region_stop(struct ocfsx_hb_region *r)
{
}

bool ocfsx_heartbeat_io_allowed(void)
{
	return false;
}

void ocfsx_heartbeat_subscribe(struct ocfsx_heartbeat_subscriber *s)
{
}

void ocfsx_heartbeat_unsubscribe(struct ocfsx_heartbeat_subscriber *s)
{
}

int ocfsx_heartbeat_node_stats(u32 node, struct ocfsx_hb_node_stats *st)
{
	return -ENOENT;
}

int ocfsx_heartbeat_init(void)
{
	return 0;
}

void ocfsx_heartbeat_exit(void)
{
}

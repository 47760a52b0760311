// SPDX-License-Identifier: GPL-2.0
/*
 * TCP interconnect (see net.h). Placeholder: no connections yet.
 */
#include <linux/errno.h>

#include "net.h"

int ocfsx_net_register_handler(struct ocfsx_net_handler *h)
{
	return 0;
}

void ocfsx_net_unregister_handler(struct ocfsx_net_handler *h)
{
}

int ocfsx_net_send_msg(u32 target, u16 type, u32 key, const void *data,
		       size_t len, int *status, void *reply, size_t *reply_len)
{
	return -ENOTCONN;
}

int ocfsx_net_node_stats(u32 node, struct ocfsx_net_node_stats *st)
{
	return -ENOENT;
}

int ocfsx_net_start(void)
{
	return 0;
}

void ocfsx_net_stop(void)
{
}

int ocfsx_net_init(void)
{
	return 0;
}

void ocfsx_net_exit(void)
{
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Quorum and fencing service (see quorum.h). Placeholder: connection
 * events are ignored and the node never fences.
 */
#include "quorum.h"

void ocfsx_quorum_conn_up(u32 node)
{
}

void ocfsx_quorum_conn_down(u32 node)
{
}

bool ocfsx_quorum_fenced(void)
{
	return false;
}

int ocfsx_quorum_init(void)
{
	return 0;
}

void ocfsx_quorum_exit(void)
{
}

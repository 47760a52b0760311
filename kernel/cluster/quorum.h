/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quorum and fencing service: runs quorum_core with the heartbeat's view of
 * live nodes and the interconnect's view of connections, and carries out
 * the configured fence_method (panic, reboot or halt) when this node must
 * leave the cluster.
 */
#ifndef OCFSX_QUORUM_H
#define OCFSX_QUORUM_H

#include <linux/types.h>

/* From the interconnect: the handshaken connection to node is up/down. */
void ocfsx_quorum_conn_up(u32 node);
void ocfsx_quorum_conn_down(u32 node);

/* true once this node fenced itself (halt keeps it fenced until unload). */
bool ocfsx_quorum_fenced(void);

int ocfsx_quorum_init(void);
void ocfsx_quorum_exit(void);

#endif /* OCFSX_QUORUM_H */

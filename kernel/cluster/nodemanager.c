// SPDX-License-Identifier: GPL-2.0
/*
 * ocfsx node manager: the configfs subsystem "ocfsx" through which
 * userspace (o2cbx) describes the cluster, its nodes and its heartbeat
 * regions, and the lookups the rest of the module does on that description.
 *
 *   ocfsx/cluster/<cluster>/{timeouts, fence_method, heartbeat_mode, key,
 *                            status}
 *   ocfsx/cluster/<cluster>/node/<node>/{num, ipv4_address, ipv4_port, local,
 *                                        status}
 *   ocfsx/cluster/<cluster>/heartbeat/<region>/{dev, start_block, ..., status}
 *
 * The status files are read-only "key value" reports (o2cbx parses them).
 * Going online starts the interconnect and, in global heartbeat mode, every
 * region whose dev is set; a dev written while online starts its region at
 * once and is refused if the device does not hold a matching volume. Going
 * offline stops them again, and is refused (EBUSY) while a mounted volume
 * heartbeats in local mode.
 *
 * configfs-schema/ocfsx.schema is the reference for names, modes, ranges
 * and defaults; docs/configfs.md is generated from it.
 *
 * Every write is validated before anything changes; a refused write
 * returns -EINVAL (bad value), -EEXIST (number or address taken) or -EBUSY
 * (frozen while online or local) and logs exactly one line that names the
 * object, the attribute, the value and the rule.
 *
 * "Online" means a local node is set. While it is, the cluster timeouts and
 * heartbeat_mode are frozen, and so are the local node's num, ipv4_address
 * and ipv4_port. Setting local pins the node's configfs item
 * (configfs_depend_item), so rmdir of the local node fails with -EBUSY
 * until local is written 0 again.
 *
 * Locking: nm_mutex serialises all changes (mkdir, rmdir, attribute
 * writes), so checking a rule and applying the change are one step.
 * nm_lock (a spinlock, bottom halves off) also covers everything the
 * ocfsx_nm_*() lookups and the attribute reads see; writers take it inside
 * nm_mutex around the update itself. configfs calls make/drop with its
 * su_mutex held, which therefore nests outside nm_mutex; nm_mutex is never
 * held while calling into configfs except for depend/undepend, which only
 * take configfs' dirent spinlock. Heartbeat regions start and stop under
 * nm_mutex; their threads never take it (only nm_lock, through the lookups).
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <crypto/sha2.h>
#include <linux/configfs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "heartbeat.h"
#include "net.h"
#include "nodemanager.h"
#include "proto_env.h"
#include "quorum.h"

#define NM_DEFAULT_PORT		7777
#define NM_NUM_UNSET		(-1)
/* A refused value is quoted in the log escaped and cut to this many bytes. */
#define NM_LOG_VALUE_MAX	64

/* %*pE escapes non-printable bytes, so any written value is safe to log. */
#define VAL_FMT			"\"%*pE\""
#define VAL_ARG(buf, len)	nm_log_len(buf, len), (buf)

enum nm_timeout {
	NM_HB_INTERVAL,
	NM_DEAD_THRESHOLD,
	NM_IDLE_TIMEOUT,
	NM_KEEPALIVE_DELAY,
	NM_RECONNECT_DELAY,
	NM_TIMEOUTS
};

static const struct {
	const char *name;
	u32 min, max, def;
} nm_timeout_rules[NM_TIMEOUTS] = {
	[NM_HB_INTERVAL]	= { "heartbeat_interval_ms", 100, 10000, 400 },
	[NM_DEAD_THRESHOLD]	= { "dead_threshold", 2, 120, 5 },
	[NM_IDLE_TIMEOUT]	= { "idle_timeout_ms", 1000, 600000, 3000 },
	[NM_KEEPALIVE_DELAY]	= { "keepalive_delay_ms", 100, 60000, 1000 },
	[NM_RECONNECT_DELAY]	= { "reconnect_delay_ms", 100, 60000, 500 },
};

static const char *const nm_fence_names[] = {
	[OCFSX_FENCE_PANIC]	= "panic",
	[OCFSX_FENCE_REBOOT]	= "reboot",
	[OCFSX_FENCE_HALT]	= "halt",
};

static const char *const nm_hb_mode_names[] = {
	[OCFSX_HB_LOCAL]	= "local",
	[OCFSX_HB_GLOBAL]	= "global",
};

static const char *const nm_bool_names[] = { "0", "1" };

struct ocfsx_nm_cluster {
	struct config_group group;	/* ocfsx/cluster/<name> */
	struct config_group node_group;	/* .../node */
	struct config_group hb_group;	/* .../heartbeat */
	u32 timeout[NM_TIMEOUTS];
	enum ocfsx_nm_fence_method fence_method;
	enum ocfsx_nm_hb_mode hb_mode;
	struct list_head nodes;		/* every node, numbered or not */
	struct list_head regions;	/* every heartbeat region */
	struct ocfsx_nm_node *by_num[OCFSX_NM_MAX_NODES];
	struct ocfsx_nm_node *local;	/* non-NULL: the cluster is online */
	u8 key[OCFSX_NM_KEY_MAX];	/* cluster key, key_len bytes */
	int key_len;
};

struct ocfsx_nm_node {
	struct config_item item;
	struct ocfsx_nm_cluster *cluster;	/* NULL once removed */
	struct list_head link;			/* in cluster->nodes */
	int num;				/* NM_NUM_UNSET until written */
	__be32 addr;
	bool addr_set;
	u16 port;
	bool local;		/* implies a configfs dependency on item */
};

struct ocfsx_nm_region {
	struct config_item item;
	struct ocfsx_nm_cluster *cluster;
	struct list_head link;			/* in cluster->regions */
	char dev[OCFSX_DEV_PATH_MAX + 1];	/* "" until written */
	u64 start_block;
	u32 blocks;
	u32 block_bytes;
	/* nm_mutex: */
	struct ocfsx_hb_region *hb;		/* heartbeat runs */
	bool failed;				/* the last start failed */
	char err[160];				/* ... and why */
};

static DEFINE_MUTEX(nm_mutex);
static DEFINE_SPINLOCK(nm_lock);
static struct ocfsx_nm_cluster *nm_cluster;	/* the one cluster, or NULL */
static struct configfs_subsystem nm_subsys;

static int nm_log_len(const char *buf, size_t len)
{
	return min_t(size_t, ocfsx_value_len(buf, len), NM_LOG_VALUE_MAX);
}

static inline struct ocfsx_nm_cluster *to_cluster(struct config_item *item)
{
	return container_of(to_config_group(item), struct ocfsx_nm_cluster,
			    group);
}

static inline struct ocfsx_nm_node *to_node(struct config_item *item)
{
	return container_of(item, struct ocfsx_nm_node, item);
}

static inline struct ocfsx_nm_region *to_region(struct config_item *item)
{
	return container_of(item, struct ocfsx_nm_region, item);
}

static const char *cluster_name(struct ocfsx_nm_cluster *c)
{
	return config_item_name(&c->group.cg_item);
}

/*
 * Parses a u32 attribute for an object of the given kind ("cluster",
 * "node", "region") and logs why it is refused; 0 or -EINVAL.
 */
static int nm_parse_u32(const char *kind, struct config_item *item,
			const char *attr, const char *buf, size_t len,
			u32 min, u32 max, u32 *out)
{
	int ret = ocfsx_parse_u32_range(buf, len, min, max, out);

	if (ret == -ERANGE)
		pr_err("%s \"%s\": %s " VAL_FMT " is out of range %u..%u\n",
		       kind, config_item_name(item), attr, VAL_ARG(buf, len),
		       min, max);
	else if (ret)
		pr_err("%s \"%s\": %s " VAL_FMT " is not a decimal number (range %u..%u)\n",
		       kind, config_item_name(item), attr, VAL_ARG(buf, len),
		       min, max);
	return ret ? -EINVAL : 0;
}

static int nm_parse_enum(const char *kind, struct config_item *item,
			 const char *attr, const char *buf, size_t len,
			 const char *const *names, int count, const char *rule)
{
	int ret = ocfsx_parse_enum(buf, len, names, count);

	if (ret < 0)
		pr_err("%s \"%s\": %s " VAL_FMT " is not one of %s\n",
		       kind, config_item_name(item), attr, VAL_ARG(buf, len),
		       rule);
	return ret;
}

/* ----------------------------------------------------------------------
 * The lookup API (nodemanager.h)
 */

int ocfsx_nm_cluster_info(struct ocfsx_nm_cluster_info *info)
{
	struct ocfsx_nm_cluster *c;
	int ret = -ENOENT;

	spin_lock_bh(&nm_lock);
	c = nm_cluster;
	if (c) {
		strscpy(info->name, cluster_name(c), sizeof(info->name));
		info->heartbeat_interval_ms = c->timeout[NM_HB_INTERVAL];
		info->dead_threshold = c->timeout[NM_DEAD_THRESHOLD];
		info->idle_timeout_ms = c->timeout[NM_IDLE_TIMEOUT];
		info->keepalive_delay_ms = c->timeout[NM_KEEPALIVE_DELAY];
		info->reconnect_delay_ms = c->timeout[NM_RECONNECT_DELAY];
		info->fence_method = c->fence_method;
		info->heartbeat_mode = c->hb_mode;
		info->local_node = c->local ? c->local->num : -1;
		ret = 0;
	}
	spin_unlock_bh(&nm_lock);
	return ret;
}

int ocfsx_nm_local_node(void)
{
	int ret = -ENOENT;

	spin_lock_bh(&nm_lock);
	if (nm_cluster && nm_cluster->local)
		ret = nm_cluster->local->num;
	spin_unlock_bh(&nm_lock);
	return ret;
}

struct ocfsx_nm_node *ocfsx_nm_node_get(unsigned int num)
{
	struct ocfsx_nm_node *node = NULL;

	if (num >= OCFSX_NM_MAX_NODES)
		return NULL;
	spin_lock_bh(&nm_lock);
	/*
	 * A node is in by_num only while configfs holds its own reference
	 * (drop removes it first), so the count cannot be zero here.
	 */
	if (nm_cluster)
		node = nm_cluster->by_num[num];
	if (node)
		config_item_get(&node->item);
	spin_unlock_bh(&nm_lock);
	return node;
}

void ocfsx_nm_node_put(struct ocfsx_nm_node *node)
{
	if (node)
		config_item_put(&node->item);
}

int ocfsx_nm_node_info(struct ocfsx_nm_node *node,
		       struct ocfsx_nm_node_info *info)
{
	int ret = -ENOENT;

	spin_lock_bh(&nm_lock);
	if (node->cluster && node->num != NM_NUM_UNSET) {
		strscpy(info->name, config_item_name(&node->item),
			sizeof(info->name));
		info->num = node->num;
		info->ipv4_address = node->addr;
		info->ipv4_port = node->port;
		info->local = node->local;
		ret = 0;
	}
	spin_unlock_bh(&nm_lock);
	return ret;
}

/* Says, through the lookup API, what a cluster that just went online is. */
static void nm_log_online(void)
{
	struct ocfsx_nm_cluster_info ci;
	struct ocfsx_nm_node_info ni;
	struct ocfsx_nm_node *node;
	int num = ocfsx_nm_local_node();

	if (num < 0 || ocfsx_nm_cluster_info(&ci))
		return;
	node = ocfsx_nm_node_get(num);
	if (!node)
		return;
	if (!ocfsx_nm_node_info(node, &ni))
		pr_info("cluster \"%s\" online: local node \"%s\" num %u at %pI4:%u; %s heartbeat every %u ms, dead after %u, idle timeout %u ms\n",
			ci.name, ni.name, ni.num, &ni.ipv4_address,
			ni.ipv4_port, nm_hb_mode_names[ci.heartbeat_mode],
			ci.heartbeat_interval_ms, ci.dead_threshold,
			ci.idle_timeout_ms);
	ocfsx_nm_node_put(node);
}

/* ----------------------------------------------------------------------
 * Global heartbeat regions: one runs while the cluster is online in global
 * heartbeat mode and its dev is set (o2cbx writes dev last).
 */

/* With nm_mutex held. 0, or why the region could not start. */
static int nm_region_start(struct ocfsx_nm_cluster *c,
			   struct ocfsx_nm_region *r)
{
	struct ocfsx_hb_region_params p = {};
	struct ocfsx_hb_region *hb;

	if (r->hb || !c->local || c->hb_mode != OCFSX_HB_GLOBAL || !r->dev[0])
		return 0;
	p.name = config_item_name(&r->item);
	p.dev_path = r->dev;
	p.start_block = r->start_block;
	p.blocks = r->blocks;
	p.block_bytes = r->block_bytes;
	p.slot = 0xFFFF;
	p.errbuf = r->err;
	p.errlen = sizeof(r->err);
	hb = ocfsx_hb_region_start(&p);
	if (IS_ERR(hb)) {
		r->failed = true;
		return PTR_ERR(hb);
	}
	r->hb = hb;
	r->failed = false;
	r->err[0] = 0;
	return 0;
}

/* With nm_mutex held. */
static void nm_region_stop(struct ocfsx_nm_region *r)
{
	if (r->hb)
		ocfsx_hb_region_stop(r->hb);
	r->hb = NULL;
	r->failed = false;
	r->err[0] = 0;
}

/* ----------------------------------------------------------------------
 * ocfsx/cluster/<cluster>/node/<node>
 */

/*
 * With nm_mutex held: refuses to change an identity field of the local
 * node; value is the refused value as text, for the log.
 */
static int node_check_frozen(struct ocfsx_nm_node *node, const char *attr,
			     const char *value)
{
	if (!node->local)
		return 0;
	pr_err("node \"%s\": %s %s refused: %s cannot change while the node is local; write 0 to local first\n",
	       config_item_name(&node->item), attr, value, attr);
	return -EBUSY;
}

static ssize_t nm_node_num_show(struct config_item *item, char *page)
{
	struct ocfsx_nm_node *node = to_node(item);
	int num;

	spin_lock_bh(&nm_lock);
	num = node->num;
	spin_unlock_bh(&nm_lock);
	/* An unset number reads as nothing at all: no digits, no newline. */
	if (num == NM_NUM_UNSET)
		return 0;
	return scnprintf(page, PAGE_SIZE, "%d\n", num);
}

static ssize_t nm_node_num_store(struct config_item *item, const char *page,
				 size_t len)
{
	struct ocfsx_nm_node *node = to_node(item);
	struct ocfsx_nm_cluster *c;
	struct ocfsx_nm_node *other;
	char text[16];
	u32 num;
	int ret;

	ret = nm_parse_u32("node", item, "num", page, len, 0,
			   OCFSX_NM_MAX_NODES - 1, &num);
	if (ret)
		return ret;

	mutex_lock(&nm_mutex);
	c = node->cluster;
	if (!c) {
		ret = -ENODEV;
		goto out;
	}
	if (node->num == (int)num)
		goto out;
	snprintf(text, sizeof(text), "%u", num);
	ret = node_check_frozen(node, "num", text);
	if (ret)
		goto out;
	other = c->by_num[num];
	if (other) {
		pr_err("node \"%s\": num %u already used by node \"%s\"\n",
		       config_item_name(item), num,
		       config_item_name(&other->item));
		ret = -EEXIST;
		goto out;
	}
	spin_lock_bh(&nm_lock);
	if (node->num != NM_NUM_UNSET)
		c->by_num[node->num] = NULL;
	c->by_num[num] = node;
	node->num = num;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static ssize_t nm_node_ipv4_address_show(struct config_item *item,
					 char *page)
{
	struct ocfsx_nm_node *node = to_node(item);
	__be32 addr;
	bool set;

	spin_lock_bh(&nm_lock);
	addr = node->addr;
	set = node->addr_set;
	spin_unlock_bh(&nm_lock);
	if (!set)
		return 0;
	return scnprintf(page, PAGE_SIZE, "%pI4\n", &addr);
}

static ssize_t nm_node_ipv4_address_store(struct config_item *item,
					  const char *page, size_t len)
{
	struct ocfsx_nm_node *node = to_node(item);
	struct ocfsx_nm_cluster *c;
	struct ocfsx_nm_node *other;
	char text[16];
	__be32 addr;
	int ret;

	ret = ocfsx_parse_ipv4(page, len, &addr);
	if (ret == -EADDRNOTAVAIL) {
		pr_err("node \"%s\": ipv4_address " VAL_FMT " is not a unicast host address (0.x.x.x and 224.0.0.0 and above are refused)\n",
		       config_item_name(item), VAL_ARG(page, len));
		return -EINVAL;
	}
	if (ret) {
		pr_err("node \"%s\": ipv4_address " VAL_FMT " is not a dotted quad like 10.0.0.1 (no leading zeros)\n",
		       config_item_name(item), VAL_ARG(page, len));
		return -EINVAL;
	}

	mutex_lock(&nm_mutex);
	c = node->cluster;
	if (!c) {
		ret = -ENODEV;
		goto out;
	}
	if (node->addr_set && node->addr == addr)
		goto out;
	snprintf(text, sizeof(text), "%pI4", &addr);
	ret = node_check_frozen(node, "ipv4_address", text);
	if (ret)
		goto out;
	list_for_each_entry(other, &c->nodes, link) {
		if (other != node && other->addr_set && other->addr == addr) {
			pr_err("node \"%s\": ipv4_address %pI4 already used by node \"%s\"\n",
			       config_item_name(item), &addr,
			       config_item_name(&other->item));
			ret = -EEXIST;
			goto out;
		}
	}
	spin_lock_bh(&nm_lock);
	node->addr = addr;
	node->addr_set = true;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static ssize_t nm_node_ipv4_port_show(struct config_item *item, char *page)
{
	return scnprintf(page, PAGE_SIZE, "%u\n",
			 READ_ONCE(to_node(item)->port));
}

static ssize_t nm_node_ipv4_port_store(struct config_item *item,
				       const char *page, size_t len)
{
	struct ocfsx_nm_node *node = to_node(item);
	char text[16];
	u32 port;
	int ret;

	ret = nm_parse_u32("node", item, "ipv4_port", page, len, 1, 65535,
			   &port);
	if (ret)
		return ret;

	mutex_lock(&nm_mutex);
	if (node->port == port)
		goto out;
	snprintf(text, sizeof(text), "%u", port);
	ret = node_check_frozen(node, "ipv4_port", text);
	if (ret)
		goto out;
	spin_lock_bh(&nm_lock);
	node->port = port;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static ssize_t nm_node_local_show(struct config_item *item, char *page)
{
	return scnprintf(page, PAGE_SIZE, "%d\n",
			 READ_ONCE(to_node(item)->local));
}

/* With nm_mutex held: makes node the local node, or says why not. */
static int node_make_local(struct ocfsx_nm_node *node,
			   struct ocfsx_nm_cluster *c)
{
	const char *name = config_item_name(&node->item);
	int ret;

	if (c->local) {
		pr_err("node \"%s\": local 1 refused: node \"%s\" is already the local node (at most one)\n",
		       name, config_item_name(&c->local->item));
		return -EBUSY;
	}
	if (node->num == NM_NUM_UNSET || !node->addr_set) {
		pr_err("node \"%s\": local 1 refused: set %s first\n", name,
		       node->num != NM_NUM_UNSET ? "ipv4_address" :
		       node->addr_set ? "num" : "num and ipv4_address");
		return -EINVAL;
	}
	/* Makes rmdir of this node fail with -EBUSY while it is local. */
	ret = configfs_depend_item_unlocked(&nm_subsys, &node->item);
	if (ret) {
		pr_err("node \"%s\": local 1 refused: the node is being removed (error %d)\n",
		       name, ret);
		return ret;
	}
	spin_lock_bh(&nm_lock);
	node->local = true;
	c->local = node;
	spin_unlock_bh(&nm_lock);
	return 0;
}

/* With nm_mutex held: the cluster goes offline. */
static void nm_node_unset_local(struct ocfsx_nm_node *node,
				struct ocfsx_nm_cluster *c)
{
	spin_lock_bh(&nm_lock);
	node->local = false;
	c->local = NULL;
	spin_unlock_bh(&nm_lock);
	configfs_undepend_item_unlocked(&node->item);
}

static ssize_t nm_node_local_store(struct config_item *item,
				   const char *page, size_t len)
{
	struct ocfsx_nm_node *node = to_node(item);
	struct ocfsx_nm_cluster *c;
	struct ocfsx_nm_region *r;
	bool online = false;
	int val, ret = 0;

	val = nm_parse_enum("node", item, "local", page, len, nm_bool_names,
			    ARRAY_SIZE(nm_bool_names), "0|1");
	if (val < 0)
		return -EINVAL;

	mutex_lock(&nm_mutex);
	c = node->cluster;
	if (!c) {
		ret = -ENODEV;
		goto out;
	}
	if (val == node->local)
		goto out;
	if (val) {
		ret = node_make_local(node, c);
		online = !ret;
		goto out;
	}
	ret = ocfsx_heartbeat_local_regions();
	if (ret) {
		pr_err("node \"%s\": local 0 refused: %d mounted volume%s still heartbeat%s in local mode; unmount %s first\n",
		       config_item_name(item), ret, ret == 1 ? "" : "s",
		       ret == 1 ? "s" : "", ret == 1 ? "it" : "them");
		ret = -EBUSY;
		goto out;
	}
	list_for_each_entry(r, &c->regions, link)
		nm_region_stop(r);
	nm_node_unset_local(node, c);
	pr_info("cluster \"%s\" offline: node \"%s\" is no longer local\n",
		cluster_name(c), config_item_name(item));
	/* Under nm_mutex so that a quick offline/online cannot reorder them. */
	ocfsx_net_stop();
out:
	if (online) {
		ocfsx_net_start();	/* logs why if it cannot listen */
		nm_log_online();
		/* A region that cannot start says why in its status file. */
		list_for_each_entry(r, &c->regions, link)
			nm_region_start(c, r);
	}
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static const char *const nm_hb_view_names[] = {
	[OCFSX_HB_VIEW_UNKNOWN]	= "unknown",
	[OCFSX_HB_VIEW_DEAD]	= "dead",
	[OCFSX_HB_VIEW_LIVE]	= "live",
};

/* Read-only: "key value" lines, parsed by o2cbx. */
static ssize_t nm_node_status_show(struct config_item *item, char *page)
{
	struct ocfsx_nm_node *node = to_node(item);
	struct ocfsx_hb_node_stats hs = { .age_ms = -1 };
	struct ocfsx_net_node_stats ns = { .idle_ms = -1 };
	bool local;
	int num;

	spin_lock_bh(&nm_lock);
	num = node->num;
	local = node->local;
	spin_unlock_bh(&nm_lock);
	if (num == NM_NUM_UNSET ||
	    ocfsx_heartbeat_node_stats(num, &hs) ||
	    hs.view >= ARRAY_SIZE(nm_hb_view_names)) {
		memset(&hs, 0, sizeof(hs));
		hs.age_ms = -1;
	}
	if (local || num == NM_NUM_UNSET || ocfsx_net_node_stats(num, &ns) ||
	    !ocfsx_net_state_name(ns.state)) {
		memset(&ns, 0, sizeof(ns));
		ns.idle_ms = -1;
	}
	return scnprintf(page, PAGE_SIZE,
			 "hb %s\nhb_generation 0x%016llx\nhb_age_ms %lld\n"
			 "conn %s\nconn_idle_ms %lld\nmsgs_sent %llu\nmsgs_recv %llu\n"
			 "bytes_sent %llu\nbytes_recv %llu\nrtt_us %u\nconnects %u\n",
			 nm_hb_view_names[hs.view], hs.generation, hs.age_ms,
			 ocfsx_net_state_name(ns.state), ns.idle_ms, ns.msgs_sent,
			 ns.msgs_recv, ns.bytes_sent, ns.bytes_recv, ns.rtt_us,
			 ns.connects);
}

CONFIGFS_ATTR(nm_node_, num);
CONFIGFS_ATTR(nm_node_, ipv4_address);
CONFIGFS_ATTR(nm_node_, ipv4_port);
CONFIGFS_ATTR(nm_node_, local);
CONFIGFS_ATTR_RO(nm_node_, status);

static struct configfs_attribute *nm_node_attrs[] = {
	&nm_node_attr_num,
	&nm_node_attr_ipv4_address,
	&nm_node_attr_ipv4_port,
	&nm_node_attr_local,
	&nm_node_attr_status,
	NULL,
};

static void nm_node_release(struct config_item *item)
{
	kfree(to_node(item));
}

static struct configfs_item_operations nm_node_item_ops = {
	.release	= nm_node_release,
};

static const struct config_item_type nm_node_type = {
	.ct_item_ops	= &nm_node_item_ops,
	.ct_attrs	= nm_node_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct config_item *nm_node_make(struct config_group *group,
					const char *name)
{
	struct ocfsx_nm_cluster *c =
		container_of(group, struct ocfsx_nm_cluster, node_group);
	struct ocfsx_nm_node *node;

	if (!ocfsx_valid_node_name(name)) {
		pr_err("node name \"%*pE\" refused: use 1..%d letters, digits, '.', '_' or '-'\n",
		       (int)strnlen(name, NM_LOG_VALUE_MAX), name,
		       OCFSX_NODE_NAME_MAX);
		return ERR_PTR(-EINVAL);
	}
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return ERR_PTR(-ENOMEM);
	config_item_init_type_name(&node->item, name, &nm_node_type);
	if (!config_item_name(&node->item)) {
		kfree(node);
		return ERR_PTR(-ENOMEM);
	}
	node->num = NM_NUM_UNSET;
	node->port = NM_DEFAULT_PORT;

	mutex_lock(&nm_mutex);
	spin_lock_bh(&nm_lock);
	node->cluster = c;
	list_add_tail(&node->link, &c->nodes);
	spin_unlock_bh(&nm_lock);
	mutex_unlock(&nm_mutex);
	return &node->item;
}

static void nm_node_drop(struct config_group *group, struct config_item *item)
{
	struct ocfsx_nm_node *node = to_node(item);
	struct ocfsx_nm_cluster *c;
	bool was_local;

	mutex_lock(&nm_mutex);
	c = node->cluster;
	spin_lock_bh(&nm_lock);
	was_local = node->local;
	if (c) {
		list_del_init(&node->link);
		if (node->num != NM_NUM_UNSET && c->by_num[node->num] == node)
			c->by_num[node->num] = NULL;
		if (c->local == node)
			c->local = NULL;
		node->cluster = NULL;
	}
	node->local = false;
	spin_unlock_bh(&nm_lock);
	mutex_unlock(&nm_mutex);
	/* Cannot happen while configfs honours the dependency taken by local. */
	if (was_local && c)
		pr_err("local node \"%s\" removed; cluster \"%s\" is offline\n",
		       config_item_name(item), cluster_name(c));
	config_item_put(item);
}

static struct configfs_group_operations nm_node_group_ops = {
	.make_item	= nm_node_make,
	.drop_item	= nm_node_drop,
};

static const struct config_item_type nm_node_group_type = {
	.ct_group_ops	= &nm_node_group_ops,
	.ct_owner	= THIS_MODULE,
};

/* ----------------------------------------------------------------------
 * ocfsx/cluster/<cluster>/heartbeat/<region>
 */

static ssize_t nm_region_dev_show(struct config_item *item, char *page)
{
	struct ocfsx_nm_region *r = to_region(item);
	ssize_t n = 0;

	spin_lock_bh(&nm_lock);
	if (r->dev[0])
		n = scnprintf(page, PAGE_SIZE, "%s\n", r->dev);
	spin_unlock_bh(&nm_lock);
	return n;
}

static ssize_t nm_region_dev_store(struct config_item *item,
				   const char *page, size_t len)
{
	struct ocfsx_nm_region *r = to_region(item);
	char dev[OCFSX_DEV_PATH_MAX + 1];
	char old[OCFSX_DEV_PATH_MAX + 1];
	int ret = 0;

	if (ocfsx_parse_dev_path(page, len, dev)) {
		pr_err("region \"%s\": dev " VAL_FMT " refused: an absolute path of 1..%d printable characters is needed\n",
		       config_item_name(item), VAL_ARG(page, len),
		       OCFSX_DEV_PATH_MAX);
		return -EINVAL;
	}
	mutex_lock(&nm_mutex);
	if (!strcmp(r->dev, dev))
		goto out;
	if (r->hb) {
		pr_err("region \"%s\": dev \"%s\" refused: dev cannot change while the region heartbeats; take the cluster offline (local 0) first\n",
		       config_item_name(item), dev);
		ret = -EBUSY;
		goto out;
	}
	strscpy(old, r->dev, sizeof(old));
	spin_lock_bh(&nm_lock);
	strscpy(r->dev, dev, sizeof(r->dev));
	spin_unlock_bh(&nm_lock);
	/* Online in global mode the region starts now: a bad device is refused. */
	if (r->cluster && nm_region_start(r->cluster, r)) {
		spin_lock_bh(&nm_lock);
		strscpy(r->dev, old, sizeof(r->dev));
		spin_unlock_bh(&nm_lock);
		ret = -EINVAL;
	}
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static ssize_t nm_region_start_block_show(struct config_item *item,
					  char *page)
{
	struct ocfsx_nm_region *r = to_region(item);
	u64 v;

	spin_lock_bh(&nm_lock);
	v = r->start_block;
	spin_unlock_bh(&nm_lock);
	return scnprintf(page, PAGE_SIZE, "%llu\n", v);
}

static ssize_t nm_region_start_block_store(struct config_item *item,
					   const char *page, size_t len)
{
	struct ocfsx_nm_region *r = to_region(item);
	u64 v;
	int ret;

	ret = ocfsx_parse_u64(page, len, &v);
	if (ret) {
		pr_err("region \"%s\": start_block " VAL_FMT " is not a decimal number (range 0..%llu)\n",
		       config_item_name(item), VAL_ARG(page, len), U64_MAX);
		return -EINVAL;
	}
	spin_lock_bh(&nm_lock);
	r->start_block = v;
	spin_unlock_bh(&nm_lock);
	return len;
}

static ssize_t nm_region_blocks_show(struct config_item *item, char *page)
{
	return scnprintf(page, PAGE_SIZE, "%u\n",
			 READ_ONCE(to_region(item)->blocks));
}

static ssize_t nm_region_blocks_store(struct config_item *item,
				      const char *page, size_t len)
{
	u32 v;
	int ret;

	ret = nm_parse_u32("region", item, "blocks", page, len, 1, 255, &v);
	if (ret)
		return ret;
	WRITE_ONCE(to_region(item)->blocks, v);
	return len;
}

static ssize_t nm_region_block_bytes_show(struct config_item *item,
					  char *page)
{
	return scnprintf(page, PAGE_SIZE, "%u\n",
			 READ_ONCE(to_region(item)->block_bytes));
}

static ssize_t nm_region_block_bytes_store(struct config_item *item,
					   const char *page, size_t len)
{
	static const char *const sizes[] = { "512", "1024", "2048", "4096" };
	int i;

	i = nm_parse_enum("region", item, "block_bytes", page, len, sizes,
			  ARRAY_SIZE(sizes), "512|1024|2048|4096");
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(to_region(item)->block_bytes, 512u << i);
	return len;
}

static const char *const nm_region_state_names[] = {
	[OCFSX_HB_REGION_OBSERVING]	= "observing",
	[OCFSX_HB_REGION_ACTIVE]	= "active",
	[OCFSX_HB_REGION_STOPPING]	= "stopping",
	[OCFSX_HB_REGION_STOPPED]	= "stopped",
	[OCFSX_HB_REGION_CONFLICT]	= "conflict",
	[OCFSX_HB_REGION_FENCED]	= "fenced",
};

/* Read-only: "key value" lines, parsed by o2cbx. */
static ssize_t nm_region_status_show(struct config_item *item, char *page)
{
	struct ocfsx_nm_region *r = to_region(item);
	struct ocfsx_hb_region_stats st = {};
	const char *state = "idle";
	ssize_t n;

	mutex_lock(&nm_mutex);
	if (r->hb) {
		ocfsx_hb_region_stats(r->hb, &st);
		if (st.state < ARRAY_SIZE(nm_region_state_names))
			state = nm_region_state_names[st.state];
	} else if (r->failed) {
		state = "error";
	}
	n = scnprintf(page, PAGE_SIZE, "state %s\nrounds %u\n", state,
		      st.rounds);
	if (!r->hb && r->failed)
		n += scnprintf(page + n, PAGE_SIZE - n, "error %s\n",
			       r->err[0] ? r->err : "see the kernel log");
	mutex_unlock(&nm_mutex);
	return n;
}

CONFIGFS_ATTR(nm_region_, dev);
CONFIGFS_ATTR(nm_region_, start_block);
CONFIGFS_ATTR(nm_region_, blocks);
CONFIGFS_ATTR(nm_region_, block_bytes);
CONFIGFS_ATTR_RO(nm_region_, status);

static struct configfs_attribute *nm_region_attrs[] = {
	&nm_region_attr_dev,
	&nm_region_attr_start_block,
	&nm_region_attr_blocks,
	&nm_region_attr_block_bytes,
	&nm_region_attr_status,
	NULL,
};

static void nm_region_release(struct config_item *item)
{
	kfree(to_region(item));
}

static struct configfs_item_operations nm_region_item_ops = {
	.release	= nm_region_release,
};

static const struct config_item_type nm_region_type = {
	.ct_item_ops	= &nm_region_item_ops,
	.ct_attrs	= nm_region_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct config_item *nm_region_make(struct config_group *group,
					  const char *name)
{
	struct ocfsx_nm_region *r;

	if (!ocfsx_valid_region_name(name)) {
		pr_err("heartbeat region name \"%*pE\" refused: use 1..%d letters, digits, '_' or '-' (usually the volume UUID)\n",
		       (int)strnlen(name, NM_LOG_VALUE_MAX), name,
		       OCFSX_REGION_NAME_MAX);
		return ERR_PTR(-EINVAL);
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	config_item_init_type_name(&r->item, name, &nm_region_type);
	if (!config_item_name(&r->item)) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	r->blocks = 255;
	r->block_bytes = 512;
	mutex_lock(&nm_mutex);
	r->cluster = container_of(group, struct ocfsx_nm_cluster, hb_group);
	list_add_tail(&r->link, &r->cluster->regions);
	mutex_unlock(&nm_mutex);
	return &r->item;
}

/* rmdir: a running region stops cleanly (its last write carries STOPPED). */
static void nm_region_drop(struct config_group *group,
			   struct config_item *item)
{
	struct ocfsx_nm_region *r = to_region(item);

	mutex_lock(&nm_mutex);
	nm_region_stop(r);
	list_del_init(&r->link);
	r->cluster = NULL;
	mutex_unlock(&nm_mutex);
	config_item_put(item);
}

static struct configfs_group_operations nm_hb_group_ops = {
	.make_item	= nm_region_make,
	.drop_item	= nm_region_drop,
};

static const struct config_item_type nm_hb_group_type = {
	.ct_group_ops	= &nm_hb_group_ops,
	.ct_owner	= THIS_MODULE,
};

/* ----------------------------------------------------------------------
 * ocfsx/cluster/<cluster>
 */

static ssize_t nm_timeout_show(struct config_item *item, char *page,
			       enum nm_timeout t)
{
	return scnprintf(page, PAGE_SIZE, "%u\n",
			 READ_ONCE(to_cluster(item)->timeout[t]));
}

static ssize_t nm_timeout_store(struct config_item *item, const char *page,
				size_t len, enum nm_timeout t)
{
	struct ocfsx_nm_cluster *c = to_cluster(item);
	const char *attr = nm_timeout_rules[t].name;
	u32 v, idle, keepalive;
	int ret;

	ret = nm_parse_u32("cluster", item, attr, page, len,
			   nm_timeout_rules[t].min, nm_timeout_rules[t].max,
			   &v);
	if (ret)
		return ret;

	mutex_lock(&nm_mutex);
	if (c->timeout[t] == v)
		goto out;
	idle = t == NM_IDLE_TIMEOUT ? v : c->timeout[NM_IDLE_TIMEOUT];
	keepalive = t == NM_KEEPALIVE_DELAY ? v :
		    c->timeout[NM_KEEPALIVE_DELAY];
	if (keepalive >= idle) {
		if (t == NM_KEEPALIVE_DELAY)
			pr_err("cluster \"%s\": keepalive_delay_ms %u must be less than idle_timeout_ms %u\n",
			       cluster_name(c), v, idle);
		else
			pr_err("cluster \"%s\": idle_timeout_ms %u must be greater than keepalive_delay_ms %u\n",
			       cluster_name(c), v, keepalive);
		ret = -EINVAL;
		goto out;
	}
	if (c->local) {
		pr_err("cluster \"%s\": %s %u refused: %s cannot change while the cluster is online (local node \"%s\"); write 0 to its local first\n",
		       cluster_name(c), attr, v, attr,
		       config_item_name(&c->local->item));
		ret = -EBUSY;
		goto out;
	}
	spin_lock_bh(&nm_lock);
	c->timeout[t] = v;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

#define NM_TIMEOUT_ATTR(_name, _t)					\
static ssize_t nm_cluster_##_name##_show(struct config_item *item,	\
					 char *page)			\
{									\
	return nm_timeout_show(item, page, _t);				\
}									\
static ssize_t nm_cluster_##_name##_store(struct config_item *item,	\
					  const char *page, size_t len)	\
{									\
	return nm_timeout_store(item, page, len, _t);			\
}									\
CONFIGFS_ATTR(nm_cluster_, _name)

NM_TIMEOUT_ATTR(heartbeat_interval_ms, NM_HB_INTERVAL);
NM_TIMEOUT_ATTR(dead_threshold, NM_DEAD_THRESHOLD);
NM_TIMEOUT_ATTR(idle_timeout_ms, NM_IDLE_TIMEOUT);
NM_TIMEOUT_ATTR(keepalive_delay_ms, NM_KEEPALIVE_DELAY);
NM_TIMEOUT_ATTR(reconnect_delay_ms, NM_RECONNECT_DELAY);

static ssize_t nm_cluster_fence_method_show(struct config_item *item,
					    char *page)
{
	enum ocfsx_nm_fence_method v = READ_ONCE(to_cluster(item)->fence_method);

	return scnprintf(page, PAGE_SIZE, "%s\n", nm_fence_names[v]);
}

/* What a node does when it must leave the cluster: may change any time. */
static ssize_t nm_cluster_fence_method_store(struct config_item *item,
					     const char *page, size_t len)
{
	int v;

	v = nm_parse_enum("cluster", item, "fence_method", page, len,
			  nm_fence_names, ARRAY_SIZE(nm_fence_names),
			  "panic|reboot|halt");
	if (v < 0)
		return -EINVAL;
	WRITE_ONCE(to_cluster(item)->fence_method, v);
	return len;
}

static ssize_t nm_cluster_heartbeat_mode_show(struct config_item *item,
					      char *page)
{
	enum ocfsx_nm_hb_mode v = READ_ONCE(to_cluster(item)->hb_mode);

	return scnprintf(page, PAGE_SIZE, "%s\n", nm_hb_mode_names[v]);
}

static ssize_t nm_cluster_heartbeat_mode_store(struct config_item *item,
					       const char *page, size_t len)
{
	struct ocfsx_nm_cluster *c = to_cluster(item);
	int v, ret = 0;

	v = nm_parse_enum("cluster", item, "heartbeat_mode", page, len,
			  nm_hb_mode_names, ARRAY_SIZE(nm_hb_mode_names),
			  "local|global");
	if (v < 0)
		return -EINVAL;

	mutex_lock(&nm_mutex);
	if (c->hb_mode == v)
		goto out;
	if (c->local) {
		pr_err("cluster \"%s\": heartbeat_mode \"%s\" refused: heartbeat_mode cannot change while the cluster is online (local node \"%s\"); write 0 to its local first\n",
		       cluster_name(c), nm_hb_mode_names[v],
		       config_item_name(&c->local->item));
		ret = -EBUSY;
		goto out;
	}
	spin_lock_bh(&nm_lock);
	c->hb_mode = v;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	return ret ? ret : len;
}

static const char *const nm_quorum_names[] = {
	[OCFSX_QUORUM_NONE]	= "none",
	[OCFSX_QUORUM_JOINING]	= "joining",
	[OCFSX_QUORUM_JOINED]	= "joined",
	[OCFSX_QUORUM_FENCED]	= "fenced",
};

static const char *nm_reason_token(u32 reason)
{
	switch (reason) {
	case OCFSX_REASON_LEASE:	return "lease";
	case OCFSX_REASON_SAME_NODE:	return "same_node";
	case OCFSX_REASON_NO_QUORUM:	return "no_quorum";
	case OCFSX_REASON_JOIN_FAILED:	return "join_failed";
	case OCFSX_REASON_REQUESTED:	return "requested";
	default:			return "none";
	}
}

/* Read-only: "key value" lines, parsed by o2cbx. */
static ssize_t nm_cluster_status_show(struct config_item *item, char *page)
{
	DECLARE_BITMAP(live, OCFSX_NM_MAX_NODES);
	u32 qstate, reason, n;
	const char *state;
	ssize_t len;

	if (ocfsx_quorum_fenced())
		state = "fenced";
	else
		state = READ_ONCE(to_cluster(item)->local) ? "online" : "offline";
	ocfsx_quorum_status(&qstate, &reason);
	if (qstate >= ARRAY_SIZE(nm_quorum_names))
		qstate = OCFSX_QUORUM_NONE;
	ocfsx_heartbeat_live_nodes(live);
	len = scnprintf(page, PAGE_SIZE,
			"state %s\nheartbeat_regions %d\nlive_nodes", state,
			ocfsx_heartbeat_regions());
	for_each_set_bit(n, live, OCFSX_NM_MAX_NODES)
		len += scnprintf(page + len, PAGE_SIZE - len, " %u", n);
	len += scnprintf(page + len, PAGE_SIZE - len,
			 "\nquorum %s\nfence_reason %s\n",
			 nm_quorum_names[qstate], nm_reason_token(reason));
	return len;
}

CONFIGFS_ATTR(nm_cluster_, fence_method);
CONFIGFS_ATTR(nm_cluster_, heartbeat_mode);
CONFIGFS_ATTR_RO(nm_cluster_, status);

/*
 * The cluster key: written as 32..128 hex digits, read back only as a
 * fingerprint (the first 16 hex digits of its SHA-256) that users compare
 * between nodes. The key itself never leaves the kernel again.
 */
static ssize_t nm_cluster_key_show(struct config_item *item, char *page)
{
	struct ocfsx_nm_cluster *c = to_cluster(item);
	u8 key[OCFSX_NM_KEY_MAX], digest[SHA256_DIGEST_SIZE];
	int key_len;

	mutex_lock(&nm_mutex);
	key_len = c->key_len;
	memcpy(key, c->key, key_len);
	mutex_unlock(&nm_mutex);
	if (!key_len)
		return 0;
	sha256(key, key_len, digest);
	memzero_explicit(key, sizeof(key));
	bin2hex(page, digest, 8);
	page[16] = '\n';
	return 17;
}

static ssize_t nm_cluster_key_store(struct config_item *item,
				    const char *page, size_t len)
{
	struct ocfsx_nm_cluster *c = to_cluster(item);
	size_t digits = len && page[len - 1] == '\n' ? len - 1 : len;
	u8 key[OCFSX_NM_KEY_MAX];
	int ret = 0;

	/* The value is a secret: the log says what is wrong, never the value. */
	if (digits && (digits < 32 || digits > 2 * OCFSX_NM_KEY_MAX ||
		       digits % 2 || hex2bin(key, page, digits / 2))) {
		pr_err("cluster \"%s\": key refused: %zu characters are not 32..128 hex digits (an even count; 16..64 bytes); write an empty line to clear the key\n",
		       cluster_name(c), digits);
		return -EINVAL;
	}
	mutex_lock(&nm_mutex);
	/* Writing the key it already has succeeds, as for every attribute. */
	if (c->key_len == digits / 2 && !memcmp(c->key, key, c->key_len))
		goto out;
	if (c->local) {
		pr_err("cluster \"%s\": key refused: the key cannot change while the cluster is online (local node \"%s\"); write 0 to its local first\n",
		       cluster_name(c), config_item_name(&c->local->item));
		ret = -EBUSY;
		goto out;
	}
	spin_lock_bh(&nm_lock);
	memcpy(c->key, key, digits / 2);
	c->key_len = digits / 2;
	spin_unlock_bh(&nm_lock);
out:
	mutex_unlock(&nm_mutex);
	memzero_explicit(key, sizeof(key));
	return ret ? ret : len;
}

static struct configfs_attribute nm_cluster_attr_key = {
	.ca_name	= "key",
	.ca_owner	= THIS_MODULE,
	.ca_mode	= 0600,
	.show		= nm_cluster_key_show,
	.store		= nm_cluster_key_store,
};

static struct configfs_attribute *nm_cluster_attrs[] = {
	&nm_cluster_attr_heartbeat_interval_ms,
	&nm_cluster_attr_dead_threshold,
	&nm_cluster_attr_idle_timeout_ms,
	&nm_cluster_attr_keepalive_delay_ms,
	&nm_cluster_attr_reconnect_delay_ms,
	&nm_cluster_attr_fence_method,
	&nm_cluster_attr_heartbeat_mode,
	&nm_cluster_attr_key,
	&nm_cluster_attr_status,
	NULL,
};

static void nm_cluster_release(struct config_item *item)
{
	kfree_sensitive(to_cluster(item));
}

static struct configfs_item_operations nm_cluster_item_ops = {
	.release	= nm_cluster_release,
};

static const struct config_item_type nm_cluster_type = {
	.ct_item_ops	= &nm_cluster_item_ops,
	.ct_attrs	= nm_cluster_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct config_group *nm_cluster_make(struct config_group *group,
					    const char *name)
{
	struct ocfsx_nm_cluster *c;
	int t;

	if (!ocfsx_valid_cluster_name(name)) {
		pr_err("cluster name \"%*pE\" refused: use 1..%d letters, digits, '-' or '_', starting with a letter or digit\n",
		       (int)strnlen(name, NM_LOG_VALUE_MAX), name,
		       OCFSX_CLUSTER_NAME_MAX);
		return ERR_PTR(-EINVAL);
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	config_group_init_type_name(&c->group, name, &nm_cluster_type);
	config_group_init_type_name(&c->node_group, "node",
				    &nm_node_group_type);
	configfs_add_default_group(&c->node_group, &c->group);
	config_group_init_type_name(&c->hb_group, "heartbeat",
				    &nm_hb_group_type);
	configfs_add_default_group(&c->hb_group, &c->group);
	for (t = 0; t < NM_TIMEOUTS; t++)
		c->timeout[t] = nm_timeout_rules[t].def;
	c->fence_method = OCFSX_FENCE_REBOOT;
	c->hb_mode = OCFSX_HB_LOCAL;
	INIT_LIST_HEAD(&c->nodes);
	INIT_LIST_HEAD(&c->regions);

	mutex_lock(&nm_mutex);
	if (nm_cluster) {
		pr_err("cluster \"%s\" refused: cluster \"%s\" already exists (one cluster at a time)\n",
		       name, cluster_name(nm_cluster));
		mutex_unlock(&nm_mutex);
		kfree(c);
		return ERR_PTR(-EBUSY);
	}
	spin_lock_bh(&nm_lock);
	nm_cluster = c;
	spin_unlock_bh(&nm_lock);
	mutex_unlock(&nm_mutex);
	pr_info("cluster \"%s\" created\n", name);
	return &c->group;
}

static void nm_cluster_drop(struct config_group *group,
			    struct config_item *item)
{
	struct ocfsx_nm_cluster *c = to_cluster(item);

	mutex_lock(&nm_mutex);
	spin_lock_bh(&nm_lock);
	if (nm_cluster == c)
		nm_cluster = NULL;
	spin_unlock_bh(&nm_lock);
	mutex_unlock(&nm_mutex);
	pr_info("cluster \"%s\" removed\n", cluster_name(c));
	config_item_put(item);
}

static struct configfs_group_operations nm_clusters_ops = {
	.make_group	= nm_cluster_make,
	.drop_item	= nm_cluster_drop,
};

static const struct config_item_type nm_clusters_type = {
	.ct_group_ops	= &nm_clusters_ops,
	.ct_owner	= THIS_MODULE,
};

static const struct config_item_type nm_root_type = {
	.ct_owner	= THIS_MODULE,
};

static struct config_group nm_clusters_group;

int ocfsx_nm_cluster_key(u8 *key)
{
	int ret = -ENOENT;

	spin_lock_bh(&nm_lock);
	if (nm_cluster) {
		ret = nm_cluster->key_len;
		memcpy(key, nm_cluster->key, ret);
	}
	spin_unlock_bh(&nm_lock);
	return ret;
}

int ocfsx_nm_init(void)
{
	int ret;

	config_group_init_type_name(&nm_subsys.su_group, "ocfsx",
				    &nm_root_type);
	mutex_init(&nm_subsys.su_mutex);
	config_group_init_type_name(&nm_clusters_group, "cluster",
				    &nm_clusters_type);
	configfs_add_default_group(&nm_clusters_group, &nm_subsys.su_group);
	ret = configfs_register_subsystem(&nm_subsys);
	if (ret)
		pr_err("cannot register configfs subsystem \"ocfsx\" (error %d)\n",
		       ret);
	return ret;
}

void ocfsx_nm_exit(void)
{
	configfs_unregister_subsystem(&nm_subsys);
}

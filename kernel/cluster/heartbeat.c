// SPDX-License-Identifier: GPL-2.0
/*
 * Disk heartbeat service (see heartbeat.h): one kernel thread per region
 * drives hb_core over real block I/O as docs/cluster-protocol.md §1 and §8
 * describe, and merges the regions' views into one node-wide liveness.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <linux/wait.h>

#include "hb_core.h"
#include "heartbeat.h"
#include "nodemanager.h"
#include "quorum.h"
#include "quorum_core.h"
#include "ocfsx_fs.h"

#define HB_MAX_NODES	OCFSX_NM_MAX_NODES

struct ocfsx_hb_region {
	struct list_head link;		/* hb_regions (RCU for io_allowed) */
	char name[OCFSX_REGION_NAME_MAX + 1];
	bool local;			/* started by the filesystem */
	struct block_device *bdev;
	bool own_bdev;			/* opened here, put at stop */
	u64 start_block;
	u32 blocks;
	u32 block_bytes;
	u32 fs_generation;
	u64 owner;
	u16 slot;
	u32 self;
	u32 interval_ms;
	u64 generation;
	char cluster[OCFSX_CLUSTER_NAME_LEN];
	char host[OCFSX_HOST_NAME_LEN];

	struct ocfsx_proto_env env;
	struct mutex core_mutex;	/* every call into core */
	struct ocfsx_hb_core *core;
	struct ocfsx_hb_sample *samples;
	DECLARE_BITMAP(live, HB_MAX_NODES);	/* live on this region */

	/* Reads: every block in one bio into rpages. */
	struct page **rpages;
	unsigned int nr_rpages;
	bool read_inflight;
	ocfsx_ns_t t_issue;
	ocfsx_ns_t t_done;		/* set by the completion */
	int read_err;
	int read_complete;		/* release/acquire with the completion */
	bool read_err_logged;

	/* Writes: our block from wpage. */
	struct page *wpage;
	bool write_inflight;
	struct ocfsx_hb_write w;
	ocfsx_ns_t t_complete;
	int write_err;
	int write_complete;

	struct task_struct *task;
	int stop_req;
	bool stop_called;
	bool fence_called;
	bool left;
	/* Published for lockless readers. */
	atomic64_t lease_end;		/* I/O allowed while now < lease_end */
	atomic_t state;			/* enum ocfsx_hb_region_state */
	atomic_t rounds;
	ocfsx_ns_t last_write;		/* t_complete of our newest write */
};

static LIST_HEAD(hb_regions);
static DEFINE_MUTEX(hb_regions_mutex);	/* list changes; outside core_mutex */
static DEFINE_SPINLOCK(hb_list_lock);	/* list changes vs RCU readers */
static DECLARE_WAIT_QUEUE_HEAD(hb_wq);	/* completions, requests, waiters */

/* Node-wide view: hb_event_mutex orders delivery, hb_view_lock readers. */
static DEFINE_MUTEX(hb_event_mutex);
static DEFINE_SPINLOCK(hb_view_lock);
static u8 hb_live_count[HB_MAX_NODES];	/* regions that see the node live */
static u64 hb_view_gen[HB_MAX_NODES];
static bool hb_view_seen[HB_MAX_NODES];
static LIST_HEAD(hb_subscribers);

void ocfsx_heartbeat_kick(void)
{
	wake_up_all(&hb_wq);
}

/* ----------------------------------------------------------------------
 * The node-wide view
 */

static void hb_view_up(u32 node, u64 gen)
{
	struct ocfsx_heartbeat_subscriber *s;
	bool first;

	mutex_lock(&hb_event_mutex);
	spin_lock(&hb_view_lock);
	first = hb_live_count[node]++ == 0;
	if (first)
		hb_view_gen[node] = gen;
	hb_view_seen[node] = true;
	spin_unlock(&hb_view_lock);
	if (first) {
		ocfsx_quorum_node_up(node);
		list_for_each_entry(s, &hb_subscribers, link)
			if (s->node_up)
				s->node_up(s->priv, node, gen);
	}
	mutex_unlock(&hb_event_mutex);
}

/* notify: a real death; false when a stopping region just forgets it. */
static void hb_view_down(u32 node, bool notify)
{
	struct ocfsx_heartbeat_subscriber *s;
	bool last;
	u64 gen;

	mutex_lock(&hb_event_mutex);
	spin_lock(&hb_view_lock);
	last = hb_live_count[node] && --hb_live_count[node] == 0;
	gen = hb_view_gen[node];
	spin_unlock(&hb_view_lock);
	if (last) {
		ocfsx_quorum_node_down(node);
		if (notify)
			list_for_each_entry(s, &hb_subscribers, link)
				if (s->node_down)
					s->node_down(s->priv, node, gen);
	}
	mutex_unlock(&hb_event_mutex);
}

void ocfsx_heartbeat_subscribe(struct ocfsx_heartbeat_subscriber *s)
{
	u32 n;

	mutex_lock(&hb_event_mutex);
	list_add_tail(&s->link, &hb_subscribers);
	for (n = 0; n < HB_MAX_NODES; n++)
		if (s->node_up && READ_ONCE(hb_live_count[n]))
			s->node_up(s->priv, n, READ_ONCE(hb_view_gen[n]));
	mutex_unlock(&hb_event_mutex);
}

void ocfsx_heartbeat_unsubscribe(struct ocfsx_heartbeat_subscriber *s)
{
	mutex_lock(&hb_event_mutex);
	list_del_init(&s->link);
	mutex_unlock(&hb_event_mutex);
}

/* ----------------------------------------------------------------------
 * Blocks
 */

static void *hb_rblock(struct ocfsx_hb_region *r, u32 n)
{
	size_t off = (size_t)n * r->block_bytes;

	return page_address(r->rpages[off >> PAGE_SHIFT]) +
	       (off & ~PAGE_MASK);
}

static u32 hb_csum(const void *block, u32 bytes)
{
	static const u8 zero[4];
	const size_t off = offsetof(struct ocfsx_block_header, bh_crc32c);
	u32 c;

	c = crc32c(~0U, block, off);
	c = crc32c(c, zero, 4);
	c = crc32c(c, block + off + 4, bytes - off - 4);
	return ~c;
}

/* The five checks of format.md §3, plus hb_node and the owner. */
static bool hb_block_valid(struct ocfsx_hb_region *r, u32 n,
			   const struct ocfsx_heartbeat_block *b)
{
	return le32_to_cpu(b->hb_hdr.bh_magic) == OCFSX_META_MAGIC &&
	       le16_to_cpu(b->hb_hdr.bh_type) == OCFSX_BT_HEARTBEAT &&
	       le64_to_cpu(b->hb_hdr.bh_blkno) == r->start_block + n &&
	       le32_to_cpu(b->hb_hdr.bh_fs_generation) == r->fs_generation &&
	       le64_to_cpu(b->hb_hdr.bh_owner) == r->owner &&
	       le32_to_cpu(b->hb_node) == n &&
	       le32_to_cpu(b->hb_hdr.bh_crc32c) == hb_csum(b, r->block_bytes);
}

static void hb_fill_write(struct ocfsx_hb_region *r,
			  const struct ocfsx_hb_write *w)
{
	struct ocfsx_heartbeat_block *b = page_address(r->wpage);
	struct timespec64 ts;

	memset(b, 0, r->block_bytes);
	ktime_get_real_ts64(&ts);
	b->hb_hdr.bh_magic = cpu_to_le32(OCFSX_META_MAGIC);
	b->hb_hdr.bh_blkno = cpu_to_le64(r->start_block + r->self);
	b->hb_hdr.bh_owner = cpu_to_le64(r->owner);
	b->hb_hdr.bh_fs_generation = cpu_to_le32(r->fs_generation);
	b->hb_hdr.bh_type = cpu_to_le16(OCFSX_BT_HEARTBEAT);
	b->hb_hdr.bh_alloc_slot = cpu_to_le16(OCFSX_SLOT_NONE);
	b->hb_hdr.bh_last_writer = cpu_to_le16(r->slot);
	b->hb_seq = cpu_to_le64(w->seq);
	b->hb_generation = cpu_to_le64(w->generation);
	b->hb_time_sec = cpu_to_le64(ts.tv_sec);
	b->hb_time_nsec = cpu_to_le32(ts.tv_nsec);
	b->hb_node = cpu_to_le32(r->self);
	b->hb_interval_ms = cpu_to_le32(w->interval_ms);
	b->hb_dead_ms = cpu_to_le32(w->dead_ms);
	b->hb_flags = cpu_to_le32(w->flags);
	b->hb_slot = cpu_to_le16(r->slot);
	memcpy(b->hb_cluster, r->cluster, sizeof(b->hb_cluster));
	memcpy(b->hb_host, r->host, sizeof(b->hb_host));
	b->hb_hdr.bh_crc32c = cpu_to_le32(hb_csum(b, r->block_bytes));
}

/* ----------------------------------------------------------------------
 * I/O: completion times are taken in the callbacks (§1)
 */

static void hb_read_end_io(struct bio *bio)
{
	struct ocfsx_hb_region *r = bio->bi_private;

	r->t_done = ktime_get_ns();
	r->read_err = blk_status_to_errno(bio->bi_status);
	smp_store_release(&r->read_complete, 1);
	bio_put(bio);
	wake_up_all(&hb_wq);
}

static void hb_write_end_io(struct bio *bio)
{
	struct ocfsx_hb_region *r = bio->bi_private;

	r->t_complete = ktime_get_ns();
	r->write_err = blk_status_to_errno(bio->bi_status);
	smp_store_release(&r->write_complete, 1);
	bio_put(bio);
	wake_up_all(&hb_wq);
}

static sector_t hb_sector(struct ocfsx_hb_region *r, u32 n)
{
	return ((r->start_block + n) * r->block_bytes) >> SECTOR_SHIFT;
}

static void hb_submit_read(struct ocfsx_hb_region *r)
{
	size_t left = (size_t)r->blocks * r->block_bytes;
	struct bio *bio;
	unsigned int i;

	bio = bio_alloc(r->bdev, r->nr_rpages, REQ_OP_READ | REQ_SYNC |
			REQ_META | REQ_PRIO, GFP_KERNEL);
	bio->bi_iter.bi_sector = hb_sector(r, 0);
	for (i = 0; i < r->nr_rpages; i++) {
		size_t len = min_t(size_t, left, PAGE_SIZE);

		__bio_add_page(bio, r->rpages[i], len, 0);
		left -= len;
	}
	bio->bi_end_io = hb_read_end_io;
	bio->bi_private = r;
	r->read_complete = 0;
	r->read_inflight = true;
	r->t_issue = ktime_get_ns();
	submit_bio(bio);
}

static void hb_submit_write(struct ocfsx_hb_region *r)
{
	struct bio *bio;

	hb_fill_write(r, &r->w);
	bio = bio_alloc(r->bdev, 1, REQ_OP_WRITE | REQ_SYNC | REQ_META |
			REQ_PRIO | REQ_FUA, GFP_KERNEL);
	bio->bi_iter.bi_sector = hb_sector(r, r->self);
	__bio_add_page(bio, r->wpage, r->block_bytes, 0);
	bio->bi_end_io = hb_write_end_io;
	bio->bi_private = r;
	r->write_complete = 0;
	r->write_inflight = true;
	submit_bio(bio);
}

/* Feeds a completed read to the core (core_mutex held). */
static void hb_process_read(struct ocfsx_hb_region *r)
{
	struct ocfsx_hb_round round;
	u32 n;

	r->read_inflight = false;
	if (r->read_err) {
		if (!r->read_err_logged)
			pr_err("region %s: reading the heartbeat blocks failed (error %d); check the device and its path\n",
			       r->name, r->read_err);
		r->read_err_logged = true;
		return;
	}
	for (n = 0; n < r->blocks; n++) {
		const struct ocfsx_heartbeat_block *b = hb_rblock(r, n);
		struct ocfsx_hb_sample *s = &r->samples[n];

		s->valid = hb_block_valid(r, n, b);
		s->seq = le64_to_cpu(b->hb_seq);
		s->generation = le64_to_cpu(b->hb_generation);
		s->flags = le32_to_cpu(b->hb_flags);
		s->interval_ms = le32_to_cpu(b->hb_interval_ms);
		s->dead_ms = le32_to_cpu(b->hb_dead_ms);
	}
	round.t_issue = r->t_issue;
	round.t_done = r->t_done;
	round.nr = r->blocks;
	round.samples = r->samples;
	ocfsx_hb_read_done(r->core, &round);
	atomic_inc(&r->rounds);
}

static const char *hb_host_of(struct ocfsx_hb_region *r, u32 n,
			      char *buf, size_t len)
{
	const struct ocfsx_heartbeat_block *b = hb_rblock(r, n);

	snprintf(buf, len, "%.*s", (int)strnlen(b->hb_host,
		 sizeof(b->hb_host)), b->hb_host);
	return buf;
}

/* hb_core's events, from inside a core call (core_mutex held). */
static void hb_core_event(void *priv, const struct ocfsx_proto_event *ev)
{
	struct ocfsx_hb_region *r = priv;
	char host[OCFSX_HOST_NAME_LEN + 1];
	const struct ocfsx_hb_sample *s;

	switch (ev->type) {
	case OCFSX_EV_NODE_UP:
		if (ev->node < HB_MAX_NODES &&
		    !test_and_set_bit(ev->node, r->live))
			hb_view_up(ev->node, ev->generation);
		break;
	case OCFSX_EV_NODE_DOWN:
		if (ev->node < HB_MAX_NODES &&
		    test_and_clear_bit(ev->node, r->live))
			hb_view_down(ev->node, true);
		break;
	case OCFSX_EV_SELF_LIVE:
		ocfsx_quorum_self_live();
		break;
	case OCFSX_EV_SAME_NODE:
		if (ev->node == r->self)
			pr_err("region %s: node number %u is already in use by a live node (host \"%s\"); give this node another number\n",
			       r->name, r->self,
			       hb_host_of(r, r->self, host, sizeof(host)));
		else
			pr_err("region %s: two nodes write heartbeat as node %u (host \"%s\" last); give each node its own number\n",
			       r->name, ev->node,
			       hb_host_of(r, ev->node, host, sizeof(host)));
		break;
	case OCFSX_EV_CONFIG_MISMATCH:
		s = &r->samples[ev->node];
		pr_err("region %s: node %u (host \"%s\") heartbeats every %u ms with dead time %u ms, this node every %u ms with %u ms; give every node the same heartbeat_interval_ms and dead_threshold\n",
		       r->name, ev->node,
		       hb_host_of(r, ev->node, host, sizeof(host)),
		       s->interval_ms, s->dead_ms, r->interval_ms,
		       (u32)(r->core->dead_ns / OCFSX_NS_PER_MS));
		break;
	case OCFSX_EV_FENCE:
		ocfsx_quorum_fence(ev->reason);
		break;
	default:
		break;
	}
}

/* ----------------------------------------------------------------------
 * The region thread
 */

static u32 hb_region_state(u32 core_state)
{
	switch (core_state) {
	case OCFSX_HB_OBSERVING:	return OCFSX_HB_REGION_OBSERVING;
	case OCFSX_HB_ACTIVE:		return OCFSX_HB_REGION_ACTIVE;
	case OCFSX_HB_STOPPING:		return OCFSX_HB_REGION_STOPPING;
	case OCFSX_HB_STOPPED:		return OCFSX_HB_REGION_STOPPED;
	case OCFSX_HB_CONFLICT:		return OCFSX_HB_REGION_CONFLICT;
	default:			return OCFSX_HB_REGION_FENCED;
	}
}

static void hb_publish(struct ocfsx_hb_region *r)
{
	struct ocfsx_hb_core *hb = r->core;
	s64 end = 0;

	if (hb->state == OCFSX_HB_ACTIVE && hb->have_lease &&
	    !ocfsx_quorum_fenced())
		end = hb->lease_anchor + hb->lease_ns;
	atomic64_set(&r->lease_end, end);
	atomic_set(&r->state, hb_region_state(hb->state));
}

static bool hb_terminal(u32 state)
{
	return state == OCFSX_HB_STOPPED || state == OCFSX_HB_CONFLICT ||
	       state == OCFSX_HB_FENCED;
}

/* One pass of the loop; returns when to run next (OCFSX_NS_NEVER: idle). */
static ocfsx_ns_t hb_step(struct ocfsx_hb_region *r, ocfsx_ns_t *next_tick)
{
	struct ocfsx_hb_core *hb = r->core;
	ocfsx_ns_t now, dl, interval = (ocfsx_ns_t)r->interval_ms *
				       OCFSX_NS_PER_MS;

	mutex_lock(&r->core_mutex);
	if (ocfsx_quorum_fenced() && !r->fence_called) {
		r->fence_called = true;
		ocfsx_hb_fence(hb, OCFSX_REASON_REQUESTED);
	}
	if ((READ_ONCE(r->stop_req) || ocfsx_quorum_left()) &&
	    !r->stop_called) {
		r->stop_called = true;
		ocfsx_hb_stop(hb);
		*next_tick = ocfsx_proto_kernel_now(NULL);	/* write STOPPED right away */
	}
	if (r->write_inflight && smp_load_acquire(&r->write_complete)) {
		r->write_inflight = false;
		if (!r->write_err)
			r->last_write = r->t_complete;
		ocfsx_hb_write_done(hb, &r->w, r->t_complete, r->write_err);
	}
	if (r->read_inflight && smp_load_acquire(&r->read_complete))
		hb_process_read(r);

	now = ocfsx_proto_kernel_now(NULL);
	dl = ocfsx_hb_next_deadline(hb);
	if (dl != OCFSX_NS_NEVER && now >= dl)
		ocfsx_hb_tick(hb);

	if (now >= *next_tick && !hb_terminal(hb->state)) {
		/*
		 * Read before writing: the read then samples our block as far
		 * from our own last write as it can be, so a second writer on
		 * our number, whatever its phase, is seen within a round.
		 * Written first, the read would find our fresh write every
		 * time and two writers in step could go on unnoticed.
		 */
		if (!r->read_inflight)
			hb_submit_read(r);
		if (!r->write_inflight && !ocfsx_quorum_fenced() &&
		    ocfsx_hb_prepare_write(hb, &r->w))
			hb_submit_write(r);
		/* Absolute schedule: a late tick does not shift later ones. */
		while (*next_tick <= now)
			*next_tick += interval;
	}
	hb_publish(r);
	if (hb_terminal(hb->state)) {
		dl = OCFSX_NS_NEVER;
	} else {
		dl = ocfsx_hb_next_deadline(hb);
		if (*next_tick < dl)
			dl = *next_tick;
	}
	mutex_unlock(&r->core_mutex);
	ocfsx_heartbeat_kick();	/* waiters may look at the new state */
	return dl;
}

static bool hb_wake_cond(struct ocfsx_hb_region *r)
{
	return kthread_should_stop() ||
	       (r->write_inflight && smp_load_acquire(&r->write_complete)) ||
	       (r->read_inflight && smp_load_acquire(&r->read_complete)) ||
	       (READ_ONCE(r->stop_req) && !r->stop_called) ||
	       (ocfsx_quorum_fenced() && !r->fence_called) ||
	       (ocfsx_quorum_left() && !r->stop_called);
}

static int hb_thread(void *arg)
{
	struct ocfsx_hb_region *r = arg;
	ocfsx_ns_t next_tick = ocfsx_proto_kernel_now(NULL), dl, now;
	long timeout;

	while (!kthread_should_stop()) {
		dl = hb_step(r, &next_tick);
		if (dl == OCFSX_NS_NEVER) {
			timeout = MAX_SCHEDULE_TIMEOUT;
			/* In-flight I/O must still complete before exit. */
			if (r->read_inflight || r->write_inflight)
				timeout = HZ / 10;
		} else {
			now = ocfsx_proto_kernel_now(NULL);
			timeout = dl > now ? nsecs_to_jiffies(dl - now) + 1 : 0;
		}
		if (timeout)
			wait_event_interruptible_timeout(hb_wq, hb_wake_cond(r),
							 timeout);
	}
	/* Nothing may complete into a freed region. */
	while (r->read_inflight || r->write_inflight) {
		if (r->read_inflight && smp_load_acquire(&r->read_complete))
			r->read_inflight = false;
		if (r->write_inflight && smp_load_acquire(&r->write_complete))
			r->write_inflight = false;
		wait_event_timeout(hb_wq,
				   (!r->read_inflight ||
				    smp_load_acquire(&r->read_complete)) &&
				   (!r->write_inflight ||
				    smp_load_acquire(&r->write_complete)),
				   HZ);
	}
	return 0;
}

/* ----------------------------------------------------------------------
 * Opening a global region's device
 */

static int hb_read_block(struct block_device *bdev, u64 byte_off, void *buf,
			 u32 len)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct bio *bio;
	int ret;

	if (!page)
		return -ENOMEM;
	bio = bio_alloc(bdev, 1, REQ_OP_READ | REQ_SYNC | REQ_META, GFP_KERNEL);
	bio->bi_iter.bi_sector = byte_off >> SECTOR_SHIFT;
	__bio_add_page(bio, page, len, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (!ret)
		memcpy(buf, page_address(page), len);
	__free_page(page);
	return ret;
}

static bool hb_meta_ok(const void *block, u32 bytes, u16 type, u64 blkno,
		       u32 gen)
{
	const struct ocfsx_block_header *h = block;

	return le32_to_cpu(h->bh_magic) == OCFSX_META_MAGIC &&
	       le16_to_cpu(h->bh_type) == type &&
	       le64_to_cpu(h->bh_blkno) == blkno &&
	       le32_to_cpu(h->bh_fs_generation) == gen &&
	       le32_to_cpu(h->bh_crc32c) == hb_csum(block, bytes);
}

/* Looks for "heartbeat" in the dirents of [start, end) of buf. */
static bool hb_scan_dirents(const void *buf, u32 start, u32 end, u64 *ino)
{
	u32 off = start;

	while (off + OCFSX_DIRENT_NAME_OFFSET <= end) {
		const struct ocfsx_dir_entry *de = buf + off;
		u32 rec = le16_to_cpu(de->de_rec_len);

		if (rec < OCFSX_DIRENT_NAME_OFFSET || off + rec > end)
			return false;
		if (de->de_ino && de->de_name_len == 9 &&
		    OCFSX_DIRENT_NAME_OFFSET + 9 <= rec &&
		    !memcmp(buf + off + OCFSX_DIRENT_NAME_OFFSET, "heartbeat", 9)) {
			*ino = le64_to_cpu(de->de_ino);
			return true;
		}
		off += rec;
	}
	return false;
}

/*
 * The heartbeat inode is found by name in the system directory: inline, or
 * in the dirent blocks of a depth-0 extent list (small block sizes). The
 * inode found must then pass every check and say it is the heartbeat.
 */
static int hb_find_owner(struct block_device *bdev, u64 sysdir, u32 bs,
			 u32 cbits, u32 gen, void *buf, u64 *owner)
{
	const struct ocfsx_inode *in = buf;
	const struct ocfsx_extent_hdr *eh;
	struct ocfsx_extent ext[8];
	u32 bits = ilog2(bs), used, i, body;
	u64 size, blk, nblk, j, scanned = 0;
	bool found = false;
	int ret;

	if (cbits < bits || cbits > OCFSX_MAX_CLUSTERSIZE_BITS)
		return -EINVAL;
	ret = hb_read_block(bdev, sysdir * bs, buf, bs);
	if (ret)
		return ret;
	if (!hb_meta_ok(buf, bs, OCFSX_BT_INODE, sysdir, gen))
		return -EINVAL;
	size = le64_to_cpu(in->i_size);
	body = bs - OCFSX_INODE_BODY_OFFSET;
	if (in->i_body_format == OCFSX_BODY_INLINE) {
		found = hb_scan_dirents(buf, OCFSX_INODE_BODY_OFFSET,
					OCFSX_INODE_BODY_OFFSET +
					min_t(u64, size, body), owner);
	} else if (in->i_body_format == OCFSX_BODY_EXTENTS) {
		eh = buf + OCFSX_INODE_BODY_OFFSET;
		used = le16_to_cpu(eh->eh_used);
		if (le16_to_cpu(eh->eh_depth) || used > ARRAY_SIZE(ext) ||
		    sizeof(*eh) + used * sizeof(ext[0]) > body)
			return -EINVAL;
		memcpy(ext, (const void *)(eh + 1), used * sizeof(ext[0]));
		for (i = 0; i < used && !found; i++) {
			blk = le64_to_cpu(ext[i].ex_start) << (cbits - bits);
			nblk = (u64)le32_to_cpu(ext[i].ex_clusters) <<
			       (cbits - bits);
			for (j = 0; j < nblk && !found; j++) {
				if (++scanned > 64 || (scanned - 1) * bs >= size)
					break;
				ret = hb_read_block(bdev, (blk + j) * bs, buf, bs);
				if (ret)
					return ret;
				found = hb_scan_dirents(buf, 0, bs - 64, owner);
			}
		}
	}
	if (!found)
		return -ENOENT;
	ret = hb_read_block(bdev, *owner * bs, buf, bs);
	if (ret)
		return ret;
	if (!hb_meta_ok(buf, bs, OCFSX_BT_INODE, *owner, gen) ||
	    le16_to_cpu(in->i_sys_type) != OCFSX_SYS_HEARTBEAT)
		return -EINVAL;
	return 0;
}

/*
 * Logs why a region cannot start, and gives the same words (without the
 * "region NAME: " prefix) to the caller's errbuf for its status file.
 */
static __printf(2, 3) void hb_start_err(const struct ocfsx_hb_region_params *p,
					 const char *fmt, ...)
{
	char msg[256];
	size_t skip;
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	pr_err("%s\n", msg);
	if (!p->errbuf || !p->errlen)
		return;
	skip = strlen("region : ") + strlen(p->name ? p->name : "?");
	strscpy(p->errbuf, strlen(msg) > skip ? msg + skip : msg, p->errlen);
}

/* Reads the superblock, checks the region against it (one line if not). */
static int hb_check_volume(struct ocfsx_hb_region *r,
			   const struct ocfsx_hb_region_params *p, const char *dev)
{
	const struct ocfsx_super_block *sb;
	u32 bs, bits;
	void *buf;
	int ret;

	buf = kmalloc(OCFSX_MAX_BLOCKSIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	sb = buf;
	ret = hb_read_block(r->bdev, OCFSX_SUPER_OFFSET, buf, OCFSX_MAX_BLOCKSIZE);
	if (ret) {
		hb_start_err(p, "region %s: cannot read the superblock of %s (error %d); check the device",
		       r->name, dev, ret);
		goto out;
	}
	bits = sb->s_blocksize_bits;
	if (le32_to_cpu(sb->s_hdr.bh_magic) != OCFSX_META_MAGIC ||
	    le16_to_cpu(sb->s_hdr.bh_type) != OCFSX_BT_SUPER ||
	    bits < OCFSX_MIN_BLOCKSIZE_BITS || bits > OCFSX_MAX_BLOCKSIZE_BITS ||
	    !hb_meta_ok(buf, 1U << bits, OCFSX_BT_SUPER,
			OCFSX_SUPER_OFFSET >> bits,
			le32_to_cpu(sb->s_hdr.bh_fs_generation))) {
		hb_start_err(p, "region %s: %s holds no valid ocfsx superblock; format it with mkfs.ocfsx or point dev at the volume whose UUID names the region",
		       r->name, dev);
		ret = -EINVAL;
		goto out;
	}
	bs = 1U << bits;
	r->fs_generation = le32_to_cpu(sb->s_hdr.bh_fs_generation);
	if (r->block_bytes != bs || r->start_block != le64_to_cpu(sb->s_hb_blkno) ||
	    r->blocks > le32_to_cpu(sb->s_hb_blocks)) {
		hb_start_err(p, "region %s: start_block %llu, blocks %u, block_bytes %u do not match the heartbeat area of %s (start_block %llu, blocks %u, block_bytes %u); write those values",
		       r->name, r->start_block, r->blocks, r->block_bytes, dev,
		       le64_to_cpu(sb->s_hb_blkno), le32_to_cpu(sb->s_hb_blocks),
		       bs);
		ret = -EINVAL;
		goto out;
	}
	ret = hb_find_owner(r->bdev, le64_to_cpu(sb->s_system_dir_blkno), bs,
			    sb->s_clustersize_bits, r->fs_generation, buf,
			    &r->owner);
	if (ret)
		hb_start_err(p, "region %s: the system directory of %s has no valid heartbeat inode (error %d); run fsck.ocfsx",
		       r->name, dev, ret);
out:
	kfree(buf);
	return ret ? (ret == -ENOMEM ? ret : -EINVAL) : 0;
}

/* ----------------------------------------------------------------------
 * Start, wait, stop
 */

static void hb_region_free(struct ocfsx_hb_region *r)
{
	unsigned int i;

	if (r->rpages) {
		for (i = 0; i < r->nr_rpages; i++)
			if (r->rpages[i])
				__free_page(r->rpages[i]);
		kfree(r->rpages);
	}
	if (r->wpage)
		__free_page(r->wpage);
	if (r->own_bdev && r->bdev)
		blkdev_put(r->bdev, FMODE_READ | FMODE_WRITE);
	kfree(r->samples);
	kfree(r->core);
	kfree(r);
}

struct ocfsx_hb_region *ocfsx_hb_region_start(
		const struct ocfsx_hb_region_params *p)
{
	struct ocfsx_nm_cluster_info ci;
	struct ocfsx_hb_config cfg;
	struct ocfsx_hb_region *r, *o;
	unsigned int i;
	int ret;

	if (ocfsx_nm_cluster_info(&ci) || ci.local_node < 0) {
		hb_start_err(p, "region %s: cannot start heartbeat while the cluster is offline; set a local node first",
		       p->name);
		return ERR_PTR(-ENOTCONN);
	}
	if (!p->name || !p->name[0] || strlen(p->name) > OCFSX_REGION_NAME_MAX ||
	    (!p->bdev == !p->dev_path) || p->blocks == 0 ||
	    p->blocks > HB_MAX_NODES || (u32)ci.local_node >= p->blocks ||
	    (p->block_bytes != 512 && p->block_bytes != 1024 &&
	     p->block_bytes != 2048 && p->block_bytes != 4096)) {
		hb_start_err(p, "region %s: bad heartbeat parameters (blocks %u must exceed our node number %d, block_bytes %u must be 512..4096); fix the region settings",
		       p->name ? p->name : "?", p->blocks, ci.local_node,
		       p->block_bytes);
		return ERR_PTR(-EINVAL);
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	strscpy(r->name, p->name, sizeof(r->name));
	r->start_block = p->start_block;
	r->blocks = p->blocks;
	r->block_bytes = p->block_bytes;
	r->fs_generation = p->fs_generation;
	r->owner = p->owner;
	r->slot = p->slot;
	r->self = ci.local_node;
	r->interval_ms = ci.heartbeat_interval_ms;
	strncpy(r->cluster, ci.name, sizeof(r->cluster));
	strncpy(r->host, init_utsname()->nodename, sizeof(r->host));
	mutex_init(&r->core_mutex);
	atomic64_set(&r->lease_end, 0);
	atomic_set(&r->state, OCFSX_HB_REGION_OBSERVING);
	do {
		r->generation = get_random_u64();
	} while (!r->generation);

	ret = -ENOMEM;
	r->core = kzalloc(sizeof(*r->core), GFP_KERNEL);
	r->samples = kcalloc(r->blocks, sizeof(*r->samples), GFP_KERNEL);
	r->nr_rpages = DIV_ROUND_UP((size_t)r->blocks * r->block_bytes,
				    PAGE_SIZE);
	r->rpages = kcalloc(r->nr_rpages, sizeof(*r->rpages), GFP_KERNEL);
	r->wpage = alloc_page(GFP_KERNEL);
	if (!r->core || !r->samples || !r->rpages || !r->wpage)
		goto fail;
	for (i = 0; i < r->nr_rpages; i++) {
		r->rpages[i] = alloc_page(GFP_KERNEL);
		if (!r->rpages[i])
			goto fail;
	}

	if (p->bdev) {
		r->local = true;
		r->bdev = p->bdev;
	} else {
		r->bdev = blkdev_get_by_path(p->dev_path,
					     FMODE_READ | FMODE_WRITE, NULL);
		if (IS_ERR(r->bdev)) {
			ret = PTR_ERR(r->bdev);
			r->bdev = NULL;
			hb_start_err(p, "region %s: cannot open %s (error %d); check dev",
			       r->name, p->dev_path, ret);
			goto fail;
		}
		r->own_bdev = true;
		ret = hb_check_volume(r, p, p->dev_path);
		if (ret)
			goto fail;
	}
	if (r->block_bytes < bdev_logical_block_size(r->bdev)) {
		hb_start_err(p, "region %s: block_bytes %u is below the device's sector size %u; reformat with a larger block size",
		       r->name, r->block_bytes,
		       bdev_logical_block_size(r->bdev));
		ret = -EINVAL;
		goto fail;
	}

	r->env.priv = r;
	r->env.now = ocfsx_proto_kernel_now;
	r->env.log = ocfsx_proto_kernel_log;
	r->env.event = hb_core_event;
	memset(&cfg, 0, sizeof(cfg));
	cfg.self = r->self;
	cfg.nr_nodes = r->blocks;
	cfg.interval_ms = ci.heartbeat_interval_ms;
	cfg.dead_threshold = ci.dead_threshold;
	cfg.generation = r->generation;
	ret = ocfsx_hb_init(r->core, &r->env, &cfg);
	if (ret) {
		hb_start_err(p, "region %s: heartbeat_interval_ms %u x dead_threshold %u leaves no lease after the %u ms fence margin; raise dead_threshold",
		       r->name, ci.heartbeat_interval_ms, ci.dead_threshold,
		       OCFSX_HB_DEFAULT_FENCE_MARGIN_MS);
		ret = -EINVAL;
		goto fail;
	}

	mutex_lock(&hb_regions_mutex);
	list_for_each_entry(o, &hb_regions, link) {
		if (!strcmp(o->name, r->name)) {
			mutex_unlock(&hb_regions_mutex);
			hb_start_err(p, "region %s: heartbeat already runs on this region; stop it first",
			       r->name);
			ret = -EBUSY;
			goto fail;
		}
	}
	ocfsx_quorum_region_start();
	r->task = kthread_run(hb_thread, r, "ocfsx_hb-%.8s", r->name);
	if (IS_ERR(r->task)) {
		ret = PTR_ERR(r->task);
		mutex_unlock(&hb_regions_mutex);
		ocfsx_quorum_region_stop();
		hb_start_err(p, "region %s: cannot start the heartbeat thread (error %d)",
		       r->name, ret);
		goto fail;
	}
	spin_lock(&hb_list_lock);
	list_add_tail_rcu(&r->link, &hb_regions);
	spin_unlock(&hb_list_lock);
	mutex_unlock(&hb_regions_mutex);
	pr_info("region %s: heartbeat started as node %u (generation %016llx)\n",
		r->name, r->self, r->generation);
	return r;

fail:
	hb_region_free(r);
	return ERR_PTR(ret);
}

static int hb_live_result(struct ocfsx_hb_region *r)
{
	u32 st = atomic_read(&r->state);

	if (st == OCFSX_HB_REGION_CONFLICT)
		return -EEXIST;
	if (ocfsx_quorum_fenced() || st == OCFSX_HB_REGION_FENCED)
		return -EIO;
	if (ocfsx_quorum_left())
		return -ENOTCONN;
	if (st == OCFSX_HB_REGION_STOPPED || st == OCFSX_HB_REGION_STOPPING)
		return -EIO;
	if (st == OCFSX_HB_REGION_ACTIVE && ocfsx_quorum_joined())
		return 0;
	return 1;
}

int ocfsx_hb_region_wait_live(struct ocfsx_hb_region *r)
{
	/*
	 * Observing takes a dead time, joining at most a stranger grace
	 * (2 x (dead_threshold + 3) intervals); double both for slow disks.
	 */
	u32 ms = 2 * (r->core->cfg.dead_threshold * r->interval_ms +
		      2 * ocfsx_quo_default_grace_ms(r->interval_ms,
						     r->core->cfg.dead_threshold));
	long left;
	int ret = 1;

	left = wait_event_interruptible_timeout(hb_wq,
			(ret = hb_live_result(r)) <= 0,
			msecs_to_jiffies(ms));
	if (left < 0)
		return -EINTR;
	if (ret > 0)
		return -ETIMEDOUT;
	return ret;
}

void ocfsx_hb_region_stop(struct ocfsx_hb_region *r)
{
	u32 n;

	WRITE_ONCE(r->stop_req, 1);
	ocfsx_heartbeat_kick();
	/* The core gives up on the STOPPED write once the lease is gone. */
	wait_event_timeout(hb_wq, hb_terminal(READ_ONCE(r->core->state)) ||
			   atomic_read(&r->state) == OCFSX_HB_REGION_STOPPED,
			   msecs_to_jiffies(4 * r->core->cfg.dead_threshold *
					    r->interval_ms));
	kthread_stop(r->task);

	mutex_lock(&hb_regions_mutex);
	spin_lock(&hb_list_lock);
	list_del_rcu(&r->link);
	spin_unlock(&hb_list_lock);
	mutex_unlock(&hb_regions_mutex);
	synchronize_rcu();
	/* Nodes only this region saw are forgotten, not declared dead. */
	for (n = 0; n < HB_MAX_NODES; n++)
		if (test_and_clear_bit(n, r->live))
			hb_view_down(n, false);
	ocfsx_quorum_region_stop();
	pr_info("region %s: heartbeat stopped (%s)\n", r->name,
		atomic_read(&r->state) == OCFSX_HB_REGION_STOPPED ?
		"clean" : "no final write");
	hb_region_free(r);
	ocfsx_heartbeat_kick();
}

void ocfsx_hb_region_stats(struct ocfsx_hb_region *r,
			   struct ocfsx_hb_region_stats *st)
{
	st->state = atomic_read(&r->state);
	st->rounds = atomic_read(&r->rounds);
	st->generation = r->generation;
}

void ocfsx_hb_region_live_nodes(struct ocfsx_hb_region *r,
				unsigned long *map)
{
	u32 n;

	bitmap_zero(map, OCFSX_NM_MAX_NODES);
	for (n = 0; n < HB_MAX_NODES && n < OCFSX_NM_MAX_NODES; n++)
		if (n != r->self && test_bit(n, r->live))
			__set_bit(n, map);
}

/* ----------------------------------------------------------------------
 * Node-wide queries
 */

bool ocfsx_heartbeat_io_allowed(void)
{
	struct ocfsx_hb_region *r;
	s64 now = ktime_get_ns();
	bool ok = false;

	if (ocfsx_quorum_fenced())
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(r, &hb_regions, link) {
		if (now >= atomic64_read(&r->lease_end)) {
			ok = false;
			break;
		}
		ok = true;
	}
	rcu_read_unlock();
	return ok;
}

bool ocfsx_hb_region_io_allowed(struct ocfsx_hb_region *r)
{
	return !ocfsx_quorum_fenced() &&
	       ktime_get_ns() < atomic64_read(&r->lease_end);
}

int ocfsx_heartbeat_regions(void)
{
	struct ocfsx_hb_region *r;
	int n = 0;

	mutex_lock(&hb_regions_mutex);
	list_for_each_entry(r, &hb_regions, link)
		n++;
	mutex_unlock(&hb_regions_mutex);
	return n;
}

int ocfsx_heartbeat_local_regions(void)
{
	struct ocfsx_hb_region *r;
	int n = 0;

	mutex_lock(&hb_regions_mutex);
	list_for_each_entry(r, &hb_regions, link)
		n += r->local;
	mutex_unlock(&hb_regions_mutex);
	return n;
}

void ocfsx_heartbeat_live_nodes(unsigned long *map)
{
	struct ocfsx_hb_region *r;
	u32 n;

	bitmap_zero(map, HB_MAX_NODES);
	spin_lock(&hb_view_lock);
	for (n = 0; n < HB_MAX_NODES; n++)
		if (hb_live_count[n])
			__set_bit(n, map);
	spin_unlock(&hb_view_lock);
	mutex_lock(&hb_regions_mutex);
	list_for_each_entry(r, &hb_regions, link)
		if (atomic_read(&r->state) == OCFSX_HB_REGION_ACTIVE)
			__set_bit(r->self, map);
	mutex_unlock(&hb_regions_mutex);
}

int ocfsx_heartbeat_node_stats(u32 node, struct ocfsx_hb_node_stats *st)
{
	struct ocfsx_hb_region *r;
	ocfsx_ns_t now = ocfsx_proto_kernel_now(NULL), last = 0;
	bool any = false, self_active = false;

	if (node >= HB_MAX_NODES)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->age_ms = -1;
	mutex_lock(&hb_regions_mutex);
	list_for_each_entry(r, &hb_regions, link) {
		const struct ocfsx_hb_node *hn;

		any = true;
		mutex_lock(&r->core_mutex);
		if (node == r->self) {
			if (r->core->state == OCFSX_HB_ACTIVE) {
				self_active = true;
				st->generation = r->generation;
			}
			if (r->last_write > last)
				last = r->last_write;
		} else if (node < r->blocks) {
			/* Its block last changed at the newer anchor. */
			hn = &r->core->nodes[node];
			if (hn->have)
				last = max3(last, hn->join_anchor,
					    hn->live_anchor);
		}
		mutex_unlock(&r->core_mutex);
	}
	mutex_unlock(&hb_regions_mutex);
	if (!any)
		return -ENOENT;
	spin_lock(&hb_view_lock);
	if (self_active || hb_live_count[node]) {
		st->view = OCFSX_HB_VIEW_LIVE;
		if (!self_active)
			st->generation = hb_view_gen[node];
	} else if (hb_view_seen[node]) {
		st->view = OCFSX_HB_VIEW_DEAD;
		st->generation = hb_view_gen[node];
	} else {
		st->view = OCFSX_HB_VIEW_UNKNOWN;
	}
	spin_unlock(&hb_view_lock);
	if (last)
		st->age_ms = div_s64(now - last, NSEC_PER_MSEC);
	return 0;
}

int ocfsx_heartbeat_init(void)
{
	memset(hb_live_count, 0, sizeof(hb_live_count));
	memset(hb_view_gen, 0, sizeof(hb_view_gen));
	memset(hb_view_seen, 0, sizeof(hb_view_seen));
	return 0;
}

void ocfsx_heartbeat_exit(void)
{
	/* Regions hold the module (configfs items, mounts): none is left. */
}

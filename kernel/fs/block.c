// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata block I/O: every block read is verified (magic, type, self
 * reference, fs generation, CRC-32C, owner) before anyone parses it, and
 * corruption is reported with inode and block and handled per errors=.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/notifier.h>
#include <linux/pagevec.h>
#include <linux/printk.h>

#include "../cluster/heartbeat.h"
#include "../cluster/quorum.h"
#include "ocfsx.h"

/*
 * How long a write waits for a lapsed heartbeat lease to come back (the
 * heartbeat write in flight completes) before the filesystem stops for
 * good: above the default dead time, so a node that is going to fence has
 * fenced by then.
 */
#define OCFSX_GATE_WAIT_MS	5000U
#define OCFSX_GATE_STEP_MS	20U
#define OCFSX_HB_WATCH		(HZ / 2)

const char *ocfsx_block_type_name(u16 type)
{
	switch (type) {
	case OCFSX_BT_SUPER:		return "superblock";
	case OCFSX_BT_INODE:		return "inode";
	case OCFSX_BT_EXTENT:		return "extent block";
	case OCFSX_BT_GROUP:		return "group descriptor";
	case OCFSX_BT_DIRBLOCK:		return "dirent block";
	case OCFSX_BT_DX_ROOT:		return "dx root";
	case OCFSX_BT_DX_NODE:		return "dx node";
	case OCFSX_BT_XATTR:		return "xattr block";
	case OCFSX_BT_HEARTBEAT:	return "heartbeat block";
	case OCFSX_BT_SLOT_MAP:		return "slot map block";
	default:			return "block";
	}
}

static struct ocfsx_block_header *hdr_of(struct super_block *sb, void *data,
					 u16 type)
{
	if (type == OCFSX_BT_DIRBLOCK)
		return data + sb->s_blocksize - OCFSX_DIR_TRAILER_SIZE;
	return data;
}

/* CRC-32C of the block with its checksum field read as zero (format §3). */
u32 ocfsx_block_csum(struct super_block *sb, const void *data, u16 type)
{
	static const u8 zero[4];
	u32 bs = sb->s_blocksize;
	u32 off = ocfsx_csum_offset(type, bs);
	u32 crc;

	crc = crc32c(~0U, data, off);
	crc = crc32c(crc, zero, 4);
	crc = crc32c(crc, data + off + 4, bs - off - 4);
	return ~crc;
}

void ocfsx_set_csum(struct super_block *sb, void *data, u16 type)
{
	struct ocfsx_block_header *h = hdr_of(sb, data, type);
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	h->bh_last_writer = cpu_to_le16(sbi->slot >= 0 ? sbi->slot :
					OCFSX_SLOT_NONE);
	h->bh_crc32c = cpu_to_le32(ocfsx_block_csum(sb, data, type));
}

void ocfsx_init_header(struct super_block *sb, void *data, u16 type,
		       u64 blkno, u64 owner)
{
	struct ocfsx_block_header *h = hdr_of(sb, data, type);

	memset(h, 0, sizeof(*h));
	h->bh_magic = cpu_to_le32(OCFSX_META_MAGIC);
	h->bh_blkno = cpu_to_le64(blkno);
	h->bh_owner = cpu_to_le64(owner);
	h->bh_fs_generation = cpu_to_le32(OCFSX_SB(sb)->fs_generation);
	h->bh_type = cpu_to_le16(type);
	h->bh_alloc_slot = cpu_to_le16(OCFSX_SLOT_NONE);
	h->bh_last_writer = cpu_to_le16(OCFSX_SLOT_NONE);
}

/*
 * A new metadata block at blkno owned by owner: zeroed, its header set,
 * journaled for create. The caller fills it in and dirties it.
 */
struct buffer_head *ocfsx_new_meta(handle_t *h, struct super_block *sb,
				   u64 blkno, u16 type, u64 owner)
{
	struct buffer_head *bh = sb_getblk(sb, blkno);
	int err;

	if (!bh)
		return ERR_PTR(-ENOMEM);
	err = ocfsx_journal_access(h, bh, true);
	if (err) {
		brelse(bh);
		return ERR_PTR(err);
	}
	lock_buffer(bh);
	memset(bh->b_data, 0, sb->s_blocksize);
	ocfsx_init_header(sb, bh->b_data, type, blkno, owner);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	return bh;
}

/* Which of the §3 checks (plus owner) the block fails, or NULL. */
static const char *verify(struct super_block *sb, struct buffer_head *bh,
			  u16 type, u64 blkno, u64 owner)
{
	struct ocfsx_block_header *h = hdr_of(sb, bh->b_data, type);
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (le32_to_cpu(h->bh_magic) != OCFSX_META_MAGIC)
		return "bad magic (not ocfsx metadata)";
	if (le16_to_cpu(h->bh_type) != type)
		return "wrong block type";
	/*
	 * A buffer jbd2 holds was verified when it came from disk and is
	 * ours since; another handle may be between changing it and
	 * refreshing its checksum (atime updates take no inode lock).
	 */
	if (!buffer_jbd(bh) && le32_to_cpu(h->bh_crc32c) !=
	    ocfsx_block_csum(sb, bh->b_data, type))
		return "checksum mismatch (torn or corrupted block)";
	if (le64_to_cpu(h->bh_blkno) != blkno)
		return "self-reference mismatch (misdirected write)";
	if (le32_to_cpu(h->bh_fs_generation) != sbi->fs_generation)
		return "fs generation mismatch (stale block from an earlier mkfs)";
	if (owner != U64_MAX && le64_to_cpu(h->bh_owner) != owner)
		return "owner mismatch";
	return NULL;
}

/*
 * Reads and verifies one metadata block. owner is the inode the block
 * must belong to (U64_MAX: do not check). Returns the buffer or an
 * ERR_PTR: -EFSCORRUPTED after reporting, -EIO on a read error.
 */
struct buffer_head *ocfsx_read_meta(struct super_block *sb, u64 blkno,
				    u16 type, u64 owner)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct buffer_head *bh;
	const char *why;

	if (blkno == 0 || blkno >= sbi->blocks) {
		ocfsx_error(sb, "inode %llu: %s number %llu is outside the volume",
			    owner == U64_MAX ? 0 : owner,
			    ocfsx_block_type_name(type), blkno);
		return ERR_PTR(-EFSCORRUPTED);
	}
	bh = sb_bread(sb, blkno);
	if (!bh) {
		pr_err("%s: read error at block %llu (%s): check the device and its path\n",
		       sbi->dev_name, blkno, ocfsx_block_type_name(type));
		return ERR_PTR(-EIO);
	}
	why = verify(sb, bh, type, blkno, owner);
	if (why) {
		ocfsx_error(sb, "inode %llu: block %llu (%s): %s",
			    owner == U64_MAX ? 0 : owner, blkno,
			    ocfsx_block_type_name(type), why);
		brelse(bh);
		return ERR_PTR(-EFSCORRUPTED);
	}
	return bh;
}

/* ---- heartbeat-gated I/O ---------------------------------------------- */

/*
 * May we write to the shared disk now? Cheap (no locks): every write path
 * asks. A cluster volume needs our heartbeat lease: once it lapses another
 * node may declare us dead and recover our journal, and a write of ours
 * landing after that would undo its work.
 */
bool ocfsx_io_allowed(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (test_bit(OCFSX_SBS_STOPPED, &sbi->state))
		return false;
	if (!test_bit(OCFSX_SBS_HB_GATED, &sbi->state))
		return true;
	if (sbi->hb)
		return ocfsx_hb_region_io_allowed(sbi->hb);
	return ocfsx_heartbeat_io_allowed();
}

/*
 * Before a write: 0, or -EIO once the filesystem stopped. A lapsed lease
 * may come back (our heartbeat write was only slow), so we wait for it a
 * while; a fence or a lease that stays lost stops the filesystem.
 */
int ocfsx_io_gate(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	unsigned int waited = 0;

	while (!ocfsx_io_allowed(sb)) {
		if (test_bit(OCFSX_SBS_STOPPED, &sbi->state))
			return -EIO;
		if (ocfsx_quorum_fenced() || waited >= OCFSX_GATE_WAIT_MS) {
			ocfsx_stop_io(sb);
			return -EIO;
		}
		msleep(OCFSX_GATE_STEP_MS);
		waited += OCFSX_GATE_STEP_MS;
	}
	return 0;
}

/*
 * Stops every write to the volume for the rest of the mount. The gate bit
 * goes first so that no new write starts, then jbd2 is aborted without
 * writing its superblock; the work item waits for jbd2's thread and drops
 * what is still dirty in the device's page cache. May be called in atomic
 * context (fence notification).
 */
void ocfsx_stop_io(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (test_and_set_bit(OCFSX_SBS_STOPPED, &sbi->state))
		return;
	ocfsx_journal_abort(sb);
	sb->s_flags |= SB_RDONLY;
	if (ocfsx_quorum_fenced())
		pr_crit("%s: this node is fenced: no more writes to the volume, it is read-only now; unmount it (nothing more is written) and mount again once the node has rejoined the cluster\n",
			sbi->dev_name);
	else
		pr_crit("%s: our disk heartbeat lease was lost for %u ms: no more writes to the volume, it is read-only now; unmount it (nothing more is written), check the device and 'o2cbx status', and mount again\n",
			sbi->dev_name, OCFSX_GATE_WAIT_MS);
	schedule_work(&sbi->stop_work);
}

/*
 * Metadata that jbd2 already committed sits dirty in the device's page
 * cache until the flusher (or umount's sync) writes it home: after a stop
 * nobody may write it, so it is made clean. A write already in flight
 * cannot be recalled.
 */
void ocfsx_drop_dirty_meta(struct super_block *sb)
{
	struct address_space *mapping = sb->s_bdev->bd_inode->i_mapping;
	struct pagevec pvec;
	pgoff_t index = 0;
	unsigned int i, n;

	pagevec_init(&pvec);
	while ((n = pagevec_lookup_range_tag(&pvec, mapping, &index,
					     (pgoff_t)-1,
					     PAGECACHE_TAG_DIRTY))) {
		for (i = 0; i < n; i++) {
			struct page *page = pvec.pages[i];
			struct buffer_head *bh, *head;

			lock_page(page);
			if (page->mapping != mapping) {
				unlock_page(page);
				continue;
			}
			if (page_has_buffers(page)) {
				bh = head = page_buffers(page);
				do {
					clear_buffer_dirty(bh);
					bh = bh->b_this_page;
				} while (bh != head);
			}
			folio_cancel_dirty(page_folio(page));
			unlock_page(page);
		}
		pagevec_release(&pvec);
		cond_resched();
	}
}

static void stop_work_fn(struct work_struct *w)
{
	struct ocfsx_sb_info *sbi = container_of(w, struct ocfsx_sb_info,
						 stop_work);

	/* A commit that was past its abort checks marks its blocks dirty. */
	ocfsx_journal_quiesce(sbi->sb);
	ocfsx_drop_dirty_meta(sbi->sb);
}

static int fence_notify(struct notifier_block *nb, unsigned long reason,
			void *unused)
{
	struct ocfsx_sb_info *sbi = container_of(nb, struct ocfsx_sb_info,
						 fence_nb);

	ocfsx_stop_io(sbi->sb);
	return NOTIFY_OK;
}

/*
 * A lease lost without a fence (the region stopped, or its writes keep
 * failing) has no notification: the watch looks twice a second, so that
 * dirty metadata is dropped before the flusher gets to it.
 */
static void hb_watch_fn(struct work_struct *w)
{
	struct ocfsx_sb_info *sbi = container_of(to_delayed_work(w),
						 struct ocfsx_sb_info, hb_watch);

	if (ocfsx_io_gate(sbi->sb))
		return;
	schedule_delayed_work(&sbi->hb_watch, OCFSX_HB_WATCH);
}

/* At the start of fill_super: the work items exist from then on. */
void ocfsx_io_gate_init(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	INIT_WORK(&sbi->stop_work, stop_work_fn);
	INIT_DELAYED_WORK(&sbi->hb_watch, hb_watch_fn);
}

/* A cluster volume, once our heartbeat is live: writes need the lease. */
void ocfsx_io_gate_start(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	set_bit(OCFSX_SBS_HB_GATED, &sbi->state);
	sbi->fence_nb.notifier_call = fence_notify;
	ocfsx_quorum_fence_notifier_register(&sbi->fence_nb);
	sbi->fence_nb_on = true;
	/* Fenced before we registered: no notification will come. */
	if (ocfsx_quorum_fenced())
		ocfsx_stop_io(sb);
	schedule_delayed_work(&sbi->hb_watch, OCFSX_HB_WATCH);
}

/* Unmount or failed mount, before the journal goes: no callback after. */
void ocfsx_io_gate_exit(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (sbi->fence_nb_on) {
		ocfsx_quorum_fence_notifier_unregister(&sbi->fence_nb);
		sbi->fence_nb_on = false;
	}
	cancel_delayed_work_sync(&sbi->hb_watch);
	flush_work(&sbi->stop_work);
}

/* Outside the journal (slot map at M1, superblock): checksum, write, wait. */
int ocfsx_write_meta_sync(struct super_block *sb, struct buffer_head *bh,
			  u16 type)
{
	int err;

	err = ocfsx_io_gate(sb);
	if (err)
		return err;
	lock_buffer(bh);
	ocfsx_set_csum(sb, bh->b_data, type);
	set_buffer_uptodate(bh);
	mark_buffer_dirty(bh);
	unlock_buffer(bh);
	err = sync_dirty_buffer(bh);
	if (!err && buffer_write_io_error(bh))
		err = -EIO;
	return err;
}

/*
 * Corruption: one line naming the device and what is wrong, then the
 * errors= policy. The volume is also marked for fsck (s_state ERROR).
 * At most 10 lines per 5 s per volume: with errors=continue every lookup
 * through a bad block reports it again, and a flood would push the first,
 * telling lines out of the kernel log.
 */
void __ocfsx_error(struct super_block *sb, const char *func,
		   const char *fmt, ...)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	unsigned int policy = sbi->opts.errors;
	struct va_format vaf;
	va_list args;

	if (__ratelimit(&sbi->err_rs)) {
		va_start(args, fmt);
		vaf.fmt = fmt;
		vaf.va = &args;
		pr_err("%s: corruption in %s: %pV; run fsck.ocfsx\n",
		       sbi->dev_name, func, &vaf);
		va_end(args);
	}
	ocfsx_record_error(sb);

	if (policy == OCFSX_ERRORS_PANIC)
		panic("ocfsx: %s: corruption with errors=panic\n",
		      sbi->dev_name);
	if (policy == OCFSX_ERRORS_REMOUNT_RO && !sb_rdonly(sb)) {
		pr_crit("%s: remounting read-only (errors=remount-ro)\n",
			sbi->dev_name);
		ocfsx_journal_abort(sb);
		sb->s_flags |= SB_RDONLY;
	}
}

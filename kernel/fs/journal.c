// SPDX-License-Identifier: GPL-2.0
/*
 * The slot's jbd2 journal (format §14): load and replay at mount, the
 * DIRTY flag in the journal inode, clean shutdown, and the transaction
 * helpers every metadata change goes through.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/kernel.h>

#include "ocfsx.h"

/*
 * Sets or clears DIRTY (and bumps the recovery generation) directly, in
 * the journal inode ji (ours, or a dead node's slot being recovered).
 */
static int set_journal_flags(struct super_block *sb, struct inode *ji,
			     bool dirty, bool recovered)
{
	struct ocfsx_inode *di;
	struct buffer_head *bh;
	u32 flags;
	int err;

	bh = ocfsx_read_inode_bh(ji);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	lock_buffer(bh);
	di = (void *)bh->b_data;
	flags = le32_to_cpu(di->ij_flags);
	if (dirty)
		flags |= OCFSX_JOURNAL_F_DIRTY;
	else
		flags &= ~OCFSX_JOURNAL_F_DIRTY;
	di->ij_flags = cpu_to_le32(flags);
	if (recovered)
		le32_add_cpu(&di->ij_recovery_gen, 1);
	unlock_buffer(bh);
	err = ocfsx_write_meta_sync(sb, bh, OCFSX_BT_INODE);
	brelse(bh);
	return err;
}

static bool journal_marked_dirty(struct inode *ji)
{
	struct buffer_head *bh;
	bool dirty;

	bh = ocfsx_read_inode_bh(ji);
	if (IS_ERR(bh))
		return true;
	dirty = le32_to_cpu(((struct ocfsx_inode *)bh->b_data)->ij_flags) &
		OCFSX_JOURNAL_F_DIRTY;
	brelse(bh);
	return dirty;
}

/*
 * What jbd2_journal_abort() does before it writes the errno into the jbd2
 * superblock, without that write (see ocfsx_journal_abort()).
 */
static void abort_quiet(journal_t *j)
{
	write_lock(&j->j_state_lock);
	if (!(j->j_flags & JBD2_ABORT)) {
		j->j_flags |= JBD2_ABORT;
		j->j_errno = -EIO;
	}
	write_unlock(&j->j_state_lock);
}

/*
 * data=ordered data goes out from jbd2's commit: through the gate like
 * every other write. A closed gate aborts the journal quietly first, so
 * that jbd2's own abort on our error writes nothing either.
 */
static int submit_data(struct jbd2_inode *jinode)
{
	struct super_block *sb = jinode->i_vfs_inode->i_sb;
	int err = ocfsx_io_gate(sb);

	if (err) {
		ocfsx_journal_abort(sb);
		return err;
	}
	return jbd2_journal_submit_inode_data_buffers(jinode);
}

static bool journal_size_ok(struct super_block *sb, struct inode *ji)
{
	u64 nblocks = i_size_read(ji) >> sb->s_blocksize_bits;

	if (nblocks >= OCFSX_MIN_JOURNAL_BLOCKS && nblocks <= INT_MAX)
		return true;
	ocfsx_error(sb, "inode %lu: journal of %llu blocks is outside 1024..2^31",
		    ji->i_ino, nblocks);
	return false;
}

/*
 * Always through bmap of the inode: mkfs writes the jbd2 superblock with
 * journal-relative block numbers (s_first = 1), and jbd2 only adds an
 * offset for inode journals; jbd2_journal_init_dev() would take them as
 * device blocks and log over the volume's start.
 */
static journal_t *open_journal(struct super_block *sb, struct inode *ji)
{
	journal_t *j;

	ihold(ji);	/* jbd2_journal_destroy() drops this reference */
	j = jbd2_journal_init_inode(ji);
	if (!j) {
		iput(ji);
		return NULL;
	}
	j->j_private = sb;
	return j;
}

/* An abort recorded by an earlier mount would refuse every handle. */
static int clear_recorded_errno(journal_t *j)
{
	int err = jbd2_journal_errno(j);

	if (err) {
		jbd2_journal_clear_err(j);
		jbd2_journal_update_sb_errno(j);
	}
	return err;
}

/*
 * The checksum goes in when jbd2 freezes the block for commit (just
 * before it is logged, or when a handle of the next transaction makes
 * jbd2 copy it): from then on the contents cannot change, whereas a
 * checksum set at dirty time can be overtaken by another handle that
 * changes the same block without the caller's locks (atime, ctime). The
 * checkpoint writes the buffer itself home, which holds what the last
 * commit froze, checksum included.
 */
static void csum_frozen(struct jbd2_buffer_trigger_type *jt,
			struct buffer_head *bh, void *data, size_t size)
{
	struct ocfsx_csum_trigger *t =
		container_of(jt, struct ocfsx_csum_trigger, jt);

	ocfsx_set_csum(t->sb, data, t->type);
}

/*
 * An aborted transaction's blocks are never written, but the buffers stay
 * cached and, once jbd2 lets go of them, are verified again on lookup:
 * give them a checksum that matches what they hold, so that reading them
 * on the read-only volume does not report corruption that is not there.
 */
static void csum_abort(struct jbd2_buffer_trigger_type *jt,
		       struct buffer_head *bh)
{
	struct ocfsx_csum_trigger *t =
		container_of(jt, struct ocfsx_csum_trigger, jt);

	ocfsx_set_csum(t->sb, bh->b_data, t->type);
}

static const u16 csum_types[OCFSX_NR_BLOCK_TYPES] = {
	OCFSX_BT_SUPER, OCFSX_BT_INODE, OCFSX_BT_EXTENT, OCFSX_BT_GROUP,
	OCFSX_BT_DIRBLOCK, OCFSX_BT_DX_ROOT, OCFSX_BT_DX_NODE, OCFSX_BT_XATTR,
	OCFSX_BT_HEARTBEAT, OCFSX_BT_SLOT_MAP,
};

static void init_csum_triggers(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	int i;

	for (i = 0; i < OCFSX_NR_BLOCK_TYPES; i++) {
		struct ocfsx_csum_trigger *t = &sbi->csum_trig[i];

		t->jt.t_frozen = csum_frozen;
		t->jt.t_abort = csum_abort;
		t->sb = sb;
		t->type = csum_types[i];
	}
}

static struct ocfsx_csum_trigger *csum_trigger(struct super_block *sb,
					       u16 type)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	int i;

	for (i = 0; i < OCFSX_NR_BLOCK_TYPES; i++)
		if (sbi->csum_trig[i].type == type)
			return &sbi->csum_trig[i];
	return NULL;
}

/*
 * Recovery of a dead node's slot: replays its journal ji if it was left
 * DIRTY (jbd2 writes the replayed blocks home and syncs them), marks it
 * empty and clears DIRTY, bumping its recovery generation. 1: replayed,
 * 0: it was clean, < 0: error (the slot stays as it is).
 */
int ocfsx_journal_recover(struct super_block *sb, struct inode *ji, int slot)
{
	journal_t *j;
	int err;

	if (!journal_marked_dirty(ji))
		return 0;
	if (!journal_size_ok(sb, ji))
		return -EFSCORRUPTED;
	err = ocfsx_io_gate(sb);
	if (err)
		return err;
	j = open_journal(sb, ji);
	if (!j)
		return -EIO;
	err = jbd2_journal_load(j);
	if (!err)
		clear_recorded_errno(j);
	else
		abort_quiet(j);	/* leave it as it was for fsck */
	if (jbd2_journal_destroy(j) && !err)
		err = -EIO;
	if (err) {
		pr_err("%s: replaying the journal of dead slot %d failed (error %d): run fsck.ocfsx\n",
		       sb->s_id, slot, err);
		return err;
	}
	err = set_journal_flags(sb, ji, false, true);
	return err ? err : 1;
}

/*
 * Opens our slot's journal through bmap of its inode; jbd2 replays it if
 * it holds committed transactions.
 */
int ocfsx_journal_load(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct inode *ji = sbi->journal_inode;
	bool was_dirty = journal_marked_dirty(ji);
	journal_t *j;
	int err;

	if (!journal_size_ok(sb, ji))
		return -EFSCORRUPTED;
	if (sb_rdonly(sb)) {
		if (was_dirty) {
			pr_err("%s: journal of slot %d needs recovery: mount read-write once to replay it\n",
			       sb->s_id, sbi->slot);
			return -EROFS;
		}
		return 0;
	}
	init_csum_triggers(sb);
	j = open_journal(sb, ji);
	if (!j) {
		pr_err("%s: cannot open the journal of slot %d: run fsck.ocfsx\n",
		       sb->s_id, sbi->slot);
		return -EIO;
	}
	/* data=ordered: file data reaches disk before the commit. */
	j->j_submit_inode_data_buffers = submit_data;
	j->j_finish_inode_data_buffers = jbd2_journal_finish_inode_data_buffers;
	if (sbi->opts.commit_secs)
		j->j_commit_interval = sbi->opts.commit_secs * HZ;
	/* Replay writes outside our gate: check the lease just before. */
	err = ocfsx_io_gate(sb);
	if (!err)
		err = jbd2_journal_load(j);
	if (err == -EIO && test_bit(OCFSX_SBS_STOPPED, &sbi->state)) {
		abort_quiet(j);	/* else destroy marks it empty on disk */
		jbd2_journal_destroy(j);
		return err;
	}
	if (err) {
		pr_err("%s: loading the journal of slot %d failed (error %d): run fsck.ocfsx\n",
		       sb->s_id, sbi->slot, err);
		jbd2_journal_destroy(j);
		return err;
	}
	sbi->journal = j;
	err = clear_recorded_errno(j);
	if (err)
		pr_warn("%s: journal of slot %d recorded error %d at an earlier mount: run fsck.ocfsx\n",
			sb->s_id, sbi->slot, err);
	if (was_dirty)
		pr_info("%s: journal of slot %d was left dirty; replayed\n",
			sb->s_id, sbi->slot);
	/* From here until a clean unmount, recovery must replay us. */
	err = set_journal_flags(sb, ji, true, was_dirty);
	if (err) {
		sbi->journal = NULL;
		jbd2_journal_destroy(j);
	}
	return err;
}

/* Checkpoints everything home, then (clean) clears DIRTY. */
void ocfsx_journal_shutdown(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	journal_t *j = sbi->journal;
	bool aborted;
	int err;

	if (!j)
		return;
	aborted = is_journal_aborted(j);
	err = jbd2_journal_destroy(j);
	sbi->journal = NULL;
	if (test_bit(OCFSX_SBS_STOPPED, &sbi->state))
		return;		/* said once when writes stopped */
	if (err || aborted) {
		pr_err("%s: journal of slot %d not shut down cleanly: it will be replayed at the next mount\n",
		       sb->s_id, sbi->slot);
		return;
	}
	set_journal_flags(sb, sbi->journal_inode, false, false);
}

/*
 * A handle that will free journaled blocks reserves their revoke records
 * at its start: jbd2 then waits for a transaction with room for them,
 * whereas a later extend fails when the running transaction is full. jbd2
 * refuses (with a warning) a handle larger than a whole transaction, so
 * the reservation is capped there; ocfsx_forget_blocks() extends for the
 * rest.
 */
handle_t *ocfsx_start_trans_revoke(struct super_block *sb, int credits,
				   u64 revokes)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	journal_t *j = sbi->journal;
	u64 room;
	int err;

	err = ocfsx_io_gate(sb);
	if (err)
		return ERR_PTR(err);
	if (sb_rdonly(sb) || !j)
		return ERR_PTR(-EROFS);
	room = j->j_max_transaction_buffers > credits ?
	       (u64)(j->j_max_transaction_buffers - credits) *
	       j->j_revoke_records_per_block : 0;
	revokes = min(revokes, room);
	return jbd2__journal_start(j, credits, 0, (int)min_t(u64, revokes,
							     INT_MAX),
				   GFP_NOFS, 0, 0);
}

handle_t *ocfsx_start_trans(struct super_block *sb, int credits)
{
	return ocfsx_start_trans_revoke(sb, credits, 0);
}

int ocfsx_commit_trans(handle_t *handle)
{
	return jbd2_journal_stop(handle);
}

/*
 * Whether jbd2 accepts create access to a new block: not while an older
 * transaction still writes it out. A block allocated and freed within
 * one transaction is free in jbd2's committed bitmap copy too, so it can
 * come back while that transaction commits; freed inode blocks are not
 * forgotten (their dead state must reach the log), so they can be found
 * that way. Our open handle keeps our own transaction from committing,
 * so the answer cannot turn from yes to no before we take access.
 */
static bool create_ok(handle_t *handle, struct buffer_head *bh)
{
	transaction_t *t = handle->h_transaction;
	struct journal_head *jh;
	bool ok;

	jh = jbd2_journal_grab_journal_head(bh);
	if (!jh)
		return true;
	spin_lock(&jh->b_state_lock);
	ok = !jh->b_next_transaction &&
	     (!jh->b_transaction || jh->b_transaction == t ||
	      (jh->b_transaction == t->t_journal->j_committing_transaction &&
	       jh->b_jlist == BJ_Forget));
	spin_unlock(&jh->b_state_lock);
	jbd2_journal_put_journal_head(jh);
	return ok;
}

int ocfsx_journal_access(handle_t *handle, struct buffer_head *bh,
			 bool create)
{
	int err;

	/* Write access waits for the older transaction's copy instead. */
	if (!create || !create_ok(handle, bh))
		return jbd2_journal_get_write_access(handle, bh);
	/* jbd2 wants a new block locked while it takes it over. */
	lock_buffer(bh);
	err = jbd2_journal_get_create_access(handle, bh);
	unlock_buffer(bh);
	return err;
}

/*
 * Every journaled block passes here before it can be logged (jbd2 logs
 * only dirtied buffers), so this is where the trigger is attached; a block
 * that changes type (freed, reused as another kind) gets the new one.
 * The buffer's own checksum is refreshed too: when a handle of the next
 * transaction takes access while this one commits but then changes
 * nothing, the trigger only checksummed jbd2's frozen copy, and the
 * checkpoint writes the buffer itself home.
 */
int ocfsx_journal_dirty(handle_t *handle, struct super_block *sb,
			struct buffer_head *bh, u16 type)
{
	struct ocfsx_csum_trigger *t = csum_trigger(sb, type);

	if (!WARN_ON_ONCE(!t))
		jbd2_journal_set_triggers(bh, &t->jt);
	ocfsx_set_csum(sb, bh->b_data, type);
	return jbd2_journal_dirty_metadata(handle, bh);
}

/*
 * jbd2's own "Aborting journal" line names only the device; without this
 * one a read-only volume would not say which operation failed, or how.
 */
void __ocfsx_abort_trans(struct super_block *sb, int err, const char *func)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (!sbi->journal || is_journal_aborted(sbi->journal))
		return;
	pr_crit("%s: %s failed with error %d inside a transaction; aborting the journal, the volume goes read-only (unmount and run fsck.ocfsx)\n",
		sbi->dev_name, func, err);
	ocfsx_journal_abort(sb);
}

/*
 * Aborts the journal for an error or a stop. jbd2_journal_abort() records
 * the error in the jbd2 superblock with a synchronous write; once our
 * writes are stopped that write must not happen, so the abort flag is set
 * directly (what jbd2_journal_abort() does before its write). A later
 * jbd2_journal_abort() from jbd2 itself then finds the journal aborted and
 * writes nothing, and an aborted journal never writes its superblock or
 * checkpoints again. Atomic context is fine.
 */
void ocfsx_journal_abort(struct super_block *sb)
{
	journal_t *j = OCFSX_SB(sb)->journal;

	if (!j)
		return;
	if (ocfsx_io_allowed(sb)) {
		jbd2_journal_abort(j, -EIO);
		return;
	}
	abort_quiet(j);
}

/*
 * After an abort: lets jbd2's thread run the running transaction through
 * its (aborted) commit and waits for it and for a commit already under
 * way, so that nothing of theirs is left to dirty buffers afterwards.
 */
void ocfsx_journal_quiesce(struct super_block *sb)
{
	journal_t *j = OCFSX_SB(sb)->journal;
	tid_t tid;

	if (j && jbd2_journal_start_commit(j, &tid))
		jbd2_log_wait_commit(j, tid);
}

/*
 * Clusters and blocks freed by a transaction that has not committed are
 * not handed out yet (alloc.c), so right after a large rm an allocation
 * can fail although the space is free. Called with no handle held: on the
 * first ENOSPC, commits the journal (which makes those frees usable) and
 * says to try once more.
 */
bool ocfsx_retry_alloc(struct super_block *sb, int err, int *tries)
{
	journal_t *j = OCFSX_SB(sb)->journal;

	if (err != -ENOSPC || !j || (*tries)++ || is_journal_aborted(j) ||
	    journal_current_handle())
		return false;
	return jbd2_journal_force_commit(j) == 0;
}

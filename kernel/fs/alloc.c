// SPDX-License-Identifier: GPL-2.0
/*
 * Space allocation (format §8), journaled: the global bitmap's groups,
 * our slot's block suballocators (inode_alloc, meta_alloc) that grow by
 * whole groups from the global bitmap, and our slot's local-alloc window
 * that data clusters come from. Frees go back where the bits came from.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "ocfsx.h"

static u8 *gd_bitmap(struct buffer_head *bh)
{
	struct ocfsx_group_desc *gd = (void *)bh->b_data;

	return (u8 *)bh->b_data + le16_to_cpu(gd->gd_bitmap_offset);
}

/* Longest run of clear bits: kept exact in gd_contig_free (§8.1). */
static u32 longest_free(const void *map, u32 bits)
{
	u32 best = 0, i = 0, end;

	while (i < bits) {
		i = find_next_zero_bit_le(map, bits, i);
		if (i >= bits)
			break;
		end = find_next_bit_le(map, bits, i);
		best = max(best, end - i);
		i = end;
	}
	return best;
}

/* First clear run of at least min bits, at most want; 0 length if none. */
static u32 find_run(const void *map, u32 bits, u32 min, u32 want, u32 *at)
{
	u32 i = 0, end;

	while (i < bits) {
		i = find_next_zero_bit_le(map, bits, i);
		if (i >= bits)
			break;
		end = find_next_bit_le(map, bits, i);
		if (end - i >= min) {
			*at = i;
			return min(end - i, want);
		}
		i = end;
	}
	return 0;
}

static void bits_le(void *map, u32 at, u32 n, bool set)
{
	u32 i;

	for (i = at; i < at + n; i++) {
		if (set)
			__set_bit_le(i, map);
		else
			__clear_bit_le(i, map);
	}
}

/*
 * Bits cleared by a transaction that has not committed yet are still set
 * in jbd2's committed copy of the bitmap buffer (undo access took it when
 * they were cleared). Handing them out before that commit would give a
 * block jbd2 still holds for its old owner to a new one (jbd2 refuses
 * create access on it and aborts), and a crash would bring the old
 * contents back. Returns a copy of the bytes bytes at off with those bits
 * set too, NULL when there is no committed copy, or when the committed
 * copy's key bytes (klen at koff) differ, meaning its bits describe other
 * blocks (an older local-alloc window).
 */
static u8 *busy_map(struct buffer_head *bh, u32 off, u32 bytes, u32 koff,
		    u32 klen)
{
	u32 len = round_up(bytes, sizeof(long)), i;
	struct journal_head *jh;
	const u8 *cd;
	u8 *m;

	if (!buffer_jbd(bh))
		return NULL;
	m = kzalloc(len, GFP_NOFS);
	if (!m)
		return ERR_PTR(-ENOMEM);
	jh = jbd2_journal_grab_journal_head(bh);
	if (!jh) {
		kfree(m);
		return NULL;
	}
	spin_lock(&jh->b_state_lock);
	cd = jh->b_committed_data;
	if (cd && klen && memcmp(cd + koff, bh->b_data + koff, klen))
		cd = NULL;
	for (i = 0; cd && i < bytes; i++)
		m[i] = bh->b_data[off + i] | cd[off + i];
	spin_unlock(&jh->b_state_lock);
	jbd2_journal_put_journal_head(jh);
	if (!cd) {
		kfree(m);
		return NULL;
	}
	return m;
}

/*
 * Bits set now must stay busy in the committed copy too: the copy predates
 * this transaction, and a block allocated and freed before the commit
 * would otherwise look free there while jbd2 still writes it out.
 */
static void busy_mark(struct buffer_head *bh, u32 off, u32 bit, u32 count)
{
	struct journal_head *jh = jbd2_journal_grab_journal_head(bh);

	if (!jh)
		return;
	spin_lock(&jh->b_state_lock);
	if (jh->b_committed_data)
		bits_le(jh->b_committed_data + off, bit, count, true);
	spin_unlock(&jh->b_state_lock);
	jbd2_journal_put_journal_head(jh);
}

/* The bitmap of a group as allocation must see it (busy_map()). */
static u8 *group_busy_map(struct buffer_head *gbh)
{
	struct ocfsx_group_desc *gd = (void *)gbh->b_data;

	return busy_map(gbh, le16_to_cpu(gd->gd_bitmap_offset),
			DIV_ROUND_UP(le32_to_cpu(gd->gd_bits), 8), 0, 0);
}

/* Reads a group descriptor and checks its bitmap fits the block. */
static struct buffer_head *read_group(struct super_block *sb, u64 blkno,
				      u64 owner)
{
	struct buffer_head *bh;
	struct ocfsx_group_desc *gd;
	u32 off, bits;

	bh = ocfsx_read_meta(sb, blkno, OCFSX_BT_GROUP, owner);
	if (IS_ERR(bh))
		return bh;
	gd = (void *)bh->b_data;
	off = le16_to_cpu(gd->gd_bitmap_offset);
	bits = le32_to_cpu(gd->gd_bits);
	if (off < OCFSX_GROUP_RUNS_OFFSET + le16_to_cpu(gd->gd_nr_runs) * 16 ||
	    off % 8 || off >= sb->s_blocksize ||
	    bits > (sb->s_blocksize - off) * 8ULL ||
	    le32_to_cpu(gd->gd_free) > bits) {
		ocfsx_error(sb, "inode %llu: block %llu (group descriptor): bitmap does not fit",
			    owner, blkno);
		brelse(bh);
		return ERR_PTR(-EFSCORRUPTED);
	}
	return bh;
}

/*
 * Changes count bits at bit in a group (set or clear) and the three free
 * counts (group, chain entry, chain table), all journaled.
 */
static int group_change(handle_t *h, struct super_block *sb,
			struct buffer_head *ibh, struct buffer_head *gbh,
			u32 bit, u32 count, bool set)
{
	struct ocfsx_group_desc *gd = (void *)gbh->b_data;
	struct ocfsx_chain_table *ct = (void *)ibh->b_data +
				       OCFSX_INODE_BODY_OFFSET;
	struct ocfsx_chain_entry *ce = (void *)(ct + 1);
	u32 chain = le16_to_cpu(gd->gd_chain), bits = le32_to_cpu(gd->gd_bits);
	u8 *map = gd_bitmap(gbh);
	s64 delta = set ? -(s64)count : count;
	u32 i;
	int err;

	if (chain >= le16_to_cpu(ct->ct_used) || bit + (u64)count > bits) {
		ocfsx_error(sb, "inode %llu: block %llu (group descriptor): chain %u or bits %u+%u out of range",
			    le64_to_cpu(gd->gd_hdr.bh_owner), gbh->b_blocknr,
			    chain, bit, count);
		return -EFSCORRUPTED;
	}
	for (i = bit; i < bit + count; i++) {
		if (!!test_bit_le(i, map) == set) {
			ocfsx_error(sb, "inode %llu: block %llu (group descriptor): bit %u is already %s",
				    le64_to_cpu(gd->gd_hdr.bh_owner),
				    gbh->b_blocknr, i, set ? "set" : "clear");
			return -EFSCORRUPTED;
		}
	}
	/* Cleared bits stay busy until this transaction commits. */
	err = set ? ocfsx_journal_access(h, gbh, false) :
		    jbd2_journal_get_undo_access(h, gbh);
	if (!err)
		err = ocfsx_journal_access(h, ibh, false);
	if (err)
		return err;
	bits_le(map, bit, count, set);
	if (set)
		busy_mark(gbh, le16_to_cpu(gd->gd_bitmap_offset), bit, count);
	gd->gd_free = cpu_to_le32(le32_to_cpu(gd->gd_free) + delta);
	gd->gd_contig_free = cpu_to_le32(longest_free(map, bits));
	ce[chain].ce_free = cpu_to_le64(le64_to_cpu(ce[chain].ce_free) + delta);
	ct->ct_free_bits = cpu_to_le64(le64_to_cpu(ct->ct_free_bits) + delta);
	err = ocfsx_journal_dirty(h, sb, gbh, OCFSX_BT_GROUP);
	if (!err)
		err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
	return err;
}

/* ---- global bitmap ---------------------------------------------------- */

static u32 global_cpg(struct super_block *sb, struct buffer_head *ibh)
{
	struct ocfsx_chain_table *ct = (void *)ibh->b_data +
				       OCFSX_INODE_BODY_OFFSET;

	return max_t(u32, 1, le32_to_cpu(ct->ct_cpg));
}

/*
 * Takes a run of min..want clusters inside one global group. Caller holds
 * the global bitmap lock EX.
 */
static int gb_claim(handle_t *h, struct super_block *sb, u32 min, u32 want,
		    u64 *start, u32 *got)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	u64 owner = sbi->global_bitmap->i_ino;
	struct buffer_head *ibh, *gbh;
	u64 g, groups;
	u32 cpg, at = 0, n;
	int err = -ENOSPC;

	ibh = ocfsx_read_inode_bh(sbi->global_bitmap);
	if (IS_ERR(ibh))
		return PTR_ERR(ibh);
	cpg = global_cpg(sb, ibh);
	groups = div_u64(sbi->clusters + cpg - 1, cpg);
	for (g = 0; g < groups; g++) {
		struct ocfsx_group_desc *gd;
		u8 *busy;

		gbh = read_group(sb, ocfsx_global_group_desc_blkno(g, cpg,
				 sbi->bbits, sbi->cbits), owner);
		if (IS_ERR(gbh)) {
			err = PTR_ERR(gbh);
			break;
		}
		gd = (void *)gbh->b_data;
		if (le32_to_cpu(gd->gd_contig_free) < min) {
			brelse(gbh);
			continue;
		}
		busy = group_busy_map(gbh);
		if (IS_ERR(busy)) {
			err = PTR_ERR(busy);
			brelse(gbh);
			break;
		}
		n = find_run(busy ?: gd_bitmap(gbh), le32_to_cpu(gd->gd_bits),
			     min, want, &at);
		kfree(busy);
		if (n) {
			err = group_change(h, sb, ibh, gbh, at, n, true);
			if (!err) {
				*start = le64_to_cpu(gd->gd_first_cluster) + at;
				*got = n;
			}
			brelse(gbh);
			break;
		}
		brelse(gbh);
	}
	brelse(ibh);
	return err;
}

/* Returns clusters to the global bitmap, group by group. */
static int gb_free(handle_t *h, struct super_block *sb, u64 start, u64 count)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	u64 owner = sbi->global_bitmap->i_ino;
	struct buffer_head *ibh, *gbh;
	u32 cpg, n, bit;
	u64 g;
	int err = 0;

	ibh = ocfsx_read_inode_bh(sbi->global_bitmap);
	if (IS_ERR(ibh))
		return PTR_ERR(ibh);
	cpg = global_cpg(sb, ibh);
	while (count && !err) {
		g = div_u64_rem(start, cpg, &bit);
		n = min_t(u64, count, cpg - bit);
		gbh = read_group(sb, ocfsx_global_group_desc_blkno(g, cpg,
				 sbi->bbits, sbi->cbits), owner);
		if (IS_ERR(gbh)) {
			err = PTR_ERR(gbh);
			break;
		}
		err = group_change(h, sb, ibh, gbh, bit, n, false);
		brelse(gbh);
		start += n;
		count -= n;
	}
	brelse(ibh);
	return err;
}

/* ---- local-alloc window ----------------------------------------------- */

static u32 window_default(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	u64 bytes = 8ULL << 20;

	if ((sbi->clusters << sbi->cbits) >= (16ULL << 30))
		bytes = 32ULL << 20;
	return max_t(u32, 1, bytes >> sbi->cbits);
}

/* Gives the window's clear bits back to the global bitmap. */
static int window_return(handle_t *h, struct super_block *sb,
			 struct buffer_head *lbh)
{
	struct ocfsx_local_alloc *la = (void *)lbh->b_data +
				       OCFSX_INODE_BODY_OFFSET;
	u64 start = le64_to_cpu(la->la_window_start);
	u32 bits = le32_to_cpu(la->la_window_bits), i = 0, end;
	void *map = la + 1;
	int err = 0;

	if (!start)
		return 0;
	while (i < bits && !err) {
		i = find_next_zero_bit_le(map, bits, i);
		if (i >= bits)
			break;
		end = find_next_bit_le(map, bits, i);
		err = gb_free(h, sb, start + i, end - i);
		i = end;
	}
	if (err)
		return err;
	memset(la, 0, ocfsx_body_size(sb,
	       OCFSX_I(OCFSX_SB(sb)->local_alloc)->xattr_inline));
	return 0;
}

/*
 * A run in the window that no uncommitted free left busy (busy_map());
 * the committed copy only counts while it describes the same window.
 */
static int window_find(struct buffer_head *lbh, u32 bits, u32 min, u32 want,
		       u32 *at)
{
	struct ocfsx_local_alloc *la = (void *)lbh->b_data +
				       OCFSX_INODE_BODY_OFFSET;
	u8 *busy;
	u32 n;

	busy = busy_map(lbh, OCFSX_INODE_BODY_OFFSET + sizeof(*la),
			DIV_ROUND_UP(bits, 8), OCFSX_INODE_BODY_OFFSET +
			offsetof(struct ocfsx_local_alloc, la_window_start),
			sizeof(la->la_window_start));
	if (IS_ERR(busy))
		return PTR_ERR(busy);
	n = find_run(busy ?: (u8 *)(la + 1), bits, min, want, at);
	kfree(busy);
	return n;
}

/*
 * Allocates min..want data clusters for a file from our window,
 * refilling the window from the global bitmap when it cannot serve min.
 * take false: only makes sure the window can serve min now (refilling it
 * if needed) and sets no bit.
 */
static int window_alloc(handle_t *h, struct super_block *sb, u32 min,
			u32 want, u64 *start, u32 *got, bool take)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_local_alloc *la;
	struct buffer_head *lbh;
	u32 cap, bits, at = 0;
	bool dirty = false;
	u64 wstart;
	int err, n;

	err = ocfsx_lock(&sbi->alloc_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	lbh = ocfsx_read_inode_bh(sbi->local_alloc);
	if (IS_ERR(lbh)) {
		err = PTR_ERR(lbh);
		goto out_unlock;
	}
	la = (void *)lbh->b_data + OCFSX_INODE_BODY_OFFSET;
	cap = (ocfsx_body_size(sb, OCFSX_I(sbi->local_alloc)->xattr_inline) -
	       sizeof(*la)) * 8;
	err = ocfsx_journal_access(h, lbh, false);
	if (err)
		goto out;
	bits = le32_to_cpu(la->la_window_bits);
	wstart = le64_to_cpu(la->la_window_start);
	if (bits > cap || le32_to_cpu(la->la_used) > bits) {
		ocfsx_error(sb, "inode %lu: block %lu (local alloc): window of %u bits is invalid",
			    sbi->local_alloc->i_ino, sbi->local_alloc->i_ino,
			    bits);
		err = -EFSCORRUPTED;
		goto out;
	}
	n = wstart ? window_find(lbh, bits, min, want, &at) : 0;
	if (n < 0) {
		err = n;
		goto out;
	}
	if (!n) {
		u32 wbits = min(cap, max(window_default(sb), want));

		err = ocfsx_lock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
		if (err)
			goto out;
		err = window_return(h, sb, lbh);
		if (!err) {
			/* From here the block changed: it must be dirtied
			 * (and re-checksummed) whatever happens next. */
			dirty = true;
			err = gb_claim(h, sb, min, wbits, &wstart, &bits);
		}
		ocfsx_unlock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
		if (err)
			goto out;
		la->la_window_start = cpu_to_le64(wstart);
		la->la_window_bits = cpu_to_le32(bits);
		la->la_used = 0;
		n = window_find(lbh, bits, min, want, &at);
		if (n <= 0) {
			err = n ?: -ENOSPC;
			goto out;
		}
	}
	if (!take)
		goto out;
	bits_le(la + 1, at, n, true);
	busy_mark(lbh, OCFSX_INODE_BODY_OFFSET + sizeof(*la), at, n);
	le32_add_cpu(&la->la_used, n);
	*start = wstart + at;
	*got = n;
	dirty = true;
out:
	if (dirty) {
		int err2 = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_INODE);

		if (!err)
			err = err2;
	}
	brelse(lbh);
out_unlock:
	ocfsx_unlock(&sbi->alloc_lock, OCFSX_LKM_EX);
	return err;
}

int ocfsx_alloc_clusters(handle_t *h, struct super_block *sb, u32 min,
			 u32 want, u64 *start, u32 *got)
{
	return window_alloc(h, sb, min, want, start, got, true);
}

/*
 * -ENOSPC unless a data cluster can be allocated right now: lets an
 * operation fail before its first change rather than half-way, where
 * the journal would have to be aborted.
 */
int ocfsx_cluster_available(handle_t *h, struct super_block *sb)
{
	u64 start;
	u32 got;

	return window_alloc(h, sb, 1, 1, &start, &got, false);
}

/*
 * Frees data clusters: the part inside our window into the window, the
 * rest to the global bitmap. One extent can straddle the window's edge:
 * clusters from the previous window and from the adjacent new one merge
 * into one record, and the window part must not be cleared in the global
 * bitmap, which holds the whole window as used.
 */
int ocfsx_free_clusters(handle_t *h, struct super_block *sb, u64 start,
			u64 count)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_local_alloc *la;
	struct buffer_head *lbh;
	u64 wstart, lo, hi, end = start + count;
	u32 bits, i;
	int err;

	err = ocfsx_lock(&sbi->alloc_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	lbh = ocfsx_read_inode_bh(sbi->local_alloc);
	if (IS_ERR(lbh)) {
		err = PTR_ERR(lbh);
		goto out_unlock;
	}
	la = (void *)lbh->b_data + OCFSX_INODE_BODY_OFFSET;
	wstart = le64_to_cpu(la->la_window_start);
	bits = le32_to_cpu(la->la_window_bits);
	lo = wstart ? max(start, wstart) : end;
	hi = wstart ? min(end, wstart + bits) : end;
	if (lo >= hi)
		lo = hi = end;
	if (lo < hi) {
		for (i = lo - wstart; i < hi - wstart; i++) {
			if (!test_bit_le(i, la + 1)) {
				ocfsx_error(sb, "inode %lu: block %lu (local alloc): freeing clear bit %u",
					    sbi->local_alloc->i_ino,
					    sbi->local_alloc->i_ino, i);
				err = -EFSCORRUPTED;
				goto out;
			}
		}
		/* Busy until this transaction commits (window_find()). */
		err = jbd2_journal_get_undo_access(h, lbh);
		if (err)
			goto out;
		bits_le(la + 1, lo - wstart, hi - lo, false);
		le32_add_cpu(&la->la_used, -(s32)(hi - lo));
		err = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_INODE);
		if (err)
			goto out;
	}
	if (start < lo || hi < end) {
		err = ocfsx_lock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
		if (err)
			goto out;
		if (start < lo)
			err = gb_free(h, sb, start, lo - start);
		if (!err && hi < end)
			err = gb_free(h, sb, hi, end - hi);
		ocfsx_unlock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
	}
out:
	brelse(lbh);
out_unlock:
	ocfsx_unlock(&sbi->alloc_lock, OCFSX_LKM_EX);
	return err;
}

/* ---- block suballocators ---------------------------------------------- */

/* Block number of bit in a (possibly discontiguous) group. */
static u64 group_bit_blkno(struct super_block *sb, struct buffer_head *gbh,
			   u32 bit, u32 bpc)
{
	struct ocfsx_group_desc *gd = (void *)gbh->b_data;
	struct ocfsx_group_run *runs = (void *)gbh->b_data +
				       OCFSX_GROUP_RUNS_OFFSET;
	u32 nr = le16_to_cpu(gd->gd_nr_runs), r;
	u64 left = bit;

	if (!nr)
		return le64_to_cpu(gd->gd_first_cluster) * bpc + bit;
	for (r = 0; r < nr; r++) {
		u64 len = (u64)le32_to_cpu(runs[r].gr_clusters) * bpc;

		if (left < len)
			return le64_to_cpu(runs[r].gr_cluster) * bpc + left;
		left -= len;
	}
	return 0;
}

/* Adds one contiguous group of ct_cpg clusters from the global bitmap. */
static int suballoc_grow(handle_t *h, struct super_block *sb,
			 struct inode *alloc, struct buffer_head *ibh)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_chain_table *ct = (void *)ibh->b_data +
				       OCFSX_INODE_BODY_OFFSET;
	struct ocfsx_chain_entry *ce = (void *)(ct + 1);
	struct ocfsx_inode *di = (void *)ibh->b_data;
	u32 cpg = le32_to_cpu(ct->ct_cpg), bpc = le16_to_cpu(ct->ct_bpc);
	u32 bits = cpg * bpc, got, chain, used = le16_to_cpu(ct->ct_used);
	struct ocfsx_group_desc *gd;
	struct buffer_head *gbh;
	u64 start, desc;
	int err;

	if (!cpg || !bpc || bits > OCFSX_GROUP_BITMAP_BITS(sb->s_blocksize) ||
	    !le16_to_cpu(ct->ct_capacity)) {
		ocfsx_error(sb, "inode %lu: block %lu (inode): allocator geometry %u clusters x %u bits is invalid",
			    alloc->i_ino, alloc->i_ino, cpg, bpc);
		return -EFSCORRUPTED;
	}
	err = ocfsx_lock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	err = gb_claim(h, sb, cpg, cpg, &start, &got);
	ocfsx_unlock(&sbi->gbitmap_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	desc = start * bpc;
	gbh = sb_getblk(sb, desc);
	if (!gbh)
		return -ENOMEM;
	err = ocfsx_journal_access(h, gbh, true);
	if (err)
		goto out;
	err = ocfsx_journal_access(h, ibh, false);
	if (err)
		goto out;
	lock_buffer(gbh);
	memset(gbh->b_data, 0, sb->s_blocksize);
	ocfsx_init_header(sb, gbh->b_data, OCFSX_BT_GROUP, desc, alloc->i_ino);
	gd = (void *)gbh->b_data;
	/* A new chain while there is room, else the new group heads an
	 * existing chain, so no tail needs to be found. */
	if (used < le16_to_cpu(ct->ct_capacity)) {
		chain = used;
		ct->ct_used = cpu_to_le16(used + 1);
	} else {
		chain = div_u64(le64_to_cpu(ct->ct_total_bits), bits) % used;
		gd->gd_next = ce[chain].ce_first_group;
	}
	ce[chain].ce_first_group = cpu_to_le64(desc);
	gd->gd_first_cluster = cpu_to_le64(start);
	gd->gd_bits = cpu_to_le32(bits);
	gd->gd_free = cpu_to_le32(bits - 1);
	gd->gd_contig_free = cpu_to_le32(bits - 1);
	gd->gd_chain = cpu_to_le16(chain);
	gd->gd_bitmap_offset = cpu_to_le16(OCFSX_GROUP_BITMAP_OFFSET);
	__set_bit_le(0, gd_bitmap(gbh));	/* the descriptor itself */
	set_buffer_uptodate(gbh);
	unlock_buffer(gbh);
	ce[chain].ce_total = cpu_to_le64(le64_to_cpu(ce[chain].ce_total) + bits);
	ce[chain].ce_free = cpu_to_le64(le64_to_cpu(ce[chain].ce_free) +
					bits - 1);
	ct->ct_total_bits = cpu_to_le64(le64_to_cpu(ct->ct_total_bits) + bits);
	ct->ct_free_bits = cpu_to_le64(le64_to_cpu(ct->ct_free_bits) +
				       bits - 1);
	le64_add_cpu(&di->i_clusters, cpg);
	di->i_size = cpu_to_le64(le64_to_cpu(di->i_clusters) << sbi->cbits);
	err = ocfsx_journal_dirty(h, sb, gbh, OCFSX_BT_GROUP);
	if (!err)
		err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
out:
	brelse(gbh);
	return err;
}

/*
 * One block from our inode or meta suballocator; fills the origin the
 * new block's header must record.
 */
int ocfsx_alloc_block(handle_t *h, struct super_block *sb, bool inode_block,
		      struct ocfsx_alloc_origin *o)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct inode *alloc = inode_block ? sbi->inode_alloc : sbi->meta_alloc;
	struct ocfsx_chain_table *ct;
	struct ocfsx_chain_entry *ce;
	struct buffer_head *ibh, *gbh;
	u32 c, bit, bpc, hops;
	int err, tries;

	err = ocfsx_lock(&sbi->alloc_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	ibh = ocfsx_read_inode_bh(alloc);
	if (IS_ERR(ibh)) {
		err = PTR_ERR(ibh);
		goto out_unlock;
	}
	ct = (void *)ibh->b_data + OCFSX_INODE_BODY_OFFSET;
	ce = (void *)(ct + 1);
	bpc = le16_to_cpu(ct->ct_bpc);
	if (le16_to_cpu(ct->ct_used) > le16_to_cpu(ct->ct_capacity) ||
	    le16_to_cpu(ct->ct_capacity) >
	    ocfsx_chain_entries(sb->s_blocksize, OCFSX_I(alloc)->xattr_inline) ||
	    !bpc) {
		ocfsx_error(sb, "inode %lu: block %lu (inode): bad chain table",
			    alloc->i_ino, alloc->i_ino);
		err = -EFSCORRUPTED;
		goto out;
	}
	for (tries = 0; tries < 2; tries++) {
		if (tries || le64_to_cpu(ct->ct_free_bits) == 0) {
			err = suballoc_grow(h, sb, alloc, ibh);
			if (err)
				goto out;
		}
		for (c = 0; c < le16_to_cpu(ct->ct_used); c++) {
			u64 g = le64_to_cpu(ce[c].ce_first_group);

			if (!le64_to_cpu(ce[c].ce_free))
				continue;
			for (hops = 0; g && hops < 65536; hops++) {
				struct ocfsx_group_desc *gd;

				gbh = read_group(sb, g, alloc->i_ino);
				if (IS_ERR(gbh)) {
					err = PTR_ERR(gbh);
					goto out;
				}
				gd = (void *)gbh->b_data;
				if (le32_to_cpu(gd->gd_free)) {
					u8 *busy = group_busy_map(gbh);

					if (IS_ERR(busy)) {
						brelse(gbh);
						err = PTR_ERR(busy);
						goto out;
					}
					bit = find_next_zero_bit_le(busy ?:
						gd_bitmap(gbh),
						le32_to_cpu(gd->gd_bits), 0);
					kfree(busy);
					if (bit < le32_to_cpu(gd->gd_bits))
						goto found;
				}
				g = le64_to_cpu(gd->gd_next);
				brelse(gbh);
			}
		}
		/*
		 * Counts said free but no bit was, or the free bits were
		 * freed by a transaction that has not committed: grow on
		 * the next try (a commit cannot be forced from inside a
		 * handle).
		 */
	}
	err = -ENOSPC;
	goto out;
found:
	err = group_change(h, sb, ibh, gbh, bit, 1, true);
	o->blkno = group_bit_blkno(sb, gbh, bit, bpc);
	o->group = gbh->b_blocknr;
	o->bit = bit;
	o->slot = sbi->slot;
	brelse(gbh);
	if (!err && (!o->blkno || o->blkno >= sbi->blocks)) {
		ocfsx_error(sb, "inode %lu: block %llu (group descriptor): bit %u maps outside the volume",
			    alloc->i_ino, o->group, bit);
		err = -EFSCORRUPTED;
	}
out:
	brelse(ibh);
out_unlock:
	ocfsx_unlock(&sbi->alloc_lock, OCFSX_LKM_EX);
	return err;
}

/*
 * A new metadata block of type (header at its start) for inode from the
 * slot's meta_alloc, as ocfsx_new_meta() gives it, with its allocation
 * origin recorded for the free.
 */
struct buffer_head *ocfsx_new_meta_block(handle_t *h, struct inode *inode,
					 u16 type)
{
	struct ocfsx_alloc_origin o;
	struct ocfsx_block_header *hdr;
	struct buffer_head *bh;
	int err;

	err = ocfsx_alloc_block(h, inode->i_sb, false, &o);
	if (err)
		return ERR_PTR(err);
	bh = ocfsx_new_meta(h, inode->i_sb, o.blkno, type, inode->i_ino);
	if (IS_ERR(bh))
		return bh;
	hdr = (void *)bh->b_data;
	hdr->bh_alloc_group = cpu_to_le64(o.group);
	hdr->bh_alloc_bit = cpu_to_le32(o.bit);
	hdr->bh_alloc_slot = cpu_to_le16(o.slot);
	return bh;
}

/*
 * Blocks jbd2 may hold a logged copy of are being freed: jbd2 must neither
 * write them with this transaction nor checkpoint an older copy over a
 * later owner (jbd2_journal_forget() takes our buffer reference). With
 * revoke, replay also skips logged copies, which matters when the next
 * owner is not journaled (file data). Each revoke uses a revoke credit:
 * those the handle reserved at its start (ocfsx_start_trans_revoke()),
 * then an extend for the rest.
 */
int ocfsx_forget_blocks(handle_t *h, struct super_block *sb, u64 blkno,
			u64 count, bool revoke)
{
	u64 short_by = revoke && count > h->h_revoke_credits ?
		       count - h->h_revoke_credits : 0;
	int err = 0;

	/*
	 * Only a handle that reserved too little and finds the transaction
	 * full gets here without credits: the blocks past its credits are
	 * forgotten only (see "Not done yet" in docs/kernel-fs.md).
	 */
	if (short_by)
		jbd2_journal_extend(h, 0, min_t(u64, short_by, INT_MAX));
	for (; count && !err; blkno++, count--) {
		struct buffer_head *bh = sb_find_get_block(sb, blkno);

		if (revoke && h->h_revoke_credits > 0)
			err = jbd2_journal_revoke(h, blkno, bh);
		else if (bh)
			err = jbd2_journal_forget(h, bh);
	}
	return err;
}

/* Frees a suballocated block given the origin in its header. */
int ocfsx_free_block(handle_t *h, struct super_block *sb,
		     const struct ocfsx_block_header *hdr)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	u16 slot = le16_to_cpu(hdr->bh_alloc_slot);
	u64 group = le64_to_cpu(hdr->bh_alloc_group);
	u32 bit = le32_to_cpu(hdr->bh_alloc_bit);
	u64 blkno = le64_to_cpu(hdr->bh_blkno);
	u16 type = le16_to_cpu(hdr->bh_type);
	struct buffer_head *gbh, *ibh;
	struct inode *alloc;
	u64 owner;
	int err;

	if (slot != sbi->slot) {
		/* Another slot's allocator needs its lock: DLM work. */
		pr_warn("%s: block %llu came from slot %u's allocator; leaving it for fsck.ocfsx\n",
			sb->s_id, le64_to_cpu(hdr->bh_blkno), slot);
		return 0;
	}
	err = ocfsx_lock(&sbi->alloc_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	gbh = read_group(sb, group, U64_MAX);
	if (IS_ERR(gbh)) {
		err = PTR_ERR(gbh);
		goto out_unlock;
	}
	owner = le64_to_cpu(((struct ocfsx_group_desc *)gbh->b_data)->gd_hdr.bh_owner);
	if (owner == sbi->inode_alloc->i_ino) {
		alloc = sbi->inode_alloc;
	} else if (owner == sbi->meta_alloc->i_ino) {
		alloc = sbi->meta_alloc;
	} else {
		ocfsx_error(sb, "inode %llu: block %llu (group descriptor): owner %llu is not slot %d's allocator",
			    le64_to_cpu(hdr->bh_owner), group, owner, sbi->slot);
		err = -EFSCORRUPTED;
		goto out;
	}
	ibh = ocfsx_read_inode_bh(alloc);
	if (IS_ERR(ibh)) {
		err = PTR_ERR(ibh);
		goto out;
	}
	err = group_change(h, sb, ibh, gbh, bit, 1, false);
	brelse(ibh);
	/*
	 * The bit stays busy until we commit, and suballocated blocks are
	 * only ever reused as metadata (groups never go back to the global
	 * bitmap), whose logging supersedes old copies at replay: forget
	 * without revoke. A freed inode's block keeps its last state in the
	 * log so that replay and fsck.ocfsx see the inode dead.
	 */
	if (!err && type != OCFSX_BT_INODE)
		err = ocfsx_forget_blocks(h, sb, blkno, 1, false);
out:
	brelse(gbh);
out_unlock:
	ocfsx_unlock(&sbi->alloc_lock, OCFSX_LKM_EX);
	return err;
}

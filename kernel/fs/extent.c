// SPDX-License-Identifier: GPL-2.0
/*
 * Extent tree lookups (format §6): logical cluster -> physical cluster,
 * walking from the root in the inode body down through extent blocks. Every
 * node is bounds-checked before use, so a corrupt tree is reported, never
 * followed off the end of a block.
 */
#include <linux/kernel.h>

#include "ocfsx.h"

/* Checks one node header against its container and expected depth. */
static int check_node(struct inode *inode, u64 blkno,
		      const struct ocfsx_extent_hdr *eh, u32 max_cap,
		      int expect_depth)
{
	u32 depth = le16_to_cpu(eh->eh_depth);
	u32 cap = le16_to_cpu(eh->eh_capacity);
	u32 used = le16_to_cpu(eh->eh_used);

	if (depth > OCFSX_MAX_EXTENT_DEPTH ||
	    (expect_depth >= 0 && depth != expect_depth) || cap > max_cap ||
	    used > cap) {
		ocfsx_error(inode->i_sb,
			    "inode %lu: block %llu (extent node): bad header (depth %u, capacity %u, used %u)",
			    inode->i_ino, blkno, depth, cap, used);
		return -EFSCORRUPTED;
	}
	return 0;
}

/*
 * Maps logical cluster lcluster of inode. On return m->pcluster is 0 for a
 * hole; m->len counts clusters from lcluster that share the mapping (for a
 * hole, up to the next extent or 2^32).
 */
int ocfsx_extent_map(struct inode *inode, u32 lcluster, struct ocfsx_map *m)
{
	struct super_block *sb = inode->i_sb;
	struct buffer_head *bh, *child;
	const struct ocfsx_extent_hdr *eh;
	const struct ocfsx_extent *recs;
	u64 span_end = OCFSX_MAX_FILE_CLUSTERS;
	u64 blkno = inode->i_ino;
	int depth, i, used, err, level = 0;

	bh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	if (OCFSX_I(inode)->body_format != OCFSX_BODY_EXTENTS) {
		brelse(bh);
		return -EINVAL;
	}
	eh = (void *)bh->b_data + OCFSX_INODE_BODY_OFFSET;
	recs = (void *)(eh + 1);
	err = check_node(inode, blkno, eh,
			 ocfsx_inode_extent_recs(sb->s_blocksize,
						 OCFSX_I(inode)->xattr_inline),
			 -1);
	if (err)
		goto out;
	depth = le16_to_cpu(eh->eh_depth);

	while (depth > 0) {
		used = le16_to_cpu(eh->eh_used);
		if (used == 0)
			goto corrupt;
		/* Rightmost child whose first cluster is <= lcluster. */
		for (i = used - 1; i > 0; i--)
			if (le32_to_cpu(recs[i].ex_lcluster) <= lcluster)
				break;
		if (i + 1 < used)
			span_end = le32_to_cpu(recs[i + 1].ex_lcluster);
		blkno = le64_to_cpu(recs[i].ex_start);
		if (++level > OCFSX_MAX_EXTENT_DEPTH)
			goto corrupt;
		child = ocfsx_read_meta(sb, blkno, OCFSX_BT_EXTENT,
					inode->i_ino);
		if (IS_ERR(child)) {
			err = PTR_ERR(child);
			goto out;
		}
		brelse(bh);
		bh = child;
		eh = &((struct ocfsx_extent_block *)bh->b_data)->eb_list;
		recs = (void *)bh->b_data + OCFSX_EXTENT_BLOCK_RECS_OFFSET;
		err = check_node(inode, blkno, eh,
				 ocfsx_extent_block_recs(sb->s_blocksize),
				 depth - 1);
		if (err)
			goto out;
		depth--;
	}

	used = le16_to_cpu(eh->eh_used);
	m->pcluster = 0;
	m->flags = 0;
	m->len = (u32)min_t(u64, span_end - lcluster, U32_MAX);
	for (i = 0; i < used; i++) {
		u64 start = le32_to_cpu(recs[i].ex_lcluster);
		u64 len = le32_to_cpu(recs[i].ex_clusters);

		if (len == 0 || start + len > OCFSX_MAX_FILE_CLUSTERS)
			goto corrupt;
		if (lcluster < start) {
			m->len = (u32)min_t(u64, start - lcluster, U32_MAX);
			break;
		}
		if (lcluster < start + len) {
			m->pcluster = le64_to_cpu(recs[i].ex_start) +
				      (lcluster - start);
			m->len = start + len - lcluster;
			m->flags = le16_to_cpu(recs[i].ex_flags);
			if (m->pcluster + m->len > OCFSX_SB(sb)->clusters)
				goto corrupt;
			break;
		}
	}
	err = 0;
	goto out;
corrupt:
	ocfsx_error(sb, "inode %lu: block %llu (extent node): bad extent record",
		    inode->i_ino, blkno);
	err = -EFSCORRUPTED;
out:
	brelse(bh);
	return err;
}

/* Logical block -> physical block, 0 for a hole or an unwritten extent. */
int ocfsx_bmap_block(struct inode *inode, u64 lblock, u64 *pblock)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	struct ocfsx_map m;
	u64 lc = lblock >> sbi->c2b_bits;
	int err;

	*pblock = 0;
	if (lc >= OCFSX_MAX_FILE_CLUSTERS)
		return 0;
	err = ocfsx_extent_map(inode, (u32)lc, &m);
	if (err)
		return err;
	if (m.pcluster && !(m.flags & OCFSX_EXT_UNWRITTEN))
		*pblock = (m.pcluster << sbi->c2b_bits) +
			  (lblock & ((1ULL << sbi->c2b_bits) - 1));
	return 0;
}

/* ---- changes (journaled) --------------------------------------------- */

struct ext_node {
	struct buffer_head *bh;
	struct ocfsx_extent_hdr *eh;
	struct ocfsx_extent *recs;
	u16 type;			/* OCFSX_BT_INODE or _EXTENT */
};

static void node_of_inode(struct buffer_head *bh, struct ext_node *n)
{
	n->bh = bh;
	n->eh = (void *)bh->b_data + OCFSX_INODE_BODY_OFFSET;
	n->recs = (void *)(n->eh + 1);
	n->type = OCFSX_BT_INODE;
}

/* Reads the inode block and checks the extent root it holds. */
static struct buffer_head *read_root(struct inode *inode, struct ext_node *root)
{
	struct buffer_head *ibh = ocfsx_read_inode_bh(inode);
	int err;

	if (IS_ERR(ibh))
		return ibh;
	node_of_inode(ibh, root);
	err = check_node(inode, inode->i_ino, root->eh,
			 ocfsx_inode_extent_recs(inode->i_sb->s_blocksize,
						 OCFSX_I(inode)->xattr_inline),
			 -1);
	if (err) {
		brelse(ibh);
		return ERR_PTR(err);
	}
	return ibh;
}

static void node_of_block(struct buffer_head *bh, struct ext_node *n)
{
	n->bh = bh;
	n->eh = &((struct ocfsx_extent_block *)bh->b_data)->eb_list;
	n->recs = (void *)bh->b_data + OCFSX_EXTENT_BLOCK_RECS_OFFSET;
	n->type = OCFSX_BT_EXTENT;
}

/*
 * Puts a record into a leaf node with room, merging with its left
 * neighbour when both logically and physically contiguous. Returns
 * -ENOSPC when the node is full, -EEXIST on overlap.
 */
static int leaf_insert(struct ext_node *n, u32 lc, u64 pc, u32 len, u16 flags)
{
	u32 used = le16_to_cpu(n->eh->eh_used), pos;
	struct ocfsx_extent *r = n->recs;

	for (pos = 0; pos < used; pos++)
		if (le32_to_cpu(r[pos].ex_lcluster) > lc)
			break;
	if (pos > 0) {
		struct ocfsx_extent *p = &r[pos - 1];
		u64 pend = (u64)le32_to_cpu(p->ex_lcluster) +
			   le32_to_cpu(p->ex_clusters);

		if (pend > lc)
			return -EEXIST;
		if (pend == lc && le16_to_cpu(p->ex_flags) == flags &&
		    le64_to_cpu(p->ex_start) + le32_to_cpu(p->ex_clusters) == pc &&
		    (u64)le32_to_cpu(p->ex_clusters) + len < (1ULL << 32)) {
			le32_add_cpu(&p->ex_clusters, len);
			return 0;
		}
	}
	if (pos < used && (u64)lc + len > le32_to_cpu(r[pos].ex_lcluster))
		return -EEXIST;
	if (used >= le16_to_cpu(n->eh->eh_capacity))
		return -ENOSPC;
	memmove(&r[pos + 1], &r[pos], (used - pos) * sizeof(*r));
	memset(&r[pos], 0, sizeof(*r));
	r[pos].ex_start = cpu_to_le64(pc);
	r[pos].ex_lcluster = cpu_to_le32(lc);
	r[pos].ex_clusters = cpu_to_le32(len);
	r[pos].ex_flags = cpu_to_le16(flags);
	n->eh->eh_used = cpu_to_le16(used + 1);
	return 0;
}

/*
 * A fresh zeroed metadata block of type from meta_alloc, owned by inode,
 * its origin recorded in the header, journaled for create.
 */
struct buffer_head *ocfsx_new_meta_block(handle_t *h, struct inode *inode,
					 u16 type)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_alloc_origin o;
	struct ocfsx_block_header *hdr;
	struct buffer_head *bh;
	int err;

	err = ocfsx_alloc_block(h, sb, false, &o);
	if (err)
		return ERR_PTR(err);
	bh = sb_getblk(sb, o.blkno);
	if (!bh)
		return ERR_PTR(-ENOMEM);
	err = ocfsx_journal_access(h, bh, true);
	if (err) {
		brelse(bh);
		return ERR_PTR(err);
	}
	lock_buffer(bh);
	memset(bh->b_data, 0, sb->s_blocksize);
	ocfsx_init_header(sb, bh->b_data, type, o.blkno, inode->i_ino);
	hdr = (void *)bh->b_data;
	hdr->bh_alloc_group = cpu_to_le64(o.group);
	hdr->bh_alloc_bit = cpu_to_le32(o.bit);
	hdr->bh_alloc_slot = cpu_to_le16(o.slot);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	return bh;
}

static struct buffer_head *new_extent_block(handle_t *h, struct inode *inode)
{
	struct buffer_head *bh;

	bh = ocfsx_new_meta_block(h, inode, OCFSX_BT_EXTENT);
	if (!IS_ERR(bh))
		((struct ocfsx_extent_block *)bh->b_data)->eb_list.eh_capacity =
			cpu_to_le16(ocfsx_extent_block_recs(inode->i_sb->s_blocksize));
	return bh;
}

/*
 * Maps [lc, lc + len) of inode to physical clusters [pc, pc + len).
 * Trees of depth 0 and 1 grow here: a full root pushes its records down
 * into a first leaf, a full leaf splits in two. Caller holds alloc_sem
 * for write and updates the inode (i_clusters) afterwards.
 */
int ocfsx_extent_insert(handle_t *h, struct inode *inode, u32 lc, u64 pc,
			u32 len, u16 flags)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct ext_node root, leaf, right;
	struct buffer_head *ibh, *lbh = NULL, *rbh = NULL;
	u32 used, i, half;
	int err;

	ibh = read_root(inode, &root);
	if (IS_ERR(ibh))
		return PTR_ERR(ibh);
	err = ocfsx_journal_access(h, ibh, false);
	if (err)
		goto out;
	if (le16_to_cpu(root.eh->eh_depth) == 0) {
		err = leaf_insert(&root, lc, pc, len, flags);
		if (err != -ENOSPC)
			goto dirty_root;
		/* Push the root's records down into a first leaf. */
		lbh = new_extent_block(h, inode);
		if (IS_ERR(lbh)) {
			err = PTR_ERR(lbh);
			lbh = NULL;
			goto out;
		}
		node_of_block(lbh, &leaf);
		used = le16_to_cpu(root.eh->eh_used);
		memcpy(leaf.recs, root.recs, used * sizeof(*root.recs));
		leaf.eh->eh_used = cpu_to_le16(used);
		memset(root.recs, 0, used * sizeof(*root.recs));
		root.eh->eh_depth = cpu_to_le16(1);
		root.eh->eh_used = cpu_to_le16(1);
		root.recs[0].ex_start = cpu_to_le64(lbh->b_blocknr);
		oi->last_leaf = lbh->b_blocknr;
		err = leaf_insert(&leaf, lc, pc, len, flags);
		if (!err)
			err = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_EXTENT);
		goto dirty_root;
	}
	if (le16_to_cpu(root.eh->eh_depth) != 1) {
		pr_warn_once("ocfsx: %s: inode %lu: extent trees deeper than 1 cannot grow yet\n",
			     sb->s_id, inode->i_ino);
		err = -EOPNOTSUPP;
		goto out;
	}
	used = le16_to_cpu(root.eh->eh_used);
	if (!used)
		goto corrupt;
	for (i = used - 1; i > 0; i--)
		if (le32_to_cpu(root.recs[i].ex_lcluster) <= lc)
			break;
	lbh = ocfsx_read_meta(sb, le64_to_cpu(root.recs[i].ex_start),
			      OCFSX_BT_EXTENT, inode->i_ino);
	if (IS_ERR(lbh)) {
		err = PTR_ERR(lbh);
		lbh = NULL;
		goto out;
	}
	node_of_block(lbh, &leaf);
	err = check_node(inode, lbh->b_blocknr, leaf.eh,
			 ocfsx_extent_block_recs(sb->s_blocksize), 0);
	if (err)
		goto out;
	err = ocfsx_journal_access(h, lbh, false);
	if (err)
		goto out;
	err = leaf_insert(&leaf, lc, pc, len, flags);
	if (err != -ENOSPC)
		goto dirty_leaf;
	/* Split the leaf: the upper half moves to a new right sibling. */
	if (used >= le16_to_cpu(root.eh->eh_capacity)) {
		pr_warn_once("ocfsx: %s: inode %lu: extent tree is full at depth 1\n",
			     sb->s_id, inode->i_ino);
		err = -EOPNOTSUPP;
		goto out;
	}
	rbh = new_extent_block(h, inode);
	if (IS_ERR(rbh)) {
		err = PTR_ERR(rbh);
		rbh = NULL;
		goto out;
	}
	node_of_block(rbh, &right);
	half = le16_to_cpu(leaf.eh->eh_used);
	/* Appends keep the left leaf full; other splits go halfway. */
	half = lc >= le32_to_cpu(leaf.recs[half - 1].ex_lcluster) ? half :
	       half / 2;
	memcpy(right.recs, &leaf.recs[half],
	       (le16_to_cpu(leaf.eh->eh_used) - half) * sizeof(*leaf.recs));
	right.eh->eh_used = cpu_to_le16(le16_to_cpu(leaf.eh->eh_used) - half);
	memset(&leaf.recs[half], 0,
	       le16_to_cpu(right.eh->eh_used) * sizeof(*leaf.recs));
	leaf.eh->eh_used = cpu_to_le16(half);
	((struct ocfsx_extent_block *)rbh->b_data)->eb_next_leaf =
		((struct ocfsx_extent_block *)lbh->b_data)->eb_next_leaf;
	((struct ocfsx_extent_block *)lbh->b_data)->eb_next_leaf =
		cpu_to_le64(rbh->b_blocknr);
	if (right.eh->eh_used && lc >= le32_to_cpu(right.recs[0].ex_lcluster))
		err = leaf_insert(&right, lc, pc, len, flags);
	else if (!right.eh->eh_used)
		err = leaf_insert(&right, lc, pc, len, flags);
	else
		err = leaf_insert(&leaf, lc, pc, len, flags);
	if (err)
		goto out;
	memmove(&root.recs[i + 2], &root.recs[i + 1],
		(used - i - 1) * sizeof(*root.recs));
	memset(&root.recs[i + 1], 0, sizeof(*root.recs));
	root.recs[i + 1].ex_start = cpu_to_le64(rbh->b_blocknr);
	root.recs[i + 1].ex_lcluster = right.recs[0].ex_lcluster;
	root.eh->eh_used = cpu_to_le16(used + 1);
	if (i + 1 == used)
		oi->last_leaf = rbh->b_blocknr;
	err = ocfsx_journal_dirty(h, sb, rbh, OCFSX_BT_EXTENT);
	if (err)
		goto out;
dirty_leaf:
	if (!err)
		err = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_EXTENT);
dirty_root:
	if (!err) {
		oi->clusters += len;
		err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
	}
	goto out;
corrupt:
	ocfsx_error(sb, "inode %lu: block %lu (inode): empty extent root at depth 1",
		    inode->i_ino, inode->i_ino);
	err = -EFSCORRUPTED;
out:
	brelse(rbh);
	brelse(lbh);
	brelse(ibh);
	return err;
}

/*
 * Drops the records (or their tails) at or past logical cluster keep and
 * frees their clusters; empties leaves are freed. *freed counts clusters.
 */
static int trim_node(handle_t *h, struct inode *inode, struct ext_node *n,
		     u32 keep, u64 *freed)
{
	struct super_block *sb = inode->i_sb;
	u32 used = le16_to_cpu(n->eh->eh_used);
	int err = 0;

	while (used && !err) {
		struct ocfsx_extent *r = &n->recs[used - 1];
		u32 start = le32_to_cpu(r->ex_lcluster);
		u32 len = le32_to_cpu(r->ex_clusters);
		u64 pc = le64_to_cpu(r->ex_start);

		if ((u64)start + len <= keep)
			break;
		jbd2_journal_extend(h, 8, 0);
		if (start >= keep) {
			err = ocfsx_free_clusters(h, sb, pc, len);
			memset(r, 0, sizeof(*r));
			used--;
			*freed += len;
		} else {
			err = ocfsx_free_clusters(h, sb, pc + (keep - start),
						  start + len - keep);
			*freed += start + len - keep;
			r->ex_clusters = cpu_to_le32(keep - start);
		}
	}
	n->eh->eh_used = cpu_to_le16(used);
	return err;
}

/* Frees every cluster at or past logical cluster keep. */
int ocfsx_extent_truncate(handle_t *h, struct inode *inode, u32 keep)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct buffer_head *ibh, *lbh;
	struct ext_node root, leaf;
	u64 freed = 0;
	u32 used;
	int err;

	ibh = read_root(inode, &root);
	if (IS_ERR(ibh))
		return PTR_ERR(ibh);
	err = ocfsx_journal_access(h, ibh, false);
	if (err)
		goto out;
	if (le16_to_cpu(root.eh->eh_depth) == 0) {
		err = trim_node(h, inode, &root, keep, &freed);
		goto done;
	}
	if (le16_to_cpu(root.eh->eh_depth) != 1) {
		err = -EOPNOTSUPP;
		goto out;
	}
	while ((used = le16_to_cpu(root.eh->eh_used)) && !err) {
		struct ocfsx_extent *ir = &root.recs[used - 1];

		lbh = ocfsx_read_meta(sb, le64_to_cpu(ir->ex_start),
				      OCFSX_BT_EXTENT, inode->i_ino);
		if (IS_ERR(lbh)) {
			err = PTR_ERR(lbh);
			break;
		}
		node_of_block(lbh, &leaf);
		err = check_node(inode, lbh->b_blocknr, leaf.eh,
				 ocfsx_extent_block_recs(sb->s_blocksize), 0);
		if (!err)
			err = ocfsx_journal_access(h, lbh, false);
		if (!err)
			err = trim_node(h, inode, &leaf, keep, &freed);
		if (err) {
			brelse(lbh);
			break;
		}
		if (leaf.eh->eh_used) {
			((struct ocfsx_extent_block *)lbh->b_data)->eb_next_leaf = 0;
			err = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_EXTENT);
			oi->last_leaf = lbh->b_blocknr;
			brelse(lbh);
			break;
		}
		/* The leaf is empty: free it and drop its root record. */
		err = ocfsx_journal_dirty(h, sb, lbh, OCFSX_BT_EXTENT);
		if (!err)
			err = ocfsx_free_block(h, sb, (void *)lbh->b_data);
		brelse(lbh);
		memset(ir, 0, sizeof(*ir));
		root.eh->eh_used = cpu_to_le16(used - 1);
	}
	if (!le16_to_cpu(root.eh->eh_used)) {
		root.eh->eh_depth = 0;
		oi->last_leaf = 0;
	}
done:
	oi->clusters -= min(oi->clusters, freed);
	if (!err)
		err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
out:
	brelse(ibh);
	return err;
}

/*
 * Removes logical clusters [start, end) from a depth-0 tree, freeing
 * them; a record straddling both ends is split in two.
 */
int ocfsx_extent_punch(handle_t *h, struct inode *inode, u32 start, u32 end)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct buffer_head *ibh;
	struct ext_node root;
	u64 freed = 0;
	u32 i, used;
	int err;

	ibh = read_root(inode, &root);
	if (IS_ERR(ibh))
		return PTR_ERR(ibh);
	if (le16_to_cpu(root.eh->eh_depth) != 0) {
		err = -EOPNOTSUPP;
		goto out;
	}
	err = ocfsx_journal_access(h, ibh, false);
	if (err)
		goto out;
	used = le16_to_cpu(root.eh->eh_used);
	for (i = 0; i < used && !err; i++) {
		struct ocfsx_extent *r = &root.recs[i];
		u32 rs = le32_to_cpu(r->ex_lcluster);
		u64 re = (u64)rs + le32_to_cpu(r->ex_clusters);
		u64 pc = le64_to_cpu(r->ex_start);
		u32 cs = max(rs, start);
		u64 ce = min_t(u64, re, end);

		if (ce <= cs)
			continue;
		jbd2_journal_extend(h, 8, 0);
		err = ocfsx_free_clusters(h, sb, pc + (cs - rs), ce - cs);
		if (err)
			break;
		freed += ce - cs;
		if (cs == rs && ce == re) {		/* whole record */
			memmove(r, r + 1, (used - i - 1) * sizeof(*r));
			memset(&root.recs[used - 1], 0, sizeof(*r));
			used--;
			i--;
		} else if (cs == rs) {			/* head */
			r->ex_start = cpu_to_le64(pc + (ce - rs));
			r->ex_lcluster = cpu_to_le32(ce);
			r->ex_clusters = cpu_to_le32(re - ce);
		} else if (ce == re) {			/* tail */
			r->ex_clusters = cpu_to_le32(cs - rs);
		} else {				/* middle: split */
			if (used >= le16_to_cpu(root.eh->eh_capacity)) {
				err = -EOPNOTSUPP;
				break;
			}
			memmove(r + 2, r + 1, (used - i - 1) * sizeof(*r));
			r[1] = r[0];
			r[0].ex_clusters = cpu_to_le32(cs - rs);
			r[1].ex_start = cpu_to_le64(pc + (ce - rs));
			r[1].ex_lcluster = cpu_to_le32(ce);
			r[1].ex_clusters = cpu_to_le32(re - ce);
			used++;
			i++;
		}
	}
	root.eh->eh_used = cpu_to_le16(used);
	oi->clusters -= min(oi->clusters, freed);
	if (!err)
		err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
out:
	brelse(ibh);
	return err;
}

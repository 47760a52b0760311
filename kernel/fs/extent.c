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

/* A fresh extent block from meta_alloc, journaled for create. */
static struct buffer_head *new_extent_block(handle_t *h, struct inode *inode)
{
	struct buffer_head *bh = ocfsx_new_meta_block(h, inode, OCFSX_BT_EXTENT);
	struct ocfsx_extent_block *eb;

	if (IS_ERR(bh))
		return bh;
	eb = (void *)bh->b_data;
	eb->eb_list.eh_capacity =
		cpu_to_le16(ocfsx_extent_block_recs(inode->i_sb->s_blocksize));
	return bh;
}


/*
 * A root-to-leaf path: level 0 is the root in the inode block, level
 * depth the leaf. lo/hi bound the logical clusters a node may map: the
 * key of the record that leads to it, up to the next record's key (or the
 * parent's bound). Every interior node's first key equals its own key in
 * the parent; splits and removals keep it that way, so lo is exact and a
 * lookup of lo - 1 lands on the leaf to the left.
 */
struct ext_path {
	int depth;
	struct ext_node n[OCFSX_MAX_EXTENT_DEPTH + 1];
	u32 idx[OCFSX_MAX_EXTENT_DEPTH + 1];
	u64 lo[OCFSX_MAX_EXTENT_DEPTH + 1];
	u64 hi[OCFSX_MAX_EXTENT_DEPTH + 1];
};

static void path_release(struct ext_path *p)
{
	int l;

	for (l = 0; l <= p->depth; l++) {
		brelse(p->n[l].bh);
		p->n[l].bh = NULL;
	}
}

static int node_dirty(handle_t *h, struct super_block *sb, struct ext_node *n)
{
	return ocfsx_journal_dirty(h, sb, n->bh, n->type);
}

/*
 * Reads the path to the leaf whose span holds lc, with write access to
 * every node on it. On error nothing is held.
 */
static int find_path(handle_t *h, struct inode *inode, u32 lc,
		     struct ext_path *p)
{
	struct super_block *sb = inode->i_sb;
	struct buffer_head *bh;
	struct ext_node *n;
	u32 used, i;
	int l, err;

	memset(p, 0, sizeof(*p));
	bh = read_root(inode, &p->n[0]);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	p->depth = le16_to_cpu(p->n[0].eh->eh_depth);
	p->hi[0] = OCFSX_MAX_FILE_CLUSTERS;
	for (l = 0; ; l++) {
		n = &p->n[l];
		err = ocfsx_journal_access(h, n->bh, false);
		if (err)
			goto fail;
		if (l == p->depth)
			return 0;
		used = le16_to_cpu(n->eh->eh_used);
		if (!used) {
			ocfsx_error(sb, "inode %lu: block %llu (extent node): empty interior node at depth %d",
				    inode->i_ino, (u64)n->bh->b_blocknr,
				    p->depth - l);
			err = -EFSCORRUPTED;
			goto fail;
		}
		for (i = used - 1; i > 0; i--)
			if (le32_to_cpu(n->recs[i].ex_lcluster) <= lc)
				break;
		p->idx[l] = i;
		p->lo[l + 1] = max_t(u64, p->lo[l],
				     le32_to_cpu(n->recs[i].ex_lcluster));
		p->hi[l + 1] = i + 1 < used ?
			       le32_to_cpu(n->recs[i + 1].ex_lcluster) : p->hi[l];
		bh = ocfsx_read_meta(sb, le64_to_cpu(n->recs[i].ex_start),
				     OCFSX_BT_EXTENT, inode->i_ino);
		if (IS_ERR(bh)) {
			err = PTR_ERR(bh);
			goto fail;
		}
		node_of_block(bh, &p->n[l + 1]);
		err = check_node(inode, bh->b_blocknr, p->n[l + 1].eh,
				 ocfsx_extent_block_recs(sb->s_blocksize),
				 p->depth - l - 1);
		if (err) {
			l++;
			goto fail;
		}
	}
fail:
	p->depth = l;
	path_release(p);
	return err;
}

/*
 * The rightmost leaf moved: the inode block (the path's root, under write
 * access) records it too, so callers that write no other inode field
 * (unwritten conversion) still leave i_last_leaf right on disk.
 */
static int set_last_leaf(handle_t *h, struct inode *inode,
			 struct ext_node *root, u64 blkno)
{
	struct ocfsx_inode *di = (void *)root->bh->b_data;

	OCFSX_I(inode)->last_leaf = blkno;
	di->i_last_leaf = cpu_to_le64(blkno);
	return node_dirty(h, inode->i_sb, root);
}

static struct ocfsx_extent_block *eb_of(struct ext_node *n)
{
	return (struct ocfsx_extent_block *)n->bh->b_data;
}

/*
 * The root is full: its records move into a new block one level down,
 * and the root keeps a single record pointing at it.
 */
static int grow_root(handle_t *h, struct inode *inode, struct ext_path *p)
{
	struct ext_node *root = &p->n[0], child;
	struct buffer_head *bh;
	u32 used = le16_to_cpu(root->eh->eh_used);
	int l, err;

	if (p->depth >= OCFSX_MAX_EXTENT_DEPTH) {
		pr_warn_ratelimited("ocfsx: %s: inode %lu: extent tree is at its maximum depth %d; the file is too fragmented to map more\n",
				    inode->i_sb->s_id, inode->i_ino,
				    OCFSX_MAX_EXTENT_DEPTH);
		return -EFBIG;
	}
	bh = new_extent_block(h, inode);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	node_of_block(bh, &child);
	memcpy(child.recs, root->recs, used * sizeof(*root->recs));
	child.eh->eh_used = cpu_to_le16(used);
	child.eh->eh_depth = root->eh->eh_depth;
	memset(root->recs, 0, used * sizeof(*root->recs));
	root->eh->eh_depth = cpu_to_le16(p->depth + 1);
	root->eh->eh_used = cpu_to_le16(1);
	root->recs[0].ex_start = cpu_to_le64(bh->b_blocknr);
	for (l = p->depth; l >= 1; l--) {
		p->n[l + 1] = p->n[l];
		p->idx[l + 1] = p->idx[l];
		p->lo[l + 1] = p->lo[l];
		p->hi[l + 1] = p->hi[l];
	}
	p->n[1] = child;
	p->idx[1] = p->idx[0];
	p->idx[0] = 0;
	p->lo[1] = 0;
	p->hi[1] = p->hi[0];
	p->depth++;
	err = node_dirty(h, inode->i_sb, &child) ?:
	      node_dirty(h, inode->i_sb, root);
	if (!err && p->depth == 1)
		err = set_last_leaf(h, inode, root, bh->b_blocknr);
	return err;
}

/*
 * Splits the full node at level l (> 0) whose parent has room. Appends
 * (lc past the last record) leave the left node full; other splits go
 * halfway. The path then follows the half that covers lc.
 */
static int split_node(handle_t *h, struct inode *inode, struct ext_path *p,
		      int l, u32 lc)
{
	struct super_block *sb = inode->i_sb;
	struct ext_node *left = &p->n[l], *parent = &p->n[l - 1], right;
	u32 used = le16_to_cpu(left->eh->eh_used), pused, pi = p->idx[l - 1];
	bool leaf = l == p->depth, go_right;
	struct buffer_head *bh;
	u32 cut, key;
	int k, err = 0;

	/* Only a corrupt capacity makes a node this small look full. */
	if (used < 2) {
		ocfsx_error(sb, "inode %lu: block %llu (extent node): full with %u records",
			    inode->i_ino, (u64)left->bh->b_blocknr, used);
		return -EFSCORRUPTED;
	}
	if (leaf)
		cut = lc > le32_to_cpu(left->recs[used - 1].ex_lcluster) ?
		      used : used / 2;
	else
		cut = p->idx[l] == used - 1 ? used - 1 : used / 2;
	bh = new_extent_block(h, inode);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	node_of_block(bh, &right);
	right.eh->eh_depth = left->eh->eh_depth;
	memcpy(right.recs, &left->recs[cut], (used - cut) * sizeof(right.recs[0]));
	memset(&left->recs[cut], 0, (used - cut) * sizeof(right.recs[0]));
	right.eh->eh_used = cpu_to_le16(used - cut);
	left->eh->eh_used = cpu_to_le16(cut);
	key = used > cut ? le32_to_cpu(right.recs[0].ex_lcluster) : lc;
	if (leaf) {
		eb_of(&right)->eb_next_leaf = eb_of(left)->eb_next_leaf;
		eb_of(left)->eb_next_leaf = cpu_to_le64(bh->b_blocknr);
		if (OCFSX_I(inode)->last_leaf == left->bh->b_blocknr)
			err = set_last_leaf(h, inode, &p->n[0], bh->b_blocknr);
	}
	pused = le16_to_cpu(parent->eh->eh_used);
	memmove(&parent->recs[pi + 2], &parent->recs[pi + 1],
		(pused - pi - 1) * sizeof(parent->recs[0]));
	memset(&parent->recs[pi + 1], 0, sizeof(parent->recs[0]));
	parent->recs[pi + 1].ex_start = cpu_to_le64(bh->b_blocknr);
	parent->recs[pi + 1].ex_lcluster = cpu_to_le32(key);
	parent->eh->eh_used = cpu_to_le16(pused + 1);

	err = err ?: node_dirty(h, sb, left) ?: node_dirty(h, sb, &right) ?:
	      node_dirty(h, sb, parent);
	go_right = leaf ? lc >= key : p->idx[l] >= cut;
	if (go_right) {
		brelse(left->bh);
		*left = right;
		p->idx[l] -= leaf ? 0 : cut;
		p->idx[l - 1] = pi + 1;
		p->lo[l] = key;
	} else {
		brelse(bh);
		for (k = l; k <= p->depth; k++)
			p->hi[k] = min_t(u64, p->hi[k], key);
	}
	return err;
}

/* Makes room for one record in the node at level l, splitting upwards. */
static int make_room(handle_t *h, struct inode *inode, struct ext_path *p,
		     int l, u32 lc)
{
	struct ext_node *n = &p->n[l];
	int d0 = p->depth, err;

	if (le16_to_cpu(n->eh->eh_used) < le16_to_cpu(n->eh->eh_capacity))
		return 0;
	if (l == 0) {
		err = grow_root(h, inode, p);
		return err ?: make_room(h, inode, p, 1, lc);
	}
	err = make_room(h, inode, p, l - 1, lc);
	if (err)
		return err;
	return split_node(h, inode, p, l + p->depth - d0, lc);
}

/* Inserts one leaf record; the caller accounts i_clusters. */
static int insert_rec(handle_t *h, struct inode *inode, u32 lc, u64 pc,
		      u32 len, u16 flags)
{
	struct ext_path p;
	struct ext_node *leaf;
	int err;

	err = find_path(h, inode, lc, &p);
	if (err)
		return err;
	if ((u64)lc + len > p.hi[p.depth]) {
		ocfsx_error(inode->i_sb, "inode %lu: block %llu (extent node): clusters %u+%u cross into the next leaf",
			    inode->i_ino, (u64)p.n[p.depth].bh->b_blocknr,
			    lc, len);
		err = -EFSCORRUPTED;
		goto out;
	}
	leaf = &p.n[p.depth];
	err = leaf_insert(leaf, lc, pc, len, flags);
	if (err == -ENOSPC) {
		err = make_room(h, inode, &p, p.depth, lc);
		leaf = &p.n[p.depth];
		if (!err)
			err = leaf_insert(leaf, lc, pc, len, flags);
	}
	if (!err)
		err = node_dirty(h, inode->i_sb, leaf);
out:
	path_release(&p);
	return err;
}

/*
 * Maps [lc, lc + len) of inode to physical clusters [pc, pc + len),
 * growing the tree as needed (leaf splits, then a deeper root). Caller
 * holds alloc_sem for write and writes the inode (i_clusters) afterwards.
 */
int ocfsx_extent_insert(handle_t *h, struct inode *inode, u32 lc, u64 pc,
			u32 len, u16 flags)
{
	int err = insert_rec(h, inode, lc, pc, len, flags);

	if (!err)
		OCFSX_I(inode)->clusters += len;
	return err;
}

/*
 * A node's first record took over the lower bound key of a removed left
 * sibling: its subtree's leftmost interior records follow, so that every
 * interior node's first key stays equal to its key in the parent.
 */
static int lower_leftmost(handle_t *h, struct inode *inode, u64 blkno,
			  int depth, __le32 key)
{
	struct super_block *sb = inode->i_sb;
	struct buffer_head *bh;
	struct ext_node n;
	int err;

	for (; depth > 0; depth--) {
		bh = ocfsx_read_meta(sb, blkno, OCFSX_BT_EXTENT, inode->i_ino);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		node_of_block(bh, &n);
		err = check_node(inode, blkno, n.eh,
				 ocfsx_extent_block_recs(sb->s_blocksize),
				 depth);
		if (!err && !n.eh->eh_used) {
			ocfsx_error(sb, "inode %lu: block %llu (extent node): empty interior node",
				    inode->i_ino, blkno);
			err = -EFSCORRUPTED;
		}
		if (!err)
			err = ocfsx_journal_access(h, bh, false);
		if (!err) {
			n.recs[0].ex_lcluster = key;
			blkno = le64_to_cpu(n.recs[0].ex_start);
			err = node_dirty(h, sb, &n);
		}
		brelse(bh);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The leaf at the end of the path is empty: free it and every ancestor
 * that empties with it, relinking the leaf chain around it. An empty root
 * goes back to depth 0.
 */
static int drop_leaf(handle_t *h, struct inode *inode, struct ext_path *p)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct ext_node *n = &p->n[p->depth];
	u64 blkno = n->bh->b_blocknr;
	struct ext_path q;
	int l, err = 0;

	if (p->lo[p->depth] > 0) {
		err = find_path(h, inode, p->lo[p->depth] - 1, &q);
		if (err)
			return err;
		eb_of(&q.n[q.depth])->eb_next_leaf = eb_of(n)->eb_next_leaf;
		err = node_dirty(h, sb, &q.n[q.depth]);
		if (!err && oi->last_leaf == blkno)
			err = set_last_leaf(h, inode, &q.n[0],
					    q.n[q.depth].bh->b_blocknr);
		path_release(&q);
		if (err)
			return err;
	}
	for (l = p->depth; l > 0 && !n->eh->eh_used; l--, n = &p->n[l]) {
		struct ext_node *parent = &p->n[l - 1];
		u32 pi = p->idx[l - 1], pused = le16_to_cpu(parent->eh->eh_used);
		__le32 key = parent->recs[pi].ex_lcluster;

		err = node_dirty(h, sb, n);
		if (!err)
			err = ocfsx_free_block(h, sb, (void *)n->bh->b_data);
		if (err)
			return err;
		memmove(&parent->recs[pi], &parent->recs[pi + 1],
			(pused - pi - 1) * sizeof(parent->recs[0]));
		memset(&parent->recs[pused - 1], 0, sizeof(parent->recs[0]));
		parent->eh->eh_used = cpu_to_le16(pused - 1);
		/* The node's lower bound now belongs to its right sibling. */
		if (pi == 0 && pused > 1) {
			parent->recs[0].ex_lcluster = key;
			err = lower_leftmost(h, inode,
					     le64_to_cpu(parent->recs[0].ex_start),
					     p->depth - l, key);
		}
		if (!err)
			err = node_dirty(h, sb, parent);
		if (err)
			return err;
	}
	if (!p->n[0].eh->eh_used) {
		p->n[0].eh->eh_depth = 0;
		err = set_last_leaf(h, inode, &p->n[0], 0);
	}
	return err;
}

/*
 * Buffers a removal may still need after the next leaf: a tail insert
 * (splits up the whole path), the restart's inode update and the caller's
 * mark (an orphan entry: a directory insert).
 */
#define UNMAP_RESERVE		96
#define UNMAP_CREDITS		192
/*
 * Leaves per transaction at most: a long unmap commits as it goes even on
 * a big journal, so it never holds a large share of it (other writers wait
 * for that commit) and a crash loses little of its progress.
 */
#define UNMAP_LEAVES		64

/* Room for n more buffers beyond the reserve; false when jbd2 refuses. */
static bool unmap_room(handle_t *h, int n)
{
	int want = n + UNMAP_RESERVE - jbd2_handle_buffer_credits(h);

	return want <= 0 || jbd2_journal_extend(h, want, 0) == 0;
}

/*
 * The running transaction is full: commit what was removed so far with an
 * exact i_clusters (every leaf is consistent on its own), after the
 * caller's mark (the orphan entry of a truncate), and go on in a fresh
 * one. alloc_sem nests inside transactions (get_block starts one, then
 * takes it), so it is not held while jbd2 may wait for a commit.
 */
static int unmap_restart(handle_t *h, struct inode *inode, u64 *freed,
			 ocfsx_unmap_mark_t mark)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	int err;

	oi->clusters -= min(oi->clusters, *freed);
	*freed = 0;
	up_write(&oi->alloc_sem);
	err = mark ? mark(h, inode) : 0;
	if (!err)
		err = ocfsx_update_inode(h, inode);
	if (!err)
		err = jbd2_journal_restart(h, UNMAP_CREDITS);
	down_write(&oi->alloc_sem);
	return err;
}

/*
 * Unmaps logical clusters [start, end) and frees them, leaf by leaf from
 * the right; emptied extent blocks are freed. A record straddling both
 * ends keeps its head in place and its tail is inserted again, in the
 * same transaction. When the transaction fills up, it is committed
 * between leaves (or between records of one leaf) and the removal goes on
 * in the next one; a handle nested in another cannot be restarted and
 * goes on as far as jbd2 lets it.
 */
static int remove_range(handle_t *h, struct inode *inode, u32 start, u64 end,
			ocfsx_unmap_mark_t mark)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	u64 cur = end, tail_pc = 0, freed = 0;
	u32 tail_lc = 0, tail_len = 0;
	u32 cpg = ocfsx_global_cpg(sb->s_blocksize);
	bool may_restart = h->h_ref == 1;
	u16 tail_flags = 0;
	int depth = OCFSX_MAX_EXTENT_DEPTH;	/* only shrinks */
	int leaves = 0;				/* in this transaction */
	bool done = false;
	int err = 0;

	while (cur > start && !done && !err) {
		struct ext_path p;
		struct ext_node *leaf;
		bool stopped = false, any = false;
		u32 used, i;

		/*
		 * The leaf, and when it empties: its emptied ancestors and
		 * their group descriptors, the left leaf's path.
		 */
		if (may_restart && (leaves >= UNMAP_LEAVES ||
				    !unmap_room(h, 5 * depth + 8))) {
			err = unmap_restart(h, inode, &freed, mark);
			if (err)
				break;
			leaves = 0;
		}
		leaves++;
		err = find_path(h, inode, cur - 1, &p);
		if (err)
			break;
		depth = p.depth;
		leaf = &p.n[p.depth];
		used = le16_to_cpu(leaf->eh->eh_used);
		for (i = used; i > 0 && !err; i--) {
			struct ocfsx_extent *r = &leaf->recs[i - 1];
			u32 rs = le32_to_cpu(r->ex_lcluster);
			u64 re = (u64)rs + le32_to_cpu(r->ex_clusters);
			u64 pc = le64_to_cpu(r->ex_start);
			u32 cs = max(rs, start);
			u64 ce = min(re, cur);

			if (re <= start) {
				done = true;
				break;
			}
			if (ce <= cs)
				continue;
			/* Local-alloc window, bitmap inode, one group each. */
			if (any && may_restart &&
			    !unmap_room(h, 4 + div_u64(ce - cs, cpg) + 1)) {
				cur = ce;	/* this record and left of it */
				stopped = true;
				break;
			}
			/* Directory blocks are journaled; the clusters may
			 * come back as file data. */
			if (S_ISDIR(inode->i_mode))
				err = ocfsx_forget_blocks(h, sb,
					(pc + (cs - rs)) << OCFSX_SB(sb)->c2b_bits,
					(ce - cs) << OCFSX_SB(sb)->c2b_bits, true);
			if (!err)
				err = ocfsx_free_clusters(h, sb, pc + (cs - rs),
							  ce - cs);
			if (err)
				break;
			freed += ce - cs;
			any = true;
			if (cs == rs && ce == re) {		/* whole record */
				memmove(r, r + 1, (used - i) * sizeof(*r));
				memset(&leaf->recs[used - 1], 0, sizeof(*r));
				used--;
			} else if (cs == rs) {			/* head */
				r->ex_start = cpu_to_le64(pc + (ce - rs));
				r->ex_lcluster = cpu_to_le32(ce);
				r->ex_clusters = cpu_to_le32(re - ce);
			} else {				/* tail, or middle */
				r->ex_clusters = cpu_to_le32(cs - rs);
				if (ce < re) {
					tail_pc = pc + (ce - rs);
					tail_lc = ce;
					tail_len = re - ce;
					tail_flags = le16_to_cpu(r->ex_flags);
				}
				done = true;
				break;
			}
		}
		leaf->eh->eh_used = cpu_to_le16(used);
		if (!err)
			err = node_dirty(h, sb, leaf);
		if (!stopped) {
			if (p.lo[p.depth] <= start)
				done = true;
			cur = p.lo[p.depth];
		}
		if (!err && !used && p.depth > 0)
			err = drop_leaf(h, inode, &p);
		path_release(&p);
	}
	if (!err && tail_len)
		err = insert_rec(h, inode, tail_lc, tail_pc, tail_len, tail_flags);
	oi->clusters -= min(oi->clusters, freed);
	return err;
}

/*
 * Frees every cluster at or past logical cluster keep. Between
 * transactions mark (if any) runs first, in the transaction that commits.
 */
int ocfsx_extent_truncate(handle_t *h, struct inode *inode, u32 keep,
			  ocfsx_unmap_mark_t mark)
{
	return remove_range(h, inode, keep, OCFSX_MAX_FILE_CLUSTERS, mark);
}

/* Removes logical clusters [start, end), freeing them, at any depth. */
int ocfsx_extent_punch(handle_t *h, struct inode *inode, u32 start, u32 end)
{
	return remove_range(h, inode, start, end, NULL);
}

/*
 * Marks [lc, lc + len), which lies inside one unwritten record, written:
 * the record keeps the unwritten rest and the written part is inserted
 * next to it (merging with a written left neighbour when contiguous).
 * i_clusters does not change.
 */
int ocfsx_extent_mark_written(handle_t *h, struct inode *inode, u32 lc,
			      u32 len)
{
	struct super_block *sb = inode->i_sb;
	struct ext_path p;
	struct ext_node *leaf;
	struct ocfsx_extent *r = NULL;
	u32 used, i, rs, rlen;
	u64 pc, re;
	int err;

	err = find_path(h, inode, lc, &p);
	if (err)
		return err;
	leaf = &p.n[p.depth];
	used = le16_to_cpu(leaf->eh->eh_used);
	for (i = 0; i < used; i++) {
		rs = le32_to_cpu(leaf->recs[i].ex_lcluster);
		rlen = le32_to_cpu(leaf->recs[i].ex_clusters);
		if (lc >= rs && (u64)lc + len <= (u64)rs + rlen) {
			r = &leaf->recs[i];
			break;
		}
	}
	if (!r || !(le16_to_cpu(r->ex_flags) & OCFSX_EXT_UNWRITTEN)) {
		path_release(&p);
		return -EINVAL;
	}
	pc = le64_to_cpu(r->ex_start) + (lc - rs);
	re = (u64)rs + rlen;
	if (rs == lc && re == (u64)lc + len) {
		struct ocfsx_extent *left = i ? r - 1 : NULL;

		if (left && !le16_to_cpu(left->ex_flags) &&
		    le32_to_cpu(left->ex_lcluster) +
		    le32_to_cpu(left->ex_clusters) == lc &&
		    le64_to_cpu(left->ex_start) +
		    le32_to_cpu(left->ex_clusters) == pc &&
		    (u64)le32_to_cpu(left->ex_clusters) + len < (1ULL << 32)) {
			le32_add_cpu(&left->ex_clusters, len);
			memmove(r, r + 1, (used - i - 1) * sizeof(*r));
			memset(&leaf->recs[used - 1], 0, sizeof(*r));
			leaf->eh->eh_used = cpu_to_le16(used - 1);
		} else {
			r->ex_flags = 0;
		}
		err = node_dirty(h, sb, leaf);
		path_release(&p);
		return err;
	}
	if (rs == lc) {
		r->ex_start = cpu_to_le64(pc + len);
		r->ex_lcluster = cpu_to_le32(lc + len);
		r->ex_clusters = cpu_to_le32(rlen - len);
	} else {
		r->ex_clusters = cpu_to_le32(lc - rs);
	}
	err = node_dirty(h, sb, leaf);
	path_release(&p);
	if (!err)
		err = insert_rec(h, inode, lc, pc, len, 0);
	if (!err && rs < lc && re > (u64)lc + len)
		err = insert_rec(h, inode, lc + len, pc + len,
				 re - lc - len, OCFSX_EXT_UNWRITTEN);
	return err;
}

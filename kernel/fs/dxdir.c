// SPDX-License-Identifier: GPL-2.0
/*
 * The directory index (format §9.3): a B+tree of (64-bit SipHash, dirent
 * block) entries rooted at i_dx_root, and the free-space list of dirent
 * blocks with room. Lookup, insert and delete keep both in the caller's
 * transaction; the index is built when a directory outgrows its first
 * dirent block and freed with the directory.
 *
 * Every change keeps what fsck checks: each node's key in its parent is
 * its smallest hash, no node but the root is empty, and dn_next links all
 * nodes of a level left to right.
 */
#include <linux/kernel.h>
#include <linux/sort.h>

#include "ocfsx.h"

/* Free-list blocks an insert tries before it appends a new one (§9.3). */
#define DX_PROBE	4

/* A root or node block and its entry array. */
struct dx_view {
	struct buffer_head *bh;
	struct ocfsx_dx_node_hdr *hdr;
	struct ocfsx_dx_entry *ents;
};

/* Root to leaf; v[0] is the root. One spare level for a growing root. */
struct dx_path {
	int depth;
	struct dx_view v[OCFSX_MAX_DX_LEVEL + 2];
	int idx[OCFSX_MAX_DX_LEVEL + 2];	/* entry followed at each level */
};

static u64 dx_hash(struct inode *dir, const char *name, u32 nlen)
{
	return siphash(name, nlen, &OCFSX_SB(dir->i_sb)->dx_key);
}

static void dx_view_set(struct super_block *sb, struct dx_view *v, bool root)
{
	if (root) {
		v->hdr = &((struct ocfsx_dx_root *)v->bh->b_data)->dr_node;
		v->ents = (void *)v->bh->b_data + OCFSX_DX_ROOT_ENTRIES_OFFSET;
	} else {
		v->hdr = &((struct ocfsx_dx_node *)v->bh->b_data)->dn_node;
		v->ents = (void *)v->bh->b_data + OCFSX_DX_NODE_ENTRIES_OFFSET;
	}
}

static int dx_read(struct inode *dir, u64 blkno, bool root,
		   struct dx_view *v)
{
	struct super_block *sb = dir->i_sb;
	u32 cap, cap_max = root ? ocfsx_dx_root_entries(sb->s_blocksize) :
				  ocfsx_dx_node_entries(sb->s_blocksize);

	v->bh = ocfsx_read_meta(sb, blkno,
				root ? OCFSX_BT_DX_ROOT : OCFSX_BT_DX_NODE,
				dir->i_ino);
	if (IS_ERR(v->bh))
		return PTR_ERR(v->bh);
	dx_view_set(sb, v, root);
	cap = le16_to_cpu(v->hdr->dn_capacity);
	/* A split needs room for at least two entries on each side. */
	if (cap > cap_max || cap < 4 || le16_to_cpu(v->hdr->dn_count) > cap ||
	    v->hdr->dn_level > OCFSX_MAX_DX_LEVEL) {
		ocfsx_error(sb, "inode %lu: block %llu (dx node): bad node header",
			    dir->i_ino, blkno);
		brelse(v->bh);
		return -EFSCORRUPTED;
	}
	return 0;
}

static void dx_release(struct dx_path *p)
{
	while (p->depth > 0)
		brelse(p->v[--p->depth].bh);
}

/*
 * Descends from the root to the leaf for hash, recording the path. strict
 * takes the rightmost child whose key is below the hash (where lookups
 * start, §9.3); otherwise the rightmost whose key is at most the hash,
 * which is the leaf an entry with that hash is inserted into or found in.
 */
static int dx_walk(struct inode *dir, u64 hash, bool strict,
		   struct dx_path *p)
{
	u64 blkno = OCFSX_I(dir)->dx_root;
	int d, i, count, err;

	p->depth = 0;
	for (d = 0; d <= OCFSX_MAX_DX_LEVEL; d++) {
		struct dx_view *v = &p->v[d];

		err = dx_read(dir, blkno, d == 0, v);
		if (err)
			goto fail;
		p->depth = d + 1;
		p->idx[d] = 0;
		if (d && v->hdr->dn_level + 1 != p->v[d - 1].hdr->dn_level) {
			ocfsx_error(dir->i_sb, "inode %lu: block %llu (dx node): level %u below a level %u node",
				    dir->i_ino, blkno, v->hdr->dn_level,
				    p->v[d - 1].hdr->dn_level);
			err = -EFSCORRUPTED;
			goto fail;
		}
		if (v->hdr->dn_level == 0)
			return 0;
		count = le16_to_cpu(v->hdr->dn_count);
		if (!count) {
			ocfsx_error(dir->i_sb, "inode %lu: block %llu (dx node): empty interior node",
				    dir->i_ino, blkno);
			err = -EFSCORRUPTED;
			goto fail;
		}
		for (i = count - 1; i > 0; i--) {
			u64 k = le64_to_cpu(v->ents[i].dx_hash);

			if (strict ? k < hash : k <= hash)
				break;
		}
		p->idx[d] = i;
		blkno = le64_to_cpu(v->ents[i].dx_blkno);
	}
	ocfsx_error(dir->i_sb, "inode %lu: block %llu (dx root): index deeper than %d levels",
		    dir->i_ino, OCFSX_I(dir)->dx_root, OCFSX_MAX_DX_LEVEL + 1);
	err = -EFSCORRUPTED;
fail:
	dx_release(p);
	return err;
}

/*
 * Looks name up through the index (dir's meta lock held). *ino = 0 if
 * absent; otherwise *pblk (if wanted) is the dirent block holding it.
 */
int ocfsx_dx_find(struct inode *dir, const char *name, unsigned int nlen,
		  u64 *ino, u64 *pblk)
{
	u64 hash = dx_hash(dir, name, nlen);
	struct dx_path p;
	struct dx_view v;
	int i, count, err;

	*ino = 0;
	err = dx_walk(dir, hash, true, &p);
	if (err)
		return err;
	/* Keep the leaf, drop the rest of the path. */
	v = p.v[p.depth - 1];
	p.depth--;
	dx_release(&p);
	for (;;) {
		u64 next;

		count = le16_to_cpu(v.hdr->dn_count);
		for (i = 0; i < count; i++) {
			u64 h = le64_to_cpu(v.ents[i].dx_hash);
			u64 b = le64_to_cpu(v.ents[i].dx_blkno);

			if (h < hash)
				continue;
			if (h > hash)
				break;
			err = ocfsx_dir_find_in_block(dir, b, name, nlen,
						      (u32)hash, ino);
			if (err || *ino) {
				if (pblk)
					*pblk = b;
				goto out;
			}
		}
		/* Equal hashes may continue in the right sibling. */
		next = le64_to_cpu(v.hdr->dn_next);
		brelse(v.bh);
		if (i < count || !next)
			return 0;
		err = dx_read(dir, next, false, &v);
		if (err)
			return err;
		if (!v.hdr->dn_count || le64_to_cpu(v.ents[0].dx_hash) != hash)
			break;
	}
out:
	brelse(v.bh);
	return err;
}

static int dx_dirty(handle_t *h, struct inode *dir, struct dx_path *p, int d)
{
	return ocfsx_journal_dirty(h, dir->i_sb, p->v[d].bh,
				   d ? OCFSX_BT_DX_NODE : OCFSX_BT_DX_ROOT);
}

/* After entry 0 of node d changed: its key in the parents follows. */
static int dx_fix_keys(handle_t *h, struct inode *dir, struct dx_path *p,
		       int d)
{
	int err;

	for (; d > 0; d--) {
		struct dx_view *par = &p->v[d - 1];
		int i = p->idx[d - 1];
		__le64 key = p->v[d].ents[0].dx_hash;

		if (!p->v[d].hdr->dn_count || par->ents[i].dx_hash == key)
			return 0;
		err = ocfsx_journal_access(h, par->bh, false);
		if (err)
			return err;
		par->ents[i].dx_hash = key;
		err = dx_dirty(h, dir, p, d - 1);
		if (err || i)
			return err;
	}
	return 0;
}

static void dx_put(struct dx_view *v, int pos, u64 hash, u64 blkno)
{
	u16 count = le16_to_cpu(v->hdr->dn_count);

	memmove(&v->ents[pos + 1], &v->ents[pos],
		(count - pos) * sizeof(v->ents[0]));
	v->ents[pos].dx_hash = cpu_to_le64(hash);
	v->ents[pos].dx_blkno = cpu_to_le64(blkno);
	v->hdr->dn_count = cpu_to_le16(count + 1);
}

static int dx_new_node(handle_t *h, struct inode *dir, u8 level,
		       struct dx_view *v)
{
	struct super_block *sb = dir->i_sb;

	v->bh = ocfsx_new_meta_block(h, dir, OCFSX_BT_DX_NODE);
	if (IS_ERR(v->bh))
		return PTR_ERR(v->bh);
	dx_view_set(sb, v, false);
	v->hdr->dn_level = level;
	v->hdr->dn_capacity =
		cpu_to_le16(ocfsx_dx_node_entries(sb->s_blocksize));
	return 0;
}

/*
 * The root is full: its entries move into a new node one level down and
 * the root keeps a single entry for it. The path grows by that node.
 */
static int dx_grow(handle_t *h, struct inode *dir, struct dx_path *p)
{
	struct dx_view *root = &p->v[0], n;
	u16 count = le16_to_cpu(root->hdr->dn_count);
	int err;

	if (root->hdr->dn_level >= OCFSX_MAX_DX_LEVEL)
		return -ENOSPC;
	err = dx_new_node(h, dir, root->hdr->dn_level, &n);
	if (err)
		return err;
	memcpy(n.ents, root->ents, count * sizeof(n.ents[0]));
	n.hdr->dn_count = cpu_to_le16(count);
	err = ocfsx_journal_dirty(h, dir->i_sb, n.bh, OCFSX_BT_DX_NODE);
	if (!err)
		err = ocfsx_journal_access(h, root->bh, false);
	if (err) {
		brelse(n.bh);
		return err;
	}
	root->hdr->dn_level++;
	root->hdr->dn_count = cpu_to_le16(1);
	root->ents[0].dx_hash = n.ents[0].dx_hash;
	root->ents[0].dx_blkno = cpu_to_le64(n.bh->b_blocknr);
	memmove(&p->v[2], &p->v[1], (p->depth - 1) * sizeof(p->v[0]));
	memmove(&p->idx[2], &p->idx[1], (p->depth - 1) * sizeof(p->idx[0]));
	p->v[1] = n;
	p->idx[1] = p->idx[0];
	p->idx[0] = 0;
	p->depth++;
	return dx_dirty(h, dir, p, 0);
}

/*
 * Inserts (hash, blkno) at position pos of node d on the path, splitting
 * full nodes upwards and growing the root when it is full itself.
 */
static int dx_insert_at(handle_t *h, struct inode *dir, struct dx_path *p,
			int d, int pos, u64 hash, u64 blkno)
{
	struct dx_view *v = &p->v[d], right, *tgt;
	u16 count = le16_to_cpu(v->hdr->dn_count), half;
	int err;

	if (count < le16_to_cpu(v->hdr->dn_capacity)) {
		err = ocfsx_journal_access(h, v->bh, false);
		if (err)
			return err;
		dx_put(v, pos, hash, blkno);
		err = dx_dirty(h, dir, p, d);
		if (!err && pos == 0)
			err = dx_fix_keys(h, dir, p, d);
		return err;
	}
	if (d == 0) {
		err = dx_grow(h, dir, p);
		if (err)
			return err;
		/* The new node has more room than the root had. */
		return dx_insert_at(h, dir, p, 1, pos, hash, blkno);
	}
	err = dx_new_node(h, dir, v->hdr->dn_level, &right);
	if (err)
		return err;
	err = ocfsx_journal_access(h, v->bh, false);
	if (err)
		goto out;
	half = count / 2;
	memcpy(right.ents, &v->ents[half], (count - half) * sizeof(v->ents[0]));
	right.hdr->dn_count = cpu_to_le16(count - half);
	right.hdr->dn_next = v->hdr->dn_next;
	v->hdr->dn_count = cpu_to_le16(half);
	v->hdr->dn_next = cpu_to_le64(right.bh->b_blocknr);
	tgt = pos > half ? &right : v;
	dx_put(tgt, pos > half ? pos - half : pos, hash, blkno);
	err = ocfsx_journal_dirty(h, dir->i_sb, right.bh, OCFSX_BT_DX_NODE);
	if (!err)
		err = dx_dirty(h, dir, p, d);
	if (!err && pos == 0)
		err = dx_fix_keys(h, dir, p, d);
	/* Last, as it may split the parent and reshape the path. */
	if (!err)
		err = dx_insert_at(h, dir, p, d - 1, p->idx[d - 1] + 1,
				   le64_to_cpu(right.ents[0].dx_hash),
				   right.bh->b_blocknr);
out:
	brelse(right.bh);
	return err;
}

/*
 * Node d is about to go: its left neighbour at the same level (if any)
 * takes over its dn_next. That neighbour is the rightmost node of the
 * subtree left of the nearest ancestor entry that is not a first entry.
 */
static int dx_unlink_node(handle_t *h, struct inode *dir, struct dx_path *p,
			  int d)
{
	struct dx_view s;
	u64 blk, self = p->v[d].bh->b_blocknr;
	int a, l, count, err;

	for (a = d - 1; a >= 0 && p->idx[a] == 0; a--)
		;
	if (a < 0)
		return 0;
	blk = le64_to_cpu(p->v[a].ents[p->idx[a] - 1].dx_blkno);
	for (l = a + 1;; l++) {
		err = dx_read(dir, blk, false, &s);
		if (err)
			return err;
		count = le16_to_cpu(s.hdr->dn_count);
		if (s.hdr->dn_level != p->v[l].hdr->dn_level ||
		    (l < d && !count) ||
		    (l == d && le64_to_cpu(s.hdr->dn_next) != self)) {
			ocfsx_error(dir->i_sb, "inode %lu: block %llu (dx node): wrong level or sibling link next to block %llu",
				    dir->i_ino, blk, self);
			brelse(s.bh);
			return -EFSCORRUPTED;
		}
		if (l == d)
			break;
		blk = le64_to_cpu(s.ents[count - 1].dx_blkno);
		brelse(s.bh);
	}
	err = ocfsx_journal_access(h, s.bh, false);
	if (!err) {
		s.hdr->dn_next = p->v[d].hdr->dn_next;
		err = ocfsx_journal_dirty(h, dir->i_sb, s.bh, OCFSX_BT_DX_NODE);
	}
	brelse(s.bh);
	return err;
}

/* Removes entry pos of node d; a node left empty is freed (not the root). */
static int dx_remove_at(handle_t *h, struct inode *dir, struct dx_path *p,
			int d, int pos)
{
	struct dx_view *v = &p->v[d];
	u16 count = le16_to_cpu(v->hdr->dn_count);
	int err;

	if (count == 1 && d > 0) {
		err = dx_unlink_node(h, dir, p, d);
		if (!err)
			err = ocfsx_free_block(h, dir->i_sb, (void *)v->bh->b_data);
		if (err)
			return err;
		return dx_remove_at(h, dir, p, d - 1, p->idx[d - 1]);
	}
	err = ocfsx_journal_access(h, v->bh, false);
	if (err)
		return err;
	memmove(&v->ents[pos], &v->ents[pos + 1],
		(count - pos - 1) * sizeof(v->ents[0]));
	memset(&v->ents[count - 1], 0, sizeof(v->ents[0]));
	v->hdr->dn_count = cpu_to_le16(--count);
	if (!count)
		v->hdr->dn_level = 0;	/* an empty root is an empty leaf */
	err = dx_dirty(h, dir, p, d);
	if (!err && pos == 0)
		err = dx_fix_keys(h, dir, p, d);
	return err;
}

/*
 * Adds (hash, blkno) to the index in (hash, blkno) order, or removes it.
 */
static int dx_change(handle_t *h, struct inode *dir, u64 hash, u64 blkno,
		     bool add)
{
	struct dx_path p;
	struct dx_view *leaf;
	int pos, count, err;

	err = dx_walk(dir, hash, false, &p);
	if (err)
		return err;
	leaf = &p.v[p.depth - 1];
	count = le16_to_cpu(leaf->hdr->dn_count);
	for (pos = 0; pos < count; pos++) {
		u64 eh = le64_to_cpu(leaf->ents[pos].dx_hash);
		u64 eb = le64_to_cpu(leaf->ents[pos].dx_blkno);

		if (add ? eh > hash || (eh == hash && eb > blkno) :
			  eh == hash && eb == blkno)
			break;
	}
	if (add) {
		err = dx_insert_at(h, dir, &p, p.depth - 1, pos, hash, blkno);
	} else if (pos == count) {
		ocfsx_error(dir->i_sb, "inode %lu: block %llu (dx node): no index entry for hash %016llx in dirent block %llu",
			    dir->i_ino, (u64)leaf->bh->b_blocknr, hash, blkno);
		err = -EFSCORRUPTED;
	} else {
		err = dx_remove_at(h, dir, &p, p.depth - 1, pos);
	}
	dx_release(&p);
	return err;
}

static struct ocfsx_dir_trailer *trailer_of(struct super_block *sb,
					    struct buffer_head *bh)
{
	return (void *)bh->b_data + ocfsx_dirent_area(sb->s_blocksize);
}

static bool has_room(struct super_block *sb, struct buffer_head *bh)
{
	return le16_to_cpu(trailer_of(sb, bh)->dt_largest_free) >=
	       OCFSX_DIR_FREE_LIST_MIN;
}

/* A dirent block of dir, its entries checked. */
static struct buffer_head *dx_read_dirent_block(struct inode *dir, u64 blk)
{
	struct super_block *sb = dir->i_sb;
	struct buffer_head *bh;
	int err;

	bh = ocfsx_read_meta(sb, blk, OCFSX_BT_DIRBLOCK, dir->i_ino);
	if (IS_ERR(bh))
		return bh;
	err = ocfsx_dirents_check(dir, bh->b_data,
				  ocfsx_dirent_area(sb->s_blocksize), blk);
	if (err) {
		brelse(bh);
		return ERR_PTR(err);
	}
	return bh;
}

/* The root block with write access, for free-list and count changes. */
static int dx_root_access(handle_t *h, struct inode *dir, struct dx_view *r)
{
	int err;

	err = dx_read(dir, OCFSX_I(dir)->dx_root, true, r);
	if (err)
		return err;
	err = ocfsx_journal_access(h, r->bh, false);
	if (err)
		brelse(r->bh);
	return err;
}

/*
 * Adds name -> ino to an indexed dir (meta lock EX, transaction open): the
 * name goes into the first of DX_PROBE blocks on the free-space list with
 * room, else into a new dirent block, then into the index.
 */
int ocfsx_dx_add_entry(handle_t *h, struct inode *dir, const char *name,
		       u32 nlen, u64 ino, u8 ft)
{
	struct super_block *sb = dir->i_sb;
	struct ocfsx_dx_root *dr;
	struct buffer_head *bh = NULL, *prev = NULL;
	struct ocfsx_dir_trailer *t;
	u64 hash = dx_hash(dir, name, nlen), blk;
	u32 need = ocfsx_dir_rec_len(nlen);
	bool from_list = true;
	struct dx_view r;
	int n, err;

	err = dx_root_access(h, dir, &r);
	if (err)
		return err;
	dr = (void *)r.bh->b_data;
	blk = le64_to_cpu(dr->dr_free_head);
	for (n = 0; blk && n < DX_PROBE; n++) {
		bh = dx_read_dirent_block(dir, blk);
		if (IS_ERR(bh)) {
			err = PTR_ERR(bh);
			bh = NULL;
			goto out;
		}
		if (le16_to_cpu(trailer_of(sb, bh)->dt_largest_free) >= need)
			break;
		brelse(prev);
		prev = bh;
		blk = le64_to_cpu(trailer_of(sb, bh)->dt_next_free);
		bh = NULL;
	}
	if (bh) {
		err = ocfsx_journal_access(h, bh, false);
	} else {
		from_list = false;
		bh = ocfsx_new_dir_block(h, dir,
					 dir->i_size >> sb->s_blocksize_bits);
		if (IS_ERR(bh)) {
			err = PTR_ERR(bh);
			bh = NULL;
		}
	}
	if (err)
		goto out;
	blk = bh->b_blocknr;
	t = trailer_of(sb, bh);
	if (!ocfsx_dirent_insert(bh->b_data, ocfsx_dirent_area(sb->s_blocksize),
				 name, nlen, ino, ft, (u32)hash)) {
		ocfsx_error(sb, "inode %lu: block %llu (dirent block): trailer promises %u free bytes that are not there",
			    dir->i_ino, blk, le16_to_cpu(t->dt_largest_free));
		err = -EFSCORRUPTED;
		goto out;
	}
	ocfsx_dir_trailer_refresh(sb, bh);
	/* A block is on the list exactly while it has room (§9.3). */
	if (from_list && !has_room(sb, bh)) {
		if (prev) {
			err = ocfsx_journal_access(h, prev, false);
			if (err)
				goto out;
			trailer_of(sb, prev)->dt_next_free = t->dt_next_free;
			err = ocfsx_journal_dirty(h, sb, prev,
						  OCFSX_BT_DIRBLOCK);
			if (err)
				goto out;
		} else {
			dr->dr_free_head = t->dt_next_free;
		}
		t->dt_next_free = 0;
	} else if (!from_list && has_room(sb, bh)) {
		t->dt_next_free = dr->dr_free_head;
		dr->dr_free_head = cpu_to_le64(blk);
	}
	err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_DIRBLOCK);
	if (err)
		goto out;
	le64_add_cpu(&dr->dr_entries, 1);
	err = ocfsx_journal_dirty(h, sb, r.bh, OCFSX_BT_DX_ROOT);
	brelse(r.bh);
	r.bh = NULL;
	if (!err)
		err = dx_change(h, dir, hash, blk, true);
out:
	brelse(prev);
	brelse(bh);
	brelse(r.bh);
	return err;
}

/*
 * Removes name from an indexed dir, or points it at new_ino (meta lock
 * EX, transaction open). -ENOENT if absent.
 */
int ocfsx_dx_change_entry(handle_t *h, struct inode *dir, const char *name,
			  u32 nlen, bool remove, u64 new_ino, u8 new_ft)
{
	struct super_block *sb = dir->i_sb;
	u64 hash = dx_hash(dir, name, nlen), ino, blk = 0;
	struct ocfsx_dir_entry *de;
	struct buffer_head *bh;
	struct dx_view r;
	bool had_room;
	u32 prev;
	int off, err;

	err = ocfsx_dx_find(dir, name, nlen, &ino, &blk);
	if (err)
		return err;
	if (!ino)
		return -ENOENT;
	bh = dx_read_dirent_block(dir, blk);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	off = ocfsx_dirent_find(bh->b_data, ocfsx_dirent_area(sb->s_blocksize),
				name, nlen, (u32)hash, &prev);
	err = off < 0 ? -ENOENT : ocfsx_journal_access(h, bh, false);
	if (err)
		goto out;
	de = (void *)bh->b_data + off;
	if (!remove) {
		de->de_ino = cpu_to_le64(new_ino);
		de->de_file_type = new_ft;
		err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_DIRBLOCK);
		goto out;
	}
	had_room = has_room(sb, bh);
	ocfsx_dirent_remove(bh->b_data, off, prev);
	ocfsx_dir_trailer_refresh(sb, bh);
	err = dx_root_access(h, dir, &r);
	if (err)
		goto out;
	if (!had_room && has_room(sb, bh)) {
		struct ocfsx_dx_root *dr = (void *)r.bh->b_data;

		trailer_of(sb, bh)->dt_next_free = dr->dr_free_head;
		dr->dr_free_head = cpu_to_le64(blk);
	}
	le64_add_cpu(&((struct ocfsx_dx_root *)r.bh->b_data)->dr_entries, -1);
	err = ocfsx_journal_dirty(h, sb, r.bh, OCFSX_BT_DX_ROOT);
	brelse(r.bh);
	if (!err)
		err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_DIRBLOCK);
	if (!err)
		err = dx_change(h, dir, hash, blk, false);
out:
	brelse(bh);
	return err;
}

/*
 * Index a block directory when it outgrows its first dirent block: the
 * index then covers at most one block of names, which always fits in the
 * root, so building it is one new block and a bounded transaction.
 */
bool ocfsx_dx_wanted(struct inode *dir)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(dir->i_sb);

	return !OCFSX_I(dir)->dx_root &&
	       (sbi->ro_compat & OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS) &&
	       OCFSX_I(dir)->body_format == OCFSX_BODY_EXTENTS &&
	       dir->i_size >> dir->i_sb->s_blocksize_bits == 1;
}

static int dx_entry_cmp(const void *a, const void *b)
{
	const struct ocfsx_dx_entry *x = a, *y = b;
	u64 hx = le64_to_cpu(x->dx_hash), hy = le64_to_cpu(y->dx_hash);

	return hx < hy ? -1 : hx > hy;
}

/* Builds the index of a directory of one dirent block (ocfsx_dx_wanted). */
int ocfsx_dx_build(handle_t *h, struct inode *dir)
{
	struct super_block *sb = dir->i_sb;
	u32 area = ocfsx_dirent_area(sb->s_blocksize), off, n = 0;
	u32 cap = ocfsx_dx_root_entries(sb->s_blocksize);
	struct ocfsx_dx_entry *ents;
	struct ocfsx_dx_root *dr;
	struct buffer_head *bh, *rbh;
	int err;

	bh = ocfsx_read_dir_block(dir, 0);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	err = ocfsx_dirents_check(dir, bh->b_data, area, bh->b_blocknr);
	if (err)
		goto out;
	rbh = ocfsx_new_meta_block(h, dir, OCFSX_BT_DX_ROOT);
	if (IS_ERR(rbh)) {
		err = PTR_ERR(rbh);
		goto out;
	}
	dr = (void *)rbh->b_data;
	ents = (void *)rbh->b_data + OCFSX_DX_ROOT_ENTRIES_OFFSET;
	for (off = 0; off < area;) {
		struct ocfsx_dir_entry *de = (void *)bh->b_data + off;

		if (de->de_ino) {
			/* 24-byte minimum records vs 16-byte entries: one
			 * dirent block always fits in the root. */
			if (WARN_ON_ONCE(n == cap)) {
				err = -EFSCORRUPTED;
				brelse(rbh);
				goto out;
			}
			ents[n].dx_hash = cpu_to_le64(dx_hash(dir,
				(char *)de + OCFSX_DIRENT_NAME_OFFSET,
				de->de_name_len));
			ents[n++].dx_blkno = cpu_to_le64(bh->b_blocknr);
		}
		off += le16_to_cpu(de->de_rec_len);
	}
	sort(ents, n, sizeof(*ents), dx_entry_cmp, NULL);
	dr->dr_entries = cpu_to_le64(n);
	dr->dr_hash_version = OCFSX_DX_HASH_SIPHASH24;
	dr->dr_node.dn_capacity = cpu_to_le16(cap);
	dr->dr_node.dn_count = cpu_to_le16(n);
	/* The block's dt_next_free is already 0: it ends the list. */
	if (has_room(sb, bh))
		dr->dr_free_head = cpu_to_le64(bh->b_blocknr);
	err = ocfsx_journal_dirty(h, sb, rbh, OCFSX_BT_DX_ROOT);
	if (!err)
		OCFSX_I(dir)->dx_root = rbh->b_blocknr;
	brelse(rbh);
out:
	brelse(bh);
	return err;
}

/*
 * Frees every index block of a directory being deleted, level by level
 * along the dn_next links. The caller updates the inode.
 */
int ocfsx_dx_free_index(handle_t *h, struct inode *dir)
{
	struct super_block *sb = dir->i_sb;
	u64 blk = OCFSX_I(dir)->dx_root, first = 0;
	struct dx_view v;
	bool root = true;
	int err, n = 0;

	while (blk) {
		/* Empty directories keep few index blocks (empty nodes are
		 * freed at once); a cycle or a huge tree is fsck's job. */
		if (++n > 8 * (OCFSX_MAX_DX_LEVEL + 1)) {
			ocfsx_error(sb, "inode %lu: block %llu (dx root): too many index blocks in an empty directory",
				    dir->i_ino, OCFSX_I(dir)->dx_root);
			return -EFSCORRUPTED;
		}
		err = dx_read(dir, blk, root, &v);
		if (err)
			return err;
		if (!first && v.hdr->dn_level && v.hdr->dn_count)
			first = le64_to_cpu(v.ents[0].dx_blkno);
		blk = root ? 0 : le64_to_cpu(v.hdr->dn_next);
		err = ocfsx_free_block(h, sb, (void *)v.bh->b_data);
		brelse(v.bh);
		if (err)
			return err;
		if (!blk) {
			/* Next level, from its leftmost node. */
			blk = first;
			first = 0;
		}
		root = false;
	}
	OCFSX_I(dir)->dx_root = 0;
	return 0;
}

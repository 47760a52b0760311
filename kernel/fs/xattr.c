// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes (format §10): user., trusted. and security. names
 * and POSIX ACLs, in the inode's inline area and, for what does not fit
 * there, one external xattr block. Each change rewrites both areas,
 * each sorted by (index, hash, name), in one transaction. Values stored
 * outside in clusters (VALUE_OUTSIDE) are not written or read yet.
 */
#include <linux/crc32c.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xattr.h>
#include <linux/posix_acl_xattr.h>

#include "ocfsx.h"

#define PAD8(x) (((x) + 7) & ~7U)

struct xent {
	u8 index;
	u8 nlen;
	bool inline_area;	/* placement chosen by place_ents() */
	u32 hash;
	u32 vlen;
	const u8 *name;
	const u8 *value;
};

static u32 name_hash(const u8 *name, u32 len)
{
	return ~crc32c(~0U, name, len);
}

static int xent_cmp(const void *a, const void *b)
{
	const struct xent *x = a, *y = b;
	int c;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	c = memcmp(x->name, y->name, min(x->nlen, y->nlen));
	return c ? c : x->nlen - y->nlen;
}

/* Bytes one entry takes in an area: its slot, padded name and value. */
static u32 xent_room(const struct xent *e)
{
	return sizeof(struct ocfsx_xattr_entry) + PAD8(e->nlen) + PAD8(e->vlen);
}

/* The external block's area size. */
static u32 block_area(struct super_block *sb)
{
	return sb->s_blocksize - OCFSX_XATTR_BLOCK_AREA_OFFSET;
}

/* Entries the inline area and the external block can hold together. */
static int max_ents(struct inode *inode)
{
	return (OCFSX_I(inode)->xattr_inline + block_area(inode->i_sb)) /
	       sizeof(struct ocfsx_xattr_entry);
}

/*
 * Parses an area into ents[] (pointers into base); the count, or < 0.
 * blkno and what name the area's block for a corruption report.
 */
static int parse_area(struct inode *inode, u8 *base, u32 size,
		      struct xent *ents, int max, u64 blkno, const char *what)
{
	struct ocfsx_xattr_header *xh = (void *)base;
	struct ocfsx_xattr_entry *xe = (void *)(xh + 1);
	u32 count, i;

	if (size < sizeof(*xh))
		return 0;
	count = le16_to_cpu(xh->xh_count);
	if (count && (le16_to_cpu(xh->xh_area_size) != size ||
		      sizeof(*xh) + count * sizeof(*xe) > size || count > max))
		goto bad;
	for (i = 0; i < count; i++) {
		u32 off = le16_to_cpu(xe[i].xe_offset), nl = xe[i].xe_name_len;
		u32 vs = le32_to_cpu(xe[i].xe_value_size);

		if (xe[i].xe_flags & OCFSX_XE_VALUE_OUTSIDE)
			return -EOPNOTSUPP;
		if (!xe[i].xe_index || xe[i].xe_index > OCFSX_XATTR_INDEX_MAX ||
		    off < sizeof(*xh) || (u64)off + PAD8(nl) + PAD8(vs) > size)
			goto bad;
		ents[i].index = xe[i].xe_index;
		ents[i].nlen = nl;
		ents[i].hash = le32_to_cpu(xe[i].xe_name_hash);
		ents[i].vlen = vs;
		ents[i].name = base + off;
		ents[i].value = base + off + PAD8(nl);
	}
	return count;
bad:
	ocfsx_error(inode->i_sb, "inode %lu: block %llu (%s): bad xattr area",
		    inode->i_ino, blkno, what);
	return -EFSCORRUPTED;
}

/* Writes ents[] whose inline flag is 'inline' as a fresh area at base. */
static void write_area(u8 *base, u32 size, const struct xent *ents, int n,
		       bool inline_area)
{
	struct ocfsx_xattr_header *xh = (void *)base;
	struct ocfsx_xattr_entry *xe = (void *)(xh + 1);
	u32 top = size, k = 0;
	int i;

	memset(base, 0, size);
	for (i = 0; i < n; i++) {
		if (ents[i].inline_area != inline_area)
			continue;
		top -= PAD8(ents[i].nlen) + PAD8(ents[i].vlen);
		memcpy(base + top, ents[i].name, ents[i].nlen);
		memcpy(base + top + PAD8(ents[i].nlen), ents[i].value,
		       ents[i].vlen);
		xe[k].xe_name_hash = cpu_to_le32(ents[i].hash);
		xe[k].xe_value_size = cpu_to_le32(ents[i].vlen);
		xe[k].xe_offset = cpu_to_le16(top);
		xe[k].xe_name_len = ents[i].nlen;
		xe[k].xe_index = ents[i].index;
		k++;
	}
	xh->xh_count = cpu_to_le16(k);
	xh->xh_data_start = cpu_to_le16(top);
	xh->xh_area_size = cpu_to_le16(size);
}

/* An inode's xattrs: its inline area, then its external block's. */
struct xset {
	struct buffer_head *ibh;
	struct buffer_head *xbh;	/* NULL without an external block */
	struct xent *ents;
	int n;
	u8 *copy;			/* set only: ents point into this */
};

static void xset_release(struct xset *x)
{
	brelse(x->xbh);
	brelse(x->ibh);
	kfree(x->copy);
	kfree(x->ents);
}

/*
 * Reads both areas into x under the caller's inode lock. With copy, the
 * entries point into a private copy, so the areas can be rewritten.
 */
static int xset_load(struct inode *inode, struct xset *x, bool copy)
{
	struct super_block *sb = inode->i_sb;
	u32 xs = OCFSX_I(inode)->xattr_inline, xa = block_area(sb);
	int max = max_ents(inode), n;
	u8 *ibase, *xbase;
	u64 xb;

	memset(x, 0, sizeof(*x));
	x->ents = kcalloc(max + 1, sizeof(*x->ents), GFP_NOFS);
	if (copy)
		x->copy = kmalloc(xs + xa, GFP_NOFS);
	if (!x->ents || (copy && !x->copy))
		return -ENOMEM;
	x->ibh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(x->ibh)) {
		n = PTR_ERR(x->ibh);
		x->ibh = NULL;
		return n;
	}
	ibase = x->ibh->b_data + sb->s_blocksize - xs;
	if (copy)
		ibase = memcpy(x->copy, ibase, xs);
	n = parse_area(inode, ibase, xs, x->ents, max, inode->i_ino, "inode");
	if (n < 0)
		return n;
	x->n = n;
	xb = le64_to_cpu(((struct ocfsx_inode *)x->ibh->b_data)->i_xattr_blkno);
	if (!xb)
		return 0;
	x->xbh = ocfsx_read_meta(sb, xb, OCFSX_BT_XATTR, inode->i_ino);
	if (IS_ERR(x->xbh)) {
		n = PTR_ERR(x->xbh);
		x->xbh = NULL;
		return n;
	}
	xbase = x->xbh->b_data + OCFSX_XATTR_BLOCK_AREA_OFFSET;
	if (copy)
		xbase = memcpy(x->copy + xs, xbase, xa);
	n = parse_area(inode, xbase, xa, x->ents + x->n, max - x->n, xb,
		       "xattr block");
	if (n < 0)
		return n;
	x->n += n;
	return 0;
}

static int xset_find(const struct xset *x, int index, const char *name,
		     u32 nlen)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->ents[i].index == index && x->ents[i].nlen == nlen &&
		    !memcmp(x->ents[i].name, name, nlen))
			return i;
	return -1;
}

/* Value of (index, name) into buffer; its size, or -ENODATA. */
int ocfsx_xattr_get_index(struct inode *inode, int index, const char *name,
			  void *buffer, size_t size)
{
	struct xset x;
	int ret, i;

	ret = ocfsx_inode_lock(inode, OCFSX_LKM_PR);
	if (ret)
		return ret;
	ret = xset_load(inode, &x, false);
	if (ret)
		goto out;
	i = xset_find(&x, index, name, strlen(name));
	ret = -ENODATA;
	if (i >= 0) {
		ret = x.ents[i].vlen;
		if (buffer && size < x.ents[i].vlen)
			ret = -ERANGE;
		else if (buffer)
			memcpy(buffer, x.ents[i].value, x.ents[i].vlen);
	}
out:
	xset_release(&x);
	ocfsx_inode_unlock(inode, OCFSX_LKM_PR);
	return ret;
}

/*
 * Decides where each entry goes: the inline area takes what fits in
 * (index, hash, name) order, the external block the rest. -ENOSPC when
 * the rest does not fit one block (values in clusters: not written yet).
 */
static int place_ents(struct inode *inode, struct xent *ents, int n,
		      int *outside)
{
	u32 xs = OCFSX_I(inode)->xattr_inline;
	u32 in = sizeof(struct ocfsx_xattr_header), out = in;
	int i;

	*outside = 0;
	for (i = 0; i < n; i++) {
		ents[i].inline_area = in + xent_room(&ents[i]) <= xs;
		if (ents[i].inline_area) {
			in += xent_room(&ents[i]);
		} else {
			out += xent_room(&ents[i]);
			(*outside)++;
		}
	}
	if (*outside && (out > block_area(inode->i_sb) ||
			 !(OCFSX_SB(inode->i_sb)->ro_compat &
			   OCFSX_FEATURE_RO_COMPAT_XATTR)))
		return -ENOSPC;
	return 0;
}

/*
 * Rewrites both areas from x->ents: the external block is allocated when
 * entries first spill out of the inode and freed when none are left.
 */
static int store_ents(handle_t *h, struct inode *inode, struct xset *x)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode *di = (void *)x->ibh->b_data;
	u32 xs = OCFSX_I(inode)->xattr_inline;
	int outside, ret;

	ret = place_ents(inode, x->ents, x->n, &outside);
	if (ret)
		return ret;
	ret = ocfsx_journal_access(h, x->ibh, false);
	if (ret)
		return ret;
	if (outside && !x->xbh) {
		x->xbh = ocfsx_new_meta_block(h, inode, OCFSX_BT_XATTR);
		if (IS_ERR(x->xbh)) {
			ret = PTR_ERR(x->xbh);
			x->xbh = NULL;
			return ret;
		}
		di->i_xattr_blkno = cpu_to_le64(x->xbh->b_blocknr);
	} else if (outside) {
		ret = ocfsx_journal_access(h, x->xbh, false);
		if (ret)
			return ret;
	}
	if (outside) {
		write_area(x->xbh->b_data + OCFSX_XATTR_BLOCK_AREA_OFFSET,
			   block_area(sb), x->ents, x->n, false);
		ret = ocfsx_journal_dirty(h, sb, x->xbh, OCFSX_BT_XATTR);
		if (ret)
			return ret;
	} else if (x->xbh) {
		ret = ocfsx_free_block(h, sb, (void *)x->xbh->b_data);
		if (ret)
			return ret;
		di->i_xattr_blkno = 0;
	}
	if (xs)
		write_area(x->ibh->b_data + sb->s_blocksize - xs, xs, x->ents,
			   x->n, true);
	return ocfsx_journal_dirty(h, sb, x->ibh, OCFSX_BT_INODE);
}

static int xattr_set_once(struct inode *inode, int index, const char *name,
			  const void *value, size_t size, int flags)
{
	struct super_block *sb = inode->i_sb;
	u32 nlen = strlen(name);
	struct xset x;
	int found, ret;
	handle_t *h;

	if (nlen > OCFSX_XATTR_NAME_MAX || size > OCFSX_XATTR_VALUE_MAX)
		return -ERANGE;
	ret = ocfsx_inode_lock(inode, OCFSX_LKM_EX);
	if (ret)
		return ret;
	/* inode, xattr block, and a meta_alloc allocation or free */
	h = ocfsx_start_trans(sb, 32);
	if (IS_ERR(h)) {
		ret = PTR_ERR(h);
		goto out_unlock;
	}
	ret = xset_load(inode, &x, true);
	if (ret)
		goto out;
	found = xset_find(&x, index, name, nlen);
	if (found >= 0 && (flags & XATTR_CREATE))
		ret = -EEXIST;
	else if (found < 0 && ((flags & XATTR_REPLACE) || !value))
		ret = -ENODATA;
	if (ret)
		goto out;
	if (found >= 0)
		x.ents[found] = x.ents[--x.n];
	if (value) {
		x.ents[x.n] = (struct xent){ .index = index, .nlen = nlen,
			.hash = name_hash(name, nlen), .vlen = size,
			.name = name, .value = value };
		x.n++;
	}
	sort(x.ents, x.n, sizeof(*x.ents), xent_cmp, NULL);
	ret = store_ents(h, inode, &x);
	if (!ret) {
		inode->i_ctime = current_time(inode);
		ret = ocfsx_update_inode(h, inode);
	}
out:
	xset_release(&x);
	ocfsx_commit_trans(h);
out_unlock:
	ocfsx_inode_unlock(inode, OCFSX_LKM_EX);
	return ret;
}

/*
 * Sets (value) or removes (NULL) (index, name), journaled. A new xattr
 * block fails with ENOSPC before anything changed, so it is retried.
 */
int ocfsx_xattr_set_index(struct inode *inode, int index, const char *name,
			  const void *value, size_t size, int flags)
{
	return ocfsx_retry_enospc(inode->i_sb,
				  xattr_set_once(inode, index, name, value,
						 size, flags));
}

/*
 * The inode is being freed (evict, in h, inode block di under journal
 * access): its external xattr block goes back to its allocator.
 */
int ocfsx_xattr_drop(handle_t *h, struct inode *inode, struct ocfsx_inode *di)
{
	u64 xb = le64_to_cpu(di->i_xattr_blkno);
	struct buffer_head *bh;
	int err;

	if (!xb)
		return 0;
	bh = ocfsx_read_meta(inode->i_sb, xb, OCFSX_BT_XATTR, inode->i_ino);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	err = ocfsx_free_block(h, inode->i_sb, (void *)bh->b_data);
	brelse(bh);
	if (!err)
		di->i_xattr_blkno = 0;
	return err;
}

static int ocfsx_xattr_get(const struct xattr_handler *handler,
			   struct dentry *unused, struct inode *inode,
			   const char *name, void *buffer, size_t size)
{
	if (handler->flags == OCFSX_XATTR_INDEX_USER &&
	    !OCFSX_SB(inode->i_sb)->opts.user_xattr)
		return -EOPNOTSUPP;
	return ocfsx_xattr_get_index(inode, handler->flags, name, buffer, size);
}

static int ocfsx_xattr_set(const struct xattr_handler *handler,
			   struct user_namespace *ns, struct dentry *unused,
			   struct inode *inode, const char *name,
			   const void *value, size_t size, int flags)
{
	if (handler->flags == OCFSX_XATTR_INDEX_USER &&
	    !OCFSX_SB(inode->i_sb)->opts.user_xattr)
		return -EOPNOTSUPP;
	return ocfsx_xattr_set_index(inode, handler->flags, name, value, size,
				     flags);
}

static const char *const prefixes[OCFSX_XATTR_INDEX_MAX + 1] = {
	[OCFSX_XATTR_INDEX_USER] = XATTR_USER_PREFIX,
	[OCFSX_XATTR_INDEX_TRUSTED] = XATTR_TRUSTED_PREFIX,
	[OCFSX_XATTR_INDEX_SECURITY] = XATTR_SECURITY_PREFIX,
};

ssize_t ocfsx_listxattr(struct dentry *dentry, char *buffer, size_t size)
{
	struct inode *inode = d_inode(dentry);
	ssize_t total = 0;
	struct xset x;
	int i, err;

	err = ocfsx_inode_lock(inode, OCFSX_LKM_PR);
	if (err)
		return err;
	err = xset_load(inode, &x, false);
	for (i = 0; !err && i < x.n; i++) {
		const struct xent *e = &x.ents[i];
		const char *p = prefixes[e->index];
		size_t len;

		if (e->index == OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS)
			p = XATTR_NAME_POSIX_ACL_ACCESS;
		else if (e->index == OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT)
			p = XATTR_NAME_POSIX_ACL_DEFAULT;

		if (!p || (e->index == OCFSX_XATTR_INDEX_USER &&
			   !OCFSX_SB(inode->i_sb)->opts.user_xattr))
			continue;
		if (e->index == OCFSX_XATTR_INDEX_TRUSTED &&
		    !capable(CAP_SYS_ADMIN))
			continue;
		len = strlen(p) + e->nlen + 1;
		if (buffer) {
			if (total + len > size) {
				err = -ERANGE;
				break;
			}
			memcpy(buffer + total, p, strlen(p));
			memcpy(buffer + total + strlen(p), e->name, e->nlen);
			buffer[total + len - 1] = '\0';
		}
		total += len;
	}
	xset_release(&x);
	ocfsx_inode_unlock(inode, OCFSX_LKM_PR);
	return err ? err : total;
}

static const struct xattr_handler user_handler = {
	.prefix	= XATTR_USER_PREFIX,
	.flags	= OCFSX_XATTR_INDEX_USER,
	.get	= ocfsx_xattr_get,
	.set	= ocfsx_xattr_set,
};

static const struct xattr_handler trusted_handler = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.flags	= OCFSX_XATTR_INDEX_TRUSTED,
	.get	= ocfsx_xattr_get,
	.set	= ocfsx_xattr_set,
};

static const struct xattr_handler security_handler = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.flags	= OCFSX_XATTR_INDEX_SECURITY,
	.get	= ocfsx_xattr_get,
	.set	= ocfsx_xattr_set,
};

const struct xattr_handler *ocfsx_xattr_handlers[] = {
	&user_handler, &trusted_handler, &security_handler,
	&posix_acl_access_xattr_handler, &posix_acl_default_xattr_handler,
	NULL,
};

/* POSIX ACLs: stored under indexes 2 and 3 with an empty name. */
struct posix_acl *ocfsx_get_acl(struct inode *inode, int type, bool rcu)
{
	int index = type == ACL_TYPE_ACCESS ? OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS :
		    OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT;
	struct posix_acl *acl;
	void *buf;
	int len;

	if (rcu)
		return ERR_PTR(-ECHILD);
	len = ocfsx_xattr_get_index(inode, index, "", NULL, 0);
	if (len == -ENODATA)
		return NULL;
	if (len < 0)
		return ERR_PTR(len);
	buf = kmalloc(len, GFP_NOFS);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	len = ocfsx_xattr_get_index(inode, index, "", buf, len);
	acl = len < 0 ? ERR_PTR(len) : posix_acl_from_xattr(&init_user_ns, buf, len);
	kfree(buf);
	return acl;
}

static int store_acl(struct inode *inode, struct posix_acl *acl, int type)
{
	int index = type == ACL_TYPE_ACCESS ? OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS :
		    OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT;
	void *buf = NULL;
	int len = 0, err;

	if (type == ACL_TYPE_DEFAULT && !S_ISDIR(inode->i_mode))
		return acl ? -EACCES : 0;
	if (acl) {
		len = posix_acl_xattr_size(acl->a_count);
		buf = kmalloc(len, GFP_NOFS);
		if (!buf)
			return -ENOMEM;
		err = posix_acl_to_xattr(&init_user_ns, acl, buf, len);
		if (err < 0)
			goto out;
	}
	err = ocfsx_xattr_set_index(inode, index, "", buf, len, 0);
	if (err == -ENODATA && !acl)
		err = 0;
	if (!err)
		set_cached_acl(inode, type, acl);
out:
	kfree(buf);
	return err;
}

int ocfsx_set_acl(struct user_namespace *ns, struct inode *inode,
		  struct posix_acl *acl, int type)
{
	umode_t mode = inode->i_mode;
	int err;

	if (type == ACL_TYPE_ACCESS && acl) {
		err = posix_acl_update_mode(ns, inode, &mode, &acl);
		if (err)
			return err;
	}
	err = store_acl(inode, acl, type);
	if (!err && mode != inode->i_mode) {
		handle_t *h = ocfsx_start_trans(inode->i_sb, 2);

		if (IS_ERR(h))
			return PTR_ERR(h);
		inode->i_mode = mode;
		inode->i_ctime = current_time(inode);
		err = ocfsx_update_inode(h, inode);
		ocfsx_commit_trans(h);
	}
	return err;
}

/* Inherited ACLs of a new inode (posix_acl_create already ran). */
int ocfsx_init_acl(struct inode *inode, struct posix_acl *acl,
		   struct posix_acl *dacl)
{
	int err = 0;

	if (dacl)
		err = store_acl(inode, dacl, ACL_TYPE_DEFAULT);
	if (!err && acl)
		err = store_acl(inode, acl, ACL_TYPE_ACCESS);
	return err;
}

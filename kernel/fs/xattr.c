// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes in the inode's inline area (format §10): user.,
 * trusted. and security. names. Each change rewrites the whole area,
 * sorted by (index, hash, name), in one transaction. External xattr
 * blocks and values stored outside are not handled yet.
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

/* Parses the area into ents[] (pointers into the block); count or < 0. */
static int parse_area(struct inode *inode, u8 *base, u32 size,
		      struct xent *ents, int max)
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
	ocfsx_error(inode->i_sb, "inode %lu: block %lu (inode): bad inline xattr area",
		    inode->i_ino, inode->i_ino);
	return -EFSCORRUPTED;
}

/* Value of (index, name) into buffer; its size, or -ENODATA. */
int ocfsx_xattr_get_index(struct inode *inode, int index, const char *name,
			  void *buffer, size_t size)
{
	u32 xs = OCFSX_I(inode)->xattr_inline, nlen = strlen(name);
	struct buffer_head *bh;
	struct xent *ents;
	int n, i, ret = -ENODATA;

	if (!xs)
		return -ENODATA;
	ents = kcalloc(xs / 16, sizeof(*ents), GFP_NOFS);
	if (!ents)
		return -ENOMEM;
	ret = ocfsx_inode_lock(inode, OCFSX_LKM_PR);
	if (ret)
		goto out_free;
	bh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(bh)) {
		ret = PTR_ERR(bh);
		goto out_unlock;
	}
	n = parse_area(inode, bh->b_data + inode->i_sb->s_blocksize - xs, xs,
		       ents, xs / 16);
	ret = n < 0 ? n : -ENODATA;
	for (i = 0; i < n; i++) {
		if (ents[i].index != index || ents[i].nlen != nlen ||
		    memcmp(ents[i].name, name, nlen))
			continue;
		ret = ents[i].vlen;
		if (buffer) {
			if (size < ents[i].vlen)
				ret = -ERANGE;
			else
				memcpy(buffer, ents[i].value, ents[i].vlen);
		}
		break;
	}
	brelse(bh);
out_unlock:
	ocfsx_inode_unlock(inode, OCFSX_LKM_PR);
out_free:
	kfree(ents);
	return ret;
}

/* Sets (value) or removes (NULL) (index, name), journaled. */
int ocfsx_xattr_set_index(struct inode *inode, int index, const char *name,
			  const void *value, size_t size, int flags)
{
	struct super_block *sb = inode->i_sb;
	u32 xs = OCFSX_I(inode)->xattr_inline, nlen = strlen(name);
	u32 top, i, n, need;
	struct buffer_head *bh;
	struct xent *ents;
	u8 *copy = NULL, *base;
	int found = -1, ret;
	handle_t *h;

	if (nlen > OCFSX_XATTR_NAME_MAX || size > OCFSX_XATTR_VALUE_MAX)
		return -ERANGE;
	if (!xs)
		return value ? -ENOSPC : -ENODATA;
	ents = kcalloc(xs / 16 + 1, sizeof(*ents), GFP_NOFS);
	copy = kmalloc(xs, GFP_NOFS);
	if (!ents || !copy) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = ocfsx_inode_lock(inode, OCFSX_LKM_EX);
	if (ret)
		goto out_free;
	h = ocfsx_start_trans(sb, 4);
	if (IS_ERR(h)) {
		ret = PTR_ERR(h);
		goto out_unlock;
	}
	bh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(bh)) {
		ret = PTR_ERR(bh);
		goto out_stop;
	}
	base = bh->b_data + sb->s_blocksize - xs;
	memcpy(copy, base, xs);		/* ents point into the copy */
	ret = parse_area(inode, copy, xs, ents, xs / 16);
	if (ret < 0)
		goto out_brelse;
	n = ret;
	for (i = 0; i < n; i++)
		if (ents[i].index == index && ents[i].nlen == nlen &&
		    !memcmp(ents[i].name, name, nlen))
			found = i;
	ret = 0;
	if (found >= 0 && (flags & XATTR_CREATE))
		ret = -EEXIST;
	else if (found < 0 && (flags & XATTR_REPLACE))
		ret = -ENODATA;
	else if (found < 0 && !value)
		ret = -ENODATA;
	if (ret)
		goto out_brelse;
	if (found >= 0) {
		ents[found] = ents[n - 1];
		n--;
	}
	if (value) {
		ents[n].index = index;
		ents[n].nlen = nlen;
		ents[n].hash = name_hash(name, nlen);
		ents[n].vlen = size;
		ents[n].name = name;
		ents[n].value = value;
		n++;
	}
	sort(ents, n, sizeof(*ents), xent_cmp, NULL);
	need = sizeof(struct ocfsx_xattr_header) +
	       n * sizeof(struct ocfsx_xattr_entry);
	for (i = 0; i < n; i++)
		need += PAD8(ents[i].nlen) + PAD8(ents[i].vlen);
	if (need > xs) {
		ret = -ENOSPC;	/* external xattr blocks: not yet */
		goto out_brelse;
	}
	ret = ocfsx_journal_access(h, bh, false);
	if (ret)
		goto out_brelse;
	{
		struct ocfsx_xattr_header *xh = (void *)base;
		struct ocfsx_xattr_entry *xe = (void *)(xh + 1);

		memset(base, 0, xs);
		top = xs;
		for (i = 0; i < n; i++) {
			top -= PAD8(ents[i].nlen) + PAD8(ents[i].vlen);
			memcpy(base + top, ents[i].name, ents[i].nlen);
			memcpy(base + top + PAD8(ents[i].nlen), ents[i].value,
			       ents[i].vlen);
			xe[i].xe_name_hash = cpu_to_le32(ents[i].hash);
			xe[i].xe_value_size = cpu_to_le32(ents[i].vlen);
			xe[i].xe_offset = cpu_to_le16(top);
			xe[i].xe_name_len = ents[i].nlen;
			xe[i].xe_index = ents[i].index;
		}
		xh->xh_count = cpu_to_le16(n);
		xh->xh_data_start = cpu_to_le16(top);
		xh->xh_area_size = cpu_to_le16(xs);
	}
	ret = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_INODE);
	if (!ret) {
		inode->i_ctime = current_time(inode);
		ret = ocfsx_update_inode(h, inode);
	}
out_brelse:
	brelse(bh);
out_stop:
	ocfsx_commit_trans(h);
out_unlock:
	ocfsx_inode_unlock(inode, OCFSX_LKM_EX);
out_free:
	kfree(copy);
	kfree(ents);
	return ret;
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
	u32 xs = OCFSX_I(inode)->xattr_inline;
	struct buffer_head *bh;
	struct xent *ents;
	ssize_t total = 0;
	int n, i, err;

	if (!xs)
		return 0;
	ents = kcalloc(xs / 16, sizeof(*ents), GFP_NOFS);
	if (!ents)
		return -ENOMEM;
	err = ocfsx_inode_lock(inode, OCFSX_LKM_PR);
	if (err)
		goto out_free;
	bh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(bh)) {
		err = PTR_ERR(bh);
		goto out_unlock;
	}
	n = parse_area(inode, bh->b_data + inode->i_sb->s_blocksize - xs, xs,
		       ents, xs / 16);
	err = n < 0 ? n : 0;
	for (i = 0; i < n; i++) {
		const char *p = prefixes[ents[i].index];
		size_t len;

		if (ents[i].index == OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS)
			p = XATTR_NAME_POSIX_ACL_ACCESS;
		else if (ents[i].index == OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT)
			p = XATTR_NAME_POSIX_ACL_DEFAULT;

		if (!p || (ents[i].index == OCFSX_XATTR_INDEX_USER &&
			   !OCFSX_SB(inode->i_sb)->opts.user_xattr))
			continue;
		if (ents[i].index == OCFSX_XATTR_INDEX_TRUSTED &&
		    !capable(CAP_SYS_ADMIN))
			continue;
		len = strlen(p) + ents[i].nlen + 1;
		if (buffer) {
			if (total + len > size) {
				err = -ERANGE;
				break;
			}
			memcpy(buffer + total, p, strlen(p));
			memcpy(buffer + total + strlen(p), ents[i].name,
			       ents[i].nlen);
			buffer[total + len - 1] = '\0';
		}
		total += len;
	}
	brelse(bh);
out_unlock:
	ocfsx_inode_unlock(inode, OCFSX_LKM_PR);
out_free:
	kfree(ents);
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

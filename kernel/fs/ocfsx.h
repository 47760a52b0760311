/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ocfsx filesystem: in-memory superblock and inode state, and the
 * interfaces between the fs/ source files (super, block, extent, inode,
 * dir, namei, locks).
 */
#ifndef OCFSX_FS_OCFSX_H
#define OCFSX_FS_OCFSX_H

#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/jbd2.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "ocfsx_fs.h"
#include "locks.h"

struct ocfsx_hb_region;

/* Mount options (errors=, data=, commit=, acl, user_xattr, preferred_slot=). */
struct ocfsx_mount_opts {
	unsigned int errors;		/* OCFSX_ERRORS_*, 0 = volume default */
	bool data_writeback;		/* data=writeback; default ordered */
	unsigned int commit_secs;	/* 0 = jbd2 default */
	bool acl;
	bool user_xattr;
	int preferred_slot;		/* -1 = none */
};

/*
 * Checksums of journaled blocks are computed by jbd2 triggers when it
 * freezes a block for commit; the trigger needs the block's type (where
 * its checksum field is) and the volume. One per block type.
 */
struct ocfsx_csum_trigger {
	struct jbd2_buffer_trigger_type jt;
	struct super_block *sb;
	u16 type;
};

#define OCFSX_NR_BLOCK_TYPES	10

/* ocfsx_sb_info.state bits. */
enum {
	OCFSX_SBS_HB_GATED,	/* writes need our disk heartbeat lease */
	OCFSX_SBS_STOPPED,	/* fenced or heartbeat lost: write nothing */
	OCFSX_SBS_ERROR_SAVED,	/* s_state ERROR queued for the superblock */
};

struct ocfsx_sb_info {
	struct super_block *sb;
	/* errors=continue re-reports a bad block on every access */
	struct ratelimit_state err_rs;
	struct ocfsx_super_block *raw_sb;	/* copy of the primary */
	unsigned int bbits;
	unsigned int cbits;
	unsigned int c2b_bits;		/* cbits - bbits */
	u64 clusters;
	u64 blocks;
	u32 fs_generation;
	u16 max_slots;
	u32 compat, incompat, ro_compat;
	u32 inline_xattr;		/* s_inline_xattr_size */
	u64 root_blkno, sysdir_blkno;
	siphash_key_t dx_key;
	struct ocfsx_mount_opts opts;

	int node;			/* our node number */
	int slot;			/* claimed slot, -1 = none */

	/* System inodes, held for the whole mount. */
	struct inode *sysdir;
	struct inode *slot_map;
	struct inode *global_bitmap;
	struct inode *heartbeat;
	struct inode *journal_inode;	/* journal:<our slot> */
	struct inode *inode_alloc;
	struct inode *meta_alloc;
	struct inode *local_alloc;
	struct inode *dealloc_log;
	struct inode *orphan_dir;

	struct ocfsx_hb_region *hb;
	journal_t *journal;
	struct ocfsx_csum_trigger csum_trig[OCFSX_NR_BLOCK_TYPES];

	struct ocfsx_lock_res super_lock;
	struct ocfsx_lock_res alloc_lock;	/* our slot's allocators */
	struct ocfsx_lock_res gbitmap_lock;	/* global bitmap */
	struct mutex alloc_mutex;
	char dev_name[BDEVNAME_SIZE];

	unsigned long state;		/* OCFSX_SBS_* */
	struct notifier_block fence_nb;	/* quorum fence notification */
	bool fence_nb_on;
	struct delayed_work hb_watch;	/* notices a lost lease */
	struct work_struct stop_work;	/* quiesces jbd2 after a stop */
	struct work_struct error_work;	/* records s_state ERROR */
};

static inline struct ocfsx_sb_info *OCFSX_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* In-memory inode: the VFS inode plus what the body format needs. */
struct ocfsx_inode_info {
	struct inode vfs_inode;
	u8 body_format;			/* OCFSX_BODY_* */
	u16 xattr_inline;		/* i_xattr_inline_size */
	u32 flags;			/* OCFSX_IFL_* */
	u32 attr;			/* OCFSX_ATTR_* */
	u16 sys_type, sys_slot;
	u64 clusters;			/* i_clusters */
	u64 dx_root;
	u64 last_leaf;
	u64 version;
	struct timespec64 crtime;
	struct rw_semaphore alloc_sem;	/* extent tree changes vs get_block */
	struct mutex inline_mutex;	/* inline body changes and conversion */
	struct ocfsx_lock_res meta_lock;
	struct ocfsx_lock_res data_lock;
	struct jbd2_inode jinode;	/* data=ordered */
};

static inline struct ocfsx_inode_info *OCFSX_I(struct inode *inode)
{
	return container_of(inode, struct ocfsx_inode_info, vfs_inode);
}

static inline u32 ocfsx_body_size(struct super_block *sb, u32 xattr_inline)
{
	return sb->s_blocksize - OCFSX_INODE_BODY_OFFSET - xattr_inline;
}

static inline u64 ocfsx_clusters_to_blocks(struct super_block *sb, u64 c)
{
	return c << OCFSX_SB(sb)->c2b_bits;
}

/* block.c: verified metadata I/O and error reporting. */
u32 ocfsx_block_csum(struct super_block *sb, const void *data, u16 type);
void ocfsx_set_csum(struct super_block *sb, void *data, u16 type);
struct buffer_head *ocfsx_read_meta(struct super_block *sb, u64 blkno,
				    u16 type, u64 owner);
int ocfsx_write_meta_sync(struct super_block *sb, struct buffer_head *bh,
			  u16 type);
void ocfsx_init_header(struct super_block *sb, void *data, u16 type,
		       u64 blkno, u64 owner);
struct buffer_head *ocfsx_new_meta(handle_t *h, struct super_block *sb,
				   u64 blkno, u16 type, u64 owner);
__printf(3, 4) void __ocfsx_error(struct super_block *sb, const char *func,
				  const char *fmt, ...);
#define ocfsx_error(sb, fmt, ...) \
	__ocfsx_error(sb, __func__, fmt, ##__VA_ARGS__)
const char *ocfsx_block_type_name(u16 type);
bool ocfsx_io_allowed(struct super_block *sb);
int ocfsx_io_gate(struct super_block *sb);
void ocfsx_stop_io(struct super_block *sb);
void ocfsx_io_gate_init(struct super_block *sb);
void ocfsx_io_gate_start(struct super_block *sb);
void ocfsx_io_gate_exit(struct super_block *sb);
void ocfsx_drop_dirty_meta(struct super_block *sb);

/* extent.c: the extent tree of an inode. */
struct ocfsx_map {
	u64 pcluster;			/* 0 = hole */
	u32 len;			/* clusters from lcluster with the
					 * same mapping (hole or extent) */
	u16 flags;			/* OCFSX_EXT_* */
};
int ocfsx_extent_map(struct inode *inode, u32 lcluster, struct ocfsx_map *m);
int ocfsx_bmap_block(struct inode *inode, u64 lblock, u64 *pblock);
int ocfsx_extent_insert(handle_t *h, struct inode *inode, u32 lc, u64 pc,
			u32 len, u16 flags);
/* Runs in the transaction a long unmap commits before it goes on. */
typedef int (*ocfsx_unmap_mark_t)(handle_t *h, struct inode *inode);
int ocfsx_extent_truncate(handle_t *h, struct inode *inode, u32 keep,
			  ocfsx_unmap_mark_t mark);
int ocfsx_extent_punch(handle_t *h, struct inode *inode, u32 start, u32 end);
int ocfsx_extent_mark_written(handle_t *h, struct inode *inode, u32 lc,
			      u32 len);

/* inode.c */
struct inode *ocfsx_iget(struct super_block *sb, u64 blkno);
struct buffer_head *ocfsx_read_inode_bh(struct inode *inode);
int ocfsx_get_block(struct inode *inode, sector_t iblock,
		    struct buffer_head *bh, int create);
int ocfsx_getattr(struct user_namespace *mnt_userns, const struct path *path,
		  struct kstat *stat, u32 request_mask, unsigned int flags);
extern const struct address_space_operations ocfsx_aops;
extern const struct address_space_operations ocfsx_inline_aops;
extern const struct inode_operations ocfsx_file_iops;
extern const struct file_operations ocfsx_file_fops;
extern const struct inode_operations ocfsx_symlink_iops;
extern const struct inode_operations ocfsx_fast_symlink_iops;
extern const struct inode_operations ocfsx_special_iops;

/* file.c */
int ocfsx_get_block_create(struct inode *inode, sector_t iblock,
			   struct buffer_head *bh, int create);
int ocfsx_setattr(struct user_namespace *ns, struct dentry *dentry,
		  struct iattr *attr);
void ocfsx_evict_inode(struct inode *inode);
int ocfsx_finish_truncate(struct inode *inode);
int ocfsx_fsync(struct file *file, loff_t start, loff_t end, int datasync);
extern const struct address_space_operations ocfsx_file_aops;

/* namei.c */
extern const struct inode_operations ocfsx_dir_iops;
int ocfsx_update_inode(handle_t *h, struct inode *inode);
int ocfsx_add_entry(handle_t *h, struct inode *dir, const char *name,
		    u32 nlen, u64 ino, umode_t mode);
int ocfsx_delete_entry(handle_t *h, struct inode *dir, const char *name,
		       u32 nlen);
int ocfsx_orphan_add(handle_t *h, struct inode *inode, u32 flags);
int ocfsx_orphan_del(handle_t *h, struct inode *inode);
int ocfsx_orphan_clear(handle_t *h, struct inode *inode);
void ocfsx_orphan_recover(struct super_block *sb);
int ocfsx_dirents_check(struct inode *dir, void *region, u32 len, u64 blkno);
bool ocfsx_dirent_insert(void *region, u32 len, const char *name, u32 nlen,
			 u64 ino, u8 ft, u32 hash);
int ocfsx_dirent_find(void *region, u32 len, const char *name, u32 nlen,
		      u32 hash, u32 *prev);
void ocfsx_dirent_remove(void *region, u32 off, u32 prev);
void ocfsx_dir_trailer_refresh(struct super_block *sb, struct buffer_head *bh);
struct buffer_head *ocfsx_new_dir_block(handle_t *h, struct inode *dir,
					u64 lblk);

/* dir.c */
struct dentry *ocfsx_lookup(struct inode *dir, struct dentry *dentry,
			    unsigned int flags);
extern const struct file_operations ocfsx_dir_fops;
struct buffer_head *ocfsx_read_dir_block(struct inode *dir, u64 lblk);
int ocfsx_dir_iterate(struct inode *dir, struct dir_context *ctx);
int ocfsx_dir_lookup_ino(struct inode *dir, const char *name,
			 unsigned int len, u64 *ino);
int ocfsx_dir_find_in_block(struct inode *dir, u64 pblk, const char *name,
			    unsigned int nlen, u32 hash, u64 *ino);

/* dxdir.c: the directory index (format §9.3). */
int ocfsx_dx_find(struct inode *dir, const char *name, unsigned int nlen,
		  u64 *ino, u64 *pblk);
bool ocfsx_dx_wanted(struct inode *dir);
int ocfsx_dx_build(handle_t *h, struct inode *dir);
int ocfsx_dx_add_entry(handle_t *h, struct inode *dir, const char *name,
		       u32 nlen, u64 ino, u8 ft);
int ocfsx_dx_change_entry(handle_t *h, struct inode *dir, const char *name,
			  u32 nlen, bool remove, u64 new_ino, u8 new_ft);
int ocfsx_dx_free_index(handle_t *h, struct inode *dir);

/* inline.c: inline data of regular files. */
u32 ocfsx_inline_capacity(struct inode *inode);
int ocfsx_inline_convert(struct inode *inode);
ssize_t ocfsx_inline_write(struct kiocb *iocb, struct iov_iter *from);
int ocfsx_inline_truncate(struct inode *inode, loff_t size);
int ocfsx_inline_fallocate(struct inode *inode, int mode, loff_t offset,
			   loff_t len);

/* journal.c */
int ocfsx_journal_load(struct super_block *sb);
void ocfsx_journal_shutdown(struct super_block *sb);
handle_t *ocfsx_start_trans(struct super_block *sb, int credits);
handle_t *ocfsx_start_trans_revoke(struct super_block *sb, int credits,
				   u64 revokes);
int ocfsx_commit_trans(handle_t *handle);
void __ocfsx_abort_trans(struct super_block *sb, int err, const char *func);
/* A failure left a transaction half applied: abort the journal, say where. */
#define ocfsx_abort_trans(sb, err) __ocfsx_abort_trans(sb, err, __func__)
bool ocfsx_retry_alloc(struct super_block *sb, int err, int *tries);
/*
 * Evaluates call (an int errno) and, when it failed with ENOSPC, commits
 * the journal and evaluates it once more: the one shape of every
 * allocating entry point, called with no handle held.
 */
#define ocfsx_retry_enospc(sb, call) ({					\
	int __tries = 0, __err;						\
									\
	do {								\
		__err = (call);						\
	} while (ocfsx_retry_alloc((sb), __err, &__tries));		\
	__err;								\
})
int ocfsx_journal_access(handle_t *handle, struct buffer_head *bh,
			 bool create);
int ocfsx_journal_dirty(handle_t *handle, struct super_block *sb,
			struct buffer_head *bh, u16 type);
void ocfsx_journal_abort(struct super_block *sb);
int ocfsx_journal_recover(struct super_block *sb, struct inode *ji, int slot);
void ocfsx_journal_quiesce(struct super_block *sb);

/* alloc.c */
struct ocfsx_alloc_origin {
	u64 blkno;
	u64 group;
	u32 bit;
	u16 slot;
};
int ocfsx_alloc_clusters(handle_t *h, struct super_block *sb, u32 min,
			 u32 want, u64 *start, u32 *got);
int ocfsx_cluster_available(handle_t *h, struct super_block *sb);
int ocfsx_forget_blocks(handle_t *h, struct super_block *sb, u64 blkno,
			u64 count, bool revoke);
int ocfsx_free_clusters(handle_t *h, struct super_block *sb, u64 start,
			u64 count);
int ocfsx_alloc_block(handle_t *h, struct super_block *sb, bool inode_block,
		      struct ocfsx_alloc_origin *o);
int ocfsx_free_block(handle_t *h, struct super_block *sb,
		     const struct ocfsx_block_header *hdr);
struct buffer_head *ocfsx_new_meta_block(handle_t *h, struct inode *inode,
					 u16 type);

/* xattr.c */
extern const struct xattr_handler *ocfsx_xattr_handlers[];
ssize_t ocfsx_listxattr(struct dentry *dentry, char *buffer, size_t size);
int ocfsx_xattr_get_index(struct inode *inode, int index, const char *name,
			  void *buffer, size_t size);
int ocfsx_xattr_set_index(struct inode *inode, int index, const char *name,
			  const void *value, size_t size, int flags);
int ocfsx_xattr_drop(handle_t *h, struct inode *inode, struct ocfsx_inode *di);
struct posix_acl *ocfsx_get_acl(struct inode *inode, int type, bool rcu);
int ocfsx_set_acl(struct user_namespace *ns, struct inode *inode,
		  struct posix_acl *acl, int type);
int ocfsx_init_acl(struct inode *inode, struct posix_acl *acl,
		   struct posix_acl *dacl);

/* super.c */
void ocfsx_record_error(struct super_block *sb);
int ocfsx_fs_init(void);
void ocfsx_fs_exit(void);

#endif /* OCFSX_FS_OCFSX_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * ocfsx mount and unmount: options, superblock checks with one clear line
 * per refusal, cluster identity against the running cluster, local
 * heartbeat, slot claim and release in the slot map, statfs, and the
 * filesystem type registration.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/blkdev.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <asm/unaligned.h>

#include "../cluster/heartbeat.h"
#include "../cluster/nodemanager.h"
#include "ocfsx.h"

static struct kmem_cache *ocfsx_inode_cachep;

/* ---- mount options ---------------------------------------------------- */

enum {
	Opt_errors, Opt_data, Opt_commit, Opt_acl, Opt_noacl, Opt_user_xattr,
	Opt_nouser_xattr, Opt_preferred_slot, Opt_netdev, Opt_atime_ignored,
};

static const struct constant_table ocfsx_param_errors[] = {
	{ "continue",		OCFSX_ERRORS_CONTINUE },
	{ "remount-ro",		OCFSX_ERRORS_REMOUNT_RO },
	{ "panic",		OCFSX_ERRORS_PANIC },
	{}
};

static const struct constant_table ocfsx_param_data[] = {
	{ "ordered",	0 },
	{ "writeback",	1 },
	{}
};

static const struct fs_parameter_spec ocfsx_param_spec[] = {
	fsparam_enum("errors", Opt_errors, ocfsx_param_errors),
	fsparam_enum("data", Opt_data, ocfsx_param_data),
	fsparam_u32("commit", Opt_commit),
	fsparam_flag("acl", Opt_acl),
	fsparam_flag("noacl", Opt_noacl),
	fsparam_flag("user_xattr", Opt_user_xattr),
	fsparam_flag("nouser_xattr", Opt_nouser_xattr),
	fsparam_u32("preferred_slot", Opt_preferred_slot),
	/* Meant for mount(8); accepted when a helper passes it through. */
	fsparam_flag("_netdev", Opt_netdev),
	/* Per-mount flags the VFS applies; accepted if passed as strings. */
	fsparam_flag("noatime", Opt_atime_ignored),
	fsparam_flag("relatime", Opt_atime_ignored),
	fsparam_flag("atime", Opt_atime_ignored),
	fsparam_flag("strictatime", Opt_atime_ignored),
	fsparam_flag("nodiratime", Opt_atime_ignored),
	{}
};

static int ocfsx_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct ocfsx_mount_opts *o = fc->fs_private;
	struct fs_parse_result r;
	int opt;

	opt = fs_parse(fc, ocfsx_param_spec, param, &r);
	if (opt < 0)
		return opt;
	switch (opt) {
	case Opt_errors:
		o->errors = r.uint_32;
		break;
	case Opt_data:
		o->data_writeback = r.uint_32;
		break;
	case Opt_commit:
		if (r.uint_32 > 24 * 3600)
			return invalfc(fc, "commit=%u is too long: use at most 86400 seconds",
				       r.uint_32);
		o->commit_secs = r.uint_32;
		break;
	case Opt_acl:
		o->acl = true;
		break;
	case Opt_noacl:
		o->acl = false;
		break;
	case Opt_user_xattr:
		o->user_xattr = true;
		break;
	case Opt_nouser_xattr:
		o->user_xattr = false;
		break;
	case Opt_preferred_slot:
		if (r.uint_32 >= OCFSX_MAX_SLOTS)
			return invalfc(fc, "preferred_slot=%u is out of range: slots are 0..254",
				       r.uint_32);
		o->preferred_slot = r.uint_32;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- superblock checks ------------------------------------------------ */

/* Copies a NUL-padded on-disk string of n bytes into buf[n + 1]. */
static void padded_str(char *buf, const u8 *src, size_t n)
{
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/*
 * Every check of format §4 that can refuse a mount, each with its own line.
 * Sets *force_ro for unknown ro_compat features.
 */
static int check_super(struct super_block *sb, struct ocfsx_super_block *s,
		       bool *force_ro)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	const char *dev = sb->s_id;
	u32 incompat = le32_to_cpu(s->s_feature_incompat);
	u32 ro_compat = le32_to_cpu(s->s_feature_ro_compat);
	u64 dev_bytes = bdev_nr_bytes(sb->s_bdev);
	u64 clusters = le64_to_cpu(s->s_clusters);
	unsigned int bbits = s->s_blocksize_bits, cbits = s->s_clustersize_bits;
	u64 blocks;

	if (le16_to_cpu(s->s_major) != OCFSX_FORMAT_MAJOR) {
		pr_err("%s: format version %u.%u is not supported (this module reads %u.x): use a matching ocfsx release\n",
		       dev, le16_to_cpu(s->s_major), le16_to_cpu(s->s_minor),
		       OCFSX_FORMAT_MAJOR);
		return -EINVAL;
	}
	if (!ocfsx_geometry_valid(bbits, cbits)) {
		pr_err("%s: invalid geometry (block size bits %u, cluster size bits %u): run fsck.ocfsx\n",
		       dev, bbits, cbits);
		return -EINVAL;
	}
	if (incompat & ~OCFSX_FEATURE_INCOMPAT_SUPP) {
		pr_err("%s: unsupported incompatible features 0x%x: this module is too old for the volume\n",
		       dev, incompat & ~OCFSX_FEATURE_INCOMPAT_SUPP);
		return -EINVAL;
	}
	if (incompat & OCFSX_FEATURE_INCOMPAT_NOMOUNT) {
		pr_err("%s: an offline tunefs/resize was interrupted (tune flags 0x%x): finish it with tunefs.ocfsx or fsck.ocfsx first\n",
		       dev, le32_to_cpu(s->s_tune_flags));
		return -EINVAL;
	}
	if (ro_compat & ~OCFSX_FEATURE_RO_COMPAT_SUPP)
		*force_ro = true;
	if (le16_to_cpu(s->s_max_slots) < 1 ||
	    le16_to_cpu(s->s_max_slots) > OCFSX_MAX_SLOTS) {
		pr_err("%s: superblock max slots %u out of range 1..255: run fsck.ocfsx\n",
		       dev, le16_to_cpu(s->s_max_slots));
		return -EINVAL;
	}
	if (!clusters || clusters > (U64_MAX >> cbits) ||
	    (clusters << cbits) > dev_bytes) {
		pr_err("%s: volume of %llu clusters does not fit the device (%llu bytes): check the device or run fsck.ocfsx\n",
		       dev, clusters, dev_bytes);
		return -EINVAL;
	}
	blocks = clusters << (cbits - bbits);
	if (le64_to_cpu(s->s_first_group_blkno) != ocfsx_super_blkno(bbits) + 1 ||
	    le64_to_cpu(s->s_root_blkno) <= ocfsx_super_blkno(bbits) ||
	    le64_to_cpu(s->s_root_blkno) >= blocks ||
	    le64_to_cpu(s->s_system_dir_blkno) <= ocfsx_super_blkno(bbits) ||
	    le64_to_cpu(s->s_system_dir_blkno) >= blocks ||
	    le32_to_cpu(s->s_hb_blocks) != OCFSX_MAX_NODES ||
	    le64_to_cpu(s->s_hb_blkno) + OCFSX_MAX_NODES > blocks) {
		pr_err("%s: superblock locations (root, system directory, heartbeat) are outside the volume: run fsck.ocfsx\n",
		       dev);
		return -EINVAL;
	}
	sbi->bbits = bbits;
	sbi->cbits = cbits;
	sbi->c2b_bits = cbits - bbits;
	sbi->clusters = clusters;
	sbi->blocks = blocks;
	sbi->fs_generation = le32_to_cpu(s->s_hdr.bh_fs_generation);
	sbi->max_slots = le16_to_cpu(s->s_max_slots);
	sbi->compat = le32_to_cpu(s->s_feature_compat);
	sbi->incompat = incompat;
	sbi->ro_compat = ro_compat;
	sbi->inline_xattr = le16_to_cpu(s->s_inline_xattr_size);
	sbi->root_blkno = le64_to_cpu(s->s_root_blkno);
	sbi->sysdir_blkno = le64_to_cpu(s->s_system_dir_blkno);
	sbi->dx_key.key[0] = get_unaligned_le64(s->s_dx_key);
	sbi->dx_key.key[1] = get_unaligned_le64(s->s_dx_key + 8);
	return 0;
}

/*
 * The volume's cluster identity must match the running cluster (§4);
 * LOCAL_MOUNT volumes need no cluster. Sets sbi->node.
 */
static int check_cluster(struct super_block *sb, struct ocfsx_super_block *s)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_nm_cluster_info *info;
	char vstack[OCFSX_STACK_NAME_LEN + 1];
	char vname[OCFSX_CLUSTER_NAME_LEN + 1];
	bool vglobal = le32_to_cpu(s->s_cluster.ci_flags) &
		       OCFSX_CLUSTER_F_GLOBAL_HB;
	int err = -EINVAL;

	if (sbi->incompat & OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT) {
		sbi->node = 0;
		return 0;
	}
	padded_str(vstack, s->s_cluster.ci_stack, OCFSX_STACK_NAME_LEN);
	padded_str(vname, s->s_cluster.ci_cluster, OCFSX_CLUSTER_NAME_LEN);
	if (strcmp(vstack, "o2cb") && strcmp(vstack, "ocfsx")) {
		pr_err("%s: volume uses cluster stack \"%s\", this module runs o2cb/ocfsx: mount it where that stack runs, or change it with tunefs.ocfsx\n",
		       sb->s_id, vstack);
		return -EINVAL;
	}
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	if (ocfsx_nm_cluster_info(info) || info->local_node < 0) {
		pr_err("%s: volume belongs to cluster \"%s\" but no cluster is online: run 'o2cbx online %s' first\n",
		       sb->s_id, vname, vname);
		goto out;
	}
	if (strcmp(info->name, vname)) {
		pr_err("%s: volume belongs to cluster \"%s\" but the running cluster is \"%s\": mount it on a node of \"%s\" or change the volume with tunefs.ocfsx\n",
		       sb->s_id, vname, info->name, vname);
		goto out;
	}
	if (vglobal != (info->heartbeat_mode == OCFSX_HB_GLOBAL)) {
		pr_err("%s: volume wants %s heartbeat but cluster \"%s\" runs %s heartbeat: make the heartbeat modes agree\n",
		       sb->s_id, vglobal ? "global" : "local", info->name,
		       vglobal ? "local" : "global");
		goto out;
	}
	if (info->local_node >= OCFSX_MAX_NODES) {
		pr_err("%s: local node number %d is above 254: renumber the node in cluster.conf\n",
		       sb->s_id, info->local_node);
		goto out;
	}
	sbi->node = info->local_node;
	err = 0;
out:
	kfree(info);
	return err;
}

/* ---- system inodes ---------------------------------------------------- */

static struct inode *get_sysfile(struct super_block *sb, unsigned int type,
				 unsigned int slot)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct inode *inode;
	char name[32];
	u64 ino;
	int len, err;

	len = ocfsx_sysfile_name(name, sizeof(name), type, slot);
	if (len < 0)
		return ERR_PTR(-EINVAL);
	err = ocfsx_dir_lookup_ino(sbi->sysdir, name, len, &ino);
	if (err)
		return ERR_PTR(err);
	if (!ino) {
		ocfsx_error(sb, "inode %llu: system file %s is missing from the system directory",
			    sbi->sysdir_blkno, name);
		return ERR_PTR(-EFSCORRUPTED);
	}
	inode = ocfsx_iget(sb, ino);
	if (IS_ERR(inode))
		return inode;
	if (OCFSX_I(inode)->sys_type != type ||
	    (type >= OCFSX_SYS_FIRST_PER_SLOT &&
	     OCFSX_I(inode)->sys_slot != slot)) {
		ocfsx_error(sb, "inode %llu: system file %s has identity %u/%u",
			    ino, name, OCFSX_I(inode)->sys_type,
			    OCFSX_I(inode)->sys_slot);
		iput(inode);
		return ERR_PTR(-EFSCORRUPTED);
	}
	return inode;
}

static void put_sysfiles(struct ocfsx_sb_info *sbi)
{
	struct inode **all[] = {
		&sbi->orphan_dir, &sbi->dealloc_log, &sbi->local_alloc,
		&sbi->meta_alloc, &sbi->inode_alloc, &sbi->journal_inode,
		&sbi->heartbeat, &sbi->global_bitmap, &sbi->slot_map,
		&sbi->sysdir,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		iput(*all[i]);
		*all[i] = NULL;
	}
}

/* ---- slot map --------------------------------------------------------- */

typedef bool (*slot_fn)(struct ocfsx_sb_info *sbi, unsigned int slot,
			struct ocfsx_slot_entry *se, void *arg);

/*
 * Calls fn for each slot entry until it returns true; that entry's block
 * is then written back. Returns 1 if fn took an entry, 0 if none, < 0 on
 * error. Held under the super lock by the callers.
 */
static int slot_map_walk(struct super_block *sb, slot_fn fn, void *arg)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	u32 per = ocfsx_slots_per_block(sb->s_blocksize);
	u32 nblocks = ocfsx_slot_map_blocks(sb->s_blocksize, sbi->max_slots);
	struct buffer_head *bh;
	u32 b, i;
	u64 pblk;
	int err;

	if (((u64)nblocks << sbi->bbits) > i_size_read(sbi->slot_map)) {
		ocfsx_error(sb, "inode %lu: slot map of %lld bytes is too small for %u slots",
			    sbi->slot_map->i_ino, i_size_read(sbi->slot_map),
			    sbi->max_slots);
		return -EFSCORRUPTED;
	}
	for (b = 0; b < nblocks; b++) {
		struct ocfsx_slot_map_block *sm;
		struct ocfsx_slot_entry *se;
		u32 count;

		err = ocfsx_bmap_block(sbi->slot_map, b, &pblk);
		if (err)
			return err;
		bh = ocfsx_read_meta(sb, pblk, OCFSX_BT_SLOT_MAP,
				     sbi->slot_map->i_ino);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		sm = (void *)bh->b_data;
		count = le16_to_cpu(sm->sm_count);
		if (le16_to_cpu(sm->sm_first_slot) != b * per || count > per ||
		    b * per + count > sbi->max_slots) {
			ocfsx_error(sb, "inode %lu: block %llu (slot map block): first slot %u, count %u do not fit",
				    sbi->slot_map->i_ino, pblk,
				    le16_to_cpu(sm->sm_first_slot), count);
			brelse(bh);
			return -EFSCORRUPTED;
		}
		se = (void *)bh->b_data + OCFSX_SLOT_MAP_ENTRIES_OFFSET;
		for (i = 0; i < count; i++) {
			if (fn(sbi, b * per + i, &se[i], arg)) {
				err = ocfsx_write_meta_sync(sb, bh,
							    OCFSX_BT_SLOT_MAP);
				brelse(bh);
				return err ? err : 1;
			}
		}
		brelse(bh);
	}
	return 0;
}

struct slot_scan {
	int mine, preferred_free, first_free;
	unsigned int in_use;
};

static bool scan_slot(struct ocfsx_sb_info *sbi, unsigned int slot,
		      struct ocfsx_slot_entry *se, void *arg)
{
	struct slot_scan *s = arg;
	u32 node = le32_to_cpu(se->se_node);

	if (node == OCFSX_NODE_NONE) {
		if (s->first_free < 0)
			s->first_free = slot;
		if (slot == sbi->opts.preferred_slot)
			s->preferred_free = slot;
	} else {
		s->in_use++;
		if (node == sbi->node && s->mine < 0)
			s->mine = slot;
	}
	return false;
}

static bool take_slot(struct ocfsx_sb_info *sbi, unsigned int slot,
		      struct ocfsx_slot_entry *se, void *arg)
{
	if (slot != sbi->slot)
		return false;
	se->se_node = cpu_to_le32(*(u32 *)arg);
	se->se_flags = 0;
	se->se_mount_time = cpu_to_le64(*(u32 *)arg == OCFSX_NODE_NONE ? 0 :
					ktime_get_real_seconds());
	return true;
}

/* Writes the primary superblock (mount-time fields and s_state). */
static int write_super(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct buffer_head *bh;
	int err;

	bh = ocfsx_read_meta(sb, ocfsx_super_blkno(sbi->bbits), OCFSX_BT_SUPER,
			     0);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	lock_buffer(bh);
	memcpy(bh->b_data, sbi->raw_sb, sizeof(*sbi->raw_sb));
	((struct ocfsx_super_block *)bh->b_data)->s_wtime =
		cpu_to_le64(ktime_get_real_seconds());
	unlock_buffer(bh);
	err = ocfsx_write_meta_sync(sb, bh, OCFSX_BT_SUPER);
	brelse(bh);
	return err;
}

/*
 * Claims our slot: the one already tagged with our node number, else the
 * preferred one if free, else the first free. The first node in clears
 * CLEAN (format §4.2). Written directly with a checksum, under the super
 * lock; the slot map is never journaled because recovery reads it first.
 */
static int claim_slot(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct slot_scan s = { -1, -1, -1, 0 };
	u32 node = sbi->node;
	int err;

	err = ocfsx_lock(&sbi->super_lock, OCFSX_LKM_EX);
	if (err)
		return err;
	err = slot_map_walk(sb, scan_slot, &s);
	if (err < 0)
		goto out;
	if (s.mine >= 0)
		sbi->slot = s.mine;
	else if (s.preferred_free >= 0)
		sbi->slot = s.preferred_free;
	else
		sbi->slot = s.first_free;
	if (sbi->slot < 0) {
		pr_err("%s: all %u slots are in use: unmount another node or add slots with tunefs.ocfsx -N\n",
		       sb->s_id, sbi->max_slots);
		err = -EBUSY;
		goto out;
	}
	if (sbi->opts.preferred_slot >= 0 &&
	    sbi->slot != sbi->opts.preferred_slot)
		pr_info("%s: preferred slot %d is taken, using slot %d\n",
			sb->s_id, sbi->opts.preferred_slot, sbi->slot);
	err = slot_map_walk(sb, take_slot, &node);
	if (err < 0)
		goto fail;
	if (!sb_rdonly(sb)) {
		if (s.in_use == 0 || (s.in_use == 1 && s.mine >= 0))
			sbi->raw_sb->s_state &= ~cpu_to_le16(OCFSX_STATE_CLEAN);
		sbi->raw_sb->s_mtime = cpu_to_le64(ktime_get_real_seconds());
		le16_add_cpu(&sbi->raw_sb->s_mount_count, 1);
		err = write_super(sb);
		if (err)
			goto fail;
	}
	err = 0;
	goto out;
fail:
	node = OCFSX_NODE_NONE;
	slot_map_walk(sb, take_slot, &node);
	sbi->slot = -1;
out:
	ocfsx_unlock(&sbi->super_lock, OCFSX_LKM_EX);
	return err;
}

/* Frees our slot; the last node out marks the volume CLEAN. */
static void release_slot(struct super_block *sb, bool clean)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct slot_scan s = { -1, -1, -1, 0 };
	u32 none = OCFSX_NODE_NONE;
	int err;

	if (sbi->slot < 0)
		return;
	if (test_bit(OCFSX_SBS_STOPPED, &sbi->state)) {
		/* Not ours to write any more: recovery frees the slot. */
		sbi->slot = -1;
		return;
	}
	ocfsx_lock(&sbi->super_lock, OCFSX_LKM_EX);
	err = slot_map_walk(sb, take_slot, &none);
	if (err < 0)
		pr_err("%s: could not free slot %d (error %d): fsck.ocfsx will free it\n",
		       sb->s_id, sbi->slot, err);
	else if (clean && !sb_rdonly(sb) &&
		 slot_map_walk(sb, scan_slot, &s) == 0 && s.in_use == 0) {
		sbi->raw_sb->s_state |= cpu_to_le16(OCFSX_STATE_CLEAN);
		write_super(sb);
	}
	sbi->slot = -1;
	ocfsx_unlock(&sbi->super_lock, OCFSX_LKM_EX);
}

/* ---- recovery of dead nodes' slots ------------------------------------ */

static bool note_node(struct ocfsx_sb_info *sbi, unsigned int slot,
		      struct ocfsx_slot_entry *se, void *arg)
{
	((u32 *)arg)[slot] = le32_to_cpu(se->se_node);
	return false;
}

static bool free_slot(struct ocfsx_sb_info *sbi, unsigned int slot,
		      struct ocfsx_slot_entry *se, void *arg)
{
	if (slot != *(int *)arg)
		return false;
	se->se_node = cpu_to_le32(OCFSX_NODE_NONE);
	se->se_flags = 0;
	se->se_mount_time = 0;
	return true;
}

/*
 * Is node dead by our disk heartbeat? Without any heartbeat view we cannot
 * tell, and a live node's journal must never be replayed under it.
 */
static bool node_dead(u32 node)
{
	struct ocfsx_hb_node_stats st;

	if (node >= OCFSX_NM_MAX_NODES || ocfsx_heartbeat_node_stats(node, &st))
		return false;
	return st.view != OCFSX_HB_VIEW_LIVE;
}

/*
 * A slot still tagged with another node whose heartbeat is dead was left
 * by a crash: replay its journal and free the slot, under the super lock,
 * before anything reads the metadata that journal may hold. Its orphans
 * stay in its orphan directory for now (freeing them needs that slot's
 * allocators; fsck.ocfsx frees them).
 */
static int recover_dead_slots(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct inode *ji;
	u32 *nodes;
	int s, err;

	if (!test_bit(OCFSX_SBS_HB_GATED, &sbi->state) || sb_rdonly(sb))
		return 0;
	nodes = kcalloc(sbi->max_slots, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;
	err = ocfsx_lock(&sbi->super_lock, OCFSX_LKM_EX);
	if (err)
		goto out_free;
	err = slot_map_walk(sb, note_node, nodes);
	for (s = 0; !err && s < sbi->max_slots; s++) {
		if (s == sbi->slot || nodes[s] == OCFSX_NODE_NONE ||
		    nodes[s] == sbi->node || !node_dead(nodes[s]))
			continue;
		ji = get_sysfile(sb, OCFSX_SYS_JOURNAL, s);
		if (IS_ERR(ji)) {
			err = PTR_ERR(ji);
			break;
		}
		err = ocfsx_journal_recover(sb, ji, s);
		iput(ji);
		if (err < 0)
			break;
		pr_info("%s: slot %d of dead node %u recovered (%s) and freed\n",
			sb->s_id, s, nodes[s],
			err ? "journal replayed" : "journal was clean");
		err = slot_map_walk(sb, free_slot, &s);
		if (err > 0)
			err = 0;
	}
	ocfsx_unlock(&sbi->super_lock, OCFSX_LKM_EX);
out_free:
	kfree(nodes);
	return err;
}

/* ---- s_state ERROR ---------------------------------------------------- */

/*
 * Corruption found: ERROR goes into the superblock so that the next mount
 * and fsck.ocfsx -p know a full check is needed (fsck clears it after a
 * clean run). Written directly, like the mount fields, from a work item:
 * the error can come from any depth, holding locks this write needs.
 */
static void error_work_fn(struct work_struct *w)
{
	struct ocfsx_sb_info *sbi = container_of(w, struct ocfsx_sb_info,
						 error_work);
	struct super_block *sb = sbi->sb;
	int err;

	if (!sbi->raw_sb || !ocfsx_io_allowed(sb))
		return;
	ocfsx_lock(&sbi->super_lock, OCFSX_LKM_EX);
	sbi->raw_sb->s_state |= cpu_to_le16(OCFSX_STATE_ERROR);
	err = write_super(sb);
	ocfsx_unlock(&sbi->super_lock, OCFSX_LKM_EX);
	if (err)
		pr_err("%s: could not mark the volume with errors (error %d): run fsck.ocfsx -f\n",
		       sb->s_id, err);
}

void ocfsx_record_error(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (!test_and_set_bit(OCFSX_SBS_ERROR_SAVED, &sbi->state))
		schedule_work(&sbi->error_work);
}

/* ---- heartbeat -------------------------------------------------------- */

/*
 * Local heartbeat on this volume. A heartbeat service that is not there
 * yet (-EOPNOTSUPP) is logged once and the mount goes on without it; any
 * other failure refuses the mount.
 */
static int start_heartbeat(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_hb_region_params p = {};
	struct ocfsx_hb_region *r;
	char name[2 * OCFSX_UUID_LEN + 1];
	DECLARE_BITMAP(live, OCFSX_NM_MAX_NODES);
	unsigned long other;
	int err;

	if (sbi->incompat & OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT)
		return 0;
	if (le32_to_cpu(sbi->raw_sb->s_cluster.ci_flags) &
	    OCFSX_CLUSTER_F_GLOBAL_HB) {
		/* The cluster's global regions cover us. */
		if (!ocfsx_heartbeat_io_allowed()) {
			pr_err("%s: the volume uses global heartbeat but no heartbeat region is active on this node: add one with 'o2cbx add-heartbeat' and bring the cluster online\n",
			       sb->s_id);
			return -ENOTCONN;
		}
		ocfsx_io_gate_start(sb);
		return 0;
	}
	snprintf(name, sizeof(name), "%16phN", sbi->raw_sb->s_uuid);
	p.name = name;
	p.bdev = sb->s_bdev;
	p.start_block = le64_to_cpu(sbi->raw_sb->s_hb_blkno);
	p.blocks = le32_to_cpu(sbi->raw_sb->s_hb_blocks);
	p.block_bytes = sb->s_blocksize;
	p.fs_generation = sbi->fs_generation;
	p.owner = sbi->heartbeat->i_ino;
	p.slot = OCFSX_SLOT_NONE;
	r = ocfsx_hb_region_start(&p);
	if (IS_ERR(r)) {
		err = PTR_ERR(r);
		goto fail;
	}
	err = ocfsx_hb_region_wait_live(r);
	if (err) {
		ocfsx_hb_region_stop(r);
		goto fail;
	}
	/*
	 * Until the DLM is in, nothing keeps two nodes' caches coherent: a
	 * volume another node heartbeats on (has mounted) is refused.
	 */
	ocfsx_hb_region_live_nodes(r, live);
	other = find_first_bit(live, OCFSX_NM_MAX_NODES);
	if (other < OCFSX_NM_MAX_NODES) {
		pr_err("%s: node %lu has this volume mounted; ocfsx mounts a volume on one node at a time until its DLM lands: unmount it there first\n",
		       sb->s_id, other);
		ocfsx_hb_region_stop(r);
		return -EBUSY;
	}
	sbi->hb = r;
	ocfsx_io_gate_start(sb);
	return 0;
fail:
	if (err == -EOPNOTSUPP) {
		pr_info("%s: disk heartbeat is not available in this build, mounting without it (single node only)\n",
			sb->s_id);
		return 0;
	}
	pr_err("%s: heartbeat on region %s failed (error %d): check the cluster with 'o2cbx status'\n",
	       sb->s_id, name, err);
	return err;
}

/*
 * After the last write: with the region gone the lease is too, so the gate
 * is closed for whatever runs later (inode eviction) without waiting on it.
 */
static void stop_heartbeat(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	if (!sbi->hb)
		return;
	set_bit(OCFSX_SBS_STOPPED, &sbi->state);
	ocfsx_hb_region_stop(sbi->hb);
	sbi->hb = NULL;
}

/* ---- super operations ------------------------------------------------- */

static struct inode *ocfsx_alloc_inode(struct super_block *sb)
{
	struct ocfsx_inode_info *oi;

	oi = alloc_inode_sb(sb, ocfsx_inode_cachep, GFP_NOFS);
	if (!oi)
		return NULL;
	oi->body_format = 0;
	oi->dx_root = 0;
	oi->clusters = 0;
	oi->flags = 0;
	oi->version = 0;
	jbd2_journal_init_jbd_inode(&oi->jinode, &oi->vfs_inode);
	return &oi->vfs_inode;
}

static void ocfsx_free_inode(struct inode *inode)
{
	if (S_ISLNK(inode->i_mode) && inode->i_link)
		kfree(inode->i_link);
	kmem_cache_free(ocfsx_inode_cachep, OCFSX_I(inode));
}

static void ocfsx_inode_once(void *p)
{
	struct ocfsx_inode_info *oi = p;

	init_rwsem(&oi->alloc_sem);
	mutex_init(&oi->inline_mutex);
	inode_init_once(&oi->vfs_inode);
}

/*
 * Stopped (fenced): jbd2 is aborted and writes nothing, the slot stays
 * ours for recovery, and what is still dirty in the device's page cache is
 * dropped before kill_block_super() syncs the device.
 */
static void ocfsx_put_super(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	ocfsx_io_gate_exit(sb);
	flush_work(&sbi->error_work);
	ocfsx_journal_shutdown(sb);
	release_slot(sb, true);
	if (test_bit(OCFSX_SBS_STOPPED, &sbi->state))
		ocfsx_drop_dirty_meta(sb);
	stop_heartbeat(sb);
	put_sysfiles(sbi);
	kfree(sbi->raw_sb);
	kfree(sbi);
	sb->s_fs_info = NULL;
}

static int ocfsx_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_chain_table *ct;
	struct ocfsx_local_alloc *la;
	struct buffer_head *bh;
	u64 free, total;
	int err;

	err = ocfsx_lock(&sbi->gbitmap_lock, OCFSX_LKM_PR);
	if (err)
		return err;
	bh = ocfsx_read_inode_bh(sbi->global_bitmap);
	ocfsx_unlock(&sbi->gbitmap_lock, OCFSX_LKM_PR);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	ct = (void *)bh->b_data + OCFSX_INODE_BODY_OFFSET;
	total = le64_to_cpu(ct->ct_total_bits);
	free = le64_to_cpu(ct->ct_free_bits);
	brelse(bh);
	/* Our own window's clear bits are free too. */
	if (sbi->local_alloc) {
		bh = ocfsx_read_inode_bh(sbi->local_alloc);
		if (!IS_ERR(bh)) {
			la = (void *)bh->b_data + OCFSX_INODE_BODY_OFFSET;
			if (le32_to_cpu(la->la_used) <=
			    le32_to_cpu(la->la_window_bits))
				free += le32_to_cpu(la->la_window_bits) -
					le32_to_cpu(la->la_used);
			brelse(bh);
		}
	}
	if (free > total)
		free = total;
	buf->f_type = OCFSX_META_MAGIC;
	buf->f_bsize = 1U << sbi->cbits;
	buf->f_frsize = buf->f_bsize;
	buf->f_blocks = total;
	buf->f_bfree = free;
	buf->f_bavail = free;
	/* Inodes are allocated on demand: one per free block at most. */
	buf->f_ffree = free << sbi->c2b_bits;
	buf->f_files = total << sbi->c2b_bits;
	buf->f_namelen = OCFSX_NAME_MAX;
	buf->f_fsid = u64_to_fsid(get_unaligned_le64(sbi->raw_sb->s_uuid) ^
				  get_unaligned_le64(sbi->raw_sb->s_uuid + 8));
	return 0;
}

static int ocfsx_show_options(struct seq_file *seq, struct dentry *root)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(root->d_sb);
	static const char * const errs[] = { "", "continue", "remount-ro",
					     "panic" };

	if (sbi->opts.errors >= 1 && sbi->opts.errors <= 3)
		seq_printf(seq, ",errors=%s", errs[sbi->opts.errors]);
	seq_printf(seq, ",data=%s", sbi->opts.data_writeback ? "writeback" :
		   "ordered");
	if (sbi->opts.commit_secs)
		seq_printf(seq, ",commit=%u", sbi->opts.commit_secs);
	seq_puts(seq, sbi->opts.acl ? ",acl" : ",noacl");
	if (sbi->opts.user_xattr)
		seq_puts(seq, ",user_xattr");
	if (sbi->slot >= 0)
		seq_printf(seq, ",slot=%d", sbi->slot);
	return 0;
}

/*
 * The VFS changed times or size outside our own paths (file_update_time,
 * direct I/O size): write the inode in a small transaction, nested in the
 * caller's if one is running.
 */
static void ocfsx_dirty_inode(struct inode *inode, int flags)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	handle_t *h;

	if (!sbi || !sbi->journal || sb_rdonly(inode->i_sb) ||
	    is_bad_inode(inode) || (inode->i_state & I_NEW) ||
	    !inode->i_nlink || OCFSX_I(inode)->sys_type)
		return;
	h = ocfsx_start_trans(inode->i_sb, 2);
	if (IS_ERR(h))
		return;
	ocfsx_update_inode(h, inode);
	ocfsx_commit_trans(h);
}

static int ocfsx_sync_fs(struct super_block *sb, int wait)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	tid_t tid;

	if (test_bit(OCFSX_SBS_STOPPED, &sbi->state))
		return -EIO;
	if (!sbi->journal)
		return 0;
	if (jbd2_journal_start_commit(sbi->journal, &tid) && wait)
		return jbd2_log_wait_commit(sbi->journal, tid);
	return 0;
}

static const struct super_operations ocfsx_sops = {
	.sync_fs	= ocfsx_sync_fs,
	.alloc_inode	= ocfsx_alloc_inode,
	.evict_inode	= ocfsx_evict_inode,
	.dirty_inode	= ocfsx_dirty_inode,
	.free_inode	= ocfsx_free_inode,
	.put_super	= ocfsx_put_super,
	.statfs		= ocfsx_statfs,
	.show_options	= ocfsx_show_options,
};

/* ---- fill_super ------------------------------------------------------- */

static int read_super(struct super_block *sb, bool silent)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_super_block *s;
	struct buffer_head *bh;
	unsigned int bbits;
	bool force_ro = false;
	int err;

	if (!sb_set_blocksize(sb, OCFSX_MIN_BLOCKSIZE) &&
	    !sb_set_blocksize(sb, bdev_logical_block_size(sb->s_bdev))) {
		pr_err("%s: cannot set a block size on the device\n", sb->s_id);
		return -EINVAL;
	}
	bh = sb_bread(sb, OCFSX_SUPER_OFFSET >> sb->s_blocksize_bits);
	if (!bh) {
		pr_err("%s: cannot read byte %u for the superblock: the device is too small or unreadable\n",
		       sb->s_id, OCFSX_SUPER_OFFSET);
		return -EIO;
	}
	s = (void *)bh->b_data;
	if (le32_to_cpu(s->s_hdr.bh_magic) != OCFSX_META_MAGIC ||
	    le16_to_cpu(s->s_hdr.bh_type) != OCFSX_BT_SUPER) {
		pr_err("%s: no ocfsx superblock at byte %u (bad magic): not an ocfsx volume, run mkfs.ocfsx or check the device\n",
		       sb->s_id, OCFSX_SUPER_OFFSET);
		brelse(bh);
		return -EINVAL;
	}
	bbits = s->s_blocksize_bits;
	brelse(bh);
	if (bbits < OCFSX_MIN_BLOCKSIZE_BITS || bbits > OCFSX_MAX_BLOCKSIZE_BITS) {
		pr_err("%s: superblock block size bits %u out of range 9..12: run fsck.ocfsx\n",
		       sb->s_id, bbits);
		return -EINVAL;
	}
	if (!sb_set_blocksize(sb, 1U << bbits)) {
		pr_err("%s: volume block size %u is below the device's sector size %u: use a device with smaller sectors\n",
		       sb->s_id, 1U << bbits, bdev_logical_block_size(sb->s_bdev));
		return -EINVAL;
	}
	bh = sb_bread(sb, ocfsx_super_blkno(bbits));
	if (!bh)
		return -EIO;
	s = (void *)bh->b_data;
	if (le32_to_cpu(s->s_hdr.bh_crc32c) !=
	    ocfsx_block_csum(sb, bh->b_data, OCFSX_BT_SUPER) ||
	    le64_to_cpu(s->s_hdr.bh_blkno) != ocfsx_super_blkno(bbits)) {
		pr_err("%s: superblock checksum or self-reference is bad: run fsck.ocfsx (it can repair from a backup)\n",
		       sb->s_id);
		brelse(bh);
		return -EINVAL;
	}
	sbi->raw_sb = kmemdup(s, sizeof(*s), GFP_KERNEL);
	brelse(bh);
	if (!sbi->raw_sb)
		return -ENOMEM;
	err = check_super(sb, sbi->raw_sb, &force_ro);
	if (err)
		return err;
	if (force_ro && !sb_rdonly(sb)) {
		pr_warn("%s: unknown read-only-compatible features 0x%x, mounting read-only\n",
			sb->s_id, sbi->ro_compat & ~OCFSX_FEATURE_RO_COMPAT_SUPP);
		sb->s_flags |= SB_RDONLY;
	}
	if (le16_to_cpu(sbi->raw_sb->s_state) & OCFSX_STATE_ERROR)
		pr_warn("%s: volume is marked with errors (corruption was found): fsck is needed, unmount it and run fsck.ocfsx -f\n",
			sb->s_id);
	return 0;
}

static int ocfsx_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct ocfsx_mount_opts *opts = fc->fs_private;
	struct ocfsx_sb_info *sbi;
	struct inode *root;
	int err, s;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;
	sbi->sb = sb;
	ratelimit_state_init(&sbi->err_rs, 5 * HZ, 10);
	sbi->slot = -1;
	sbi->opts = *opts;
	strscpy(sbi->dev_name, sb->s_id, sizeof(sbi->dev_name));
	mutex_init(&sbi->alloc_mutex);
	INIT_WORK(&sbi->error_work, error_work_fn);
	ocfsx_io_gate_init(sb);
	sb->s_op = &ocfsx_sops;
	sb->s_xattr = ocfsx_xattr_handlers;
	sb->s_magic = OCFSX_META_MAGIC;
	sb->s_time_gran = 1;
	sb->s_time_min = S64_MIN;
	sb->s_time_max = S64_MAX;

	err = read_super(sb, fc->sb_flags & SB_SILENT);
	if (err)
		goto fail;
	if (!sbi->opts.errors)
		sbi->opts.errors = le16_to_cpu(sbi->raw_sb->s_errors);
	if (sbi->opts.errors < OCFSX_ERRORS_CONTINUE ||
	    sbi->opts.errors > OCFSX_ERRORS_PANIC)
		sbi->opts.errors = OCFSX_ERRORS_DEFAULT;
	sb->s_maxbytes = min_t(u64, ocfsx_max_file_bytes(sbi->cbits),
			       MAX_LFS_FILESIZE);
	if (sbi->opts.acl)
		sb->s_flags |= SB_POSIXACL;
	memcpy(&sb->s_uuid, sbi->raw_sb->s_uuid, OCFSX_UUID_LEN);

	err = check_cluster(sb, sbi->raw_sb);
	if (err)
		goto fail;
	ocfsx_lock_res_init(&sbi->super_lock, OCFSX_LOCK_SUPER, 0, 0, sb);
	ocfsx_lock_res_init(&sbi->gbitmap_lock, OCFSX_LOCK_GBITMAP, 0, 0, sb);

	sbi->sysdir = ocfsx_iget(sb, sbi->sysdir_blkno);
	if (IS_ERR(sbi->sysdir)) {
		err = PTR_ERR(sbi->sysdir);
		sbi->sysdir = NULL;
		goto fail;
	}
	if (!S_ISDIR(sbi->sysdir->i_mode) ||
	    OCFSX_I(sbi->sysdir)->sys_type != OCFSX_SYS_SYSTEM_DIR) {
		ocfsx_error(sb, "inode %llu: block %llu (inode): not the system directory",
			    sbi->sysdir_blkno, sbi->sysdir_blkno);
		err = -EFSCORRUPTED;
		goto fail;
	}
#define GET_SYS(field, type, slot) do {					\
		struct inode *__i = get_sysfile(sb, type, slot);	\
		if (IS_ERR(__i)) {					\
			err = PTR_ERR(__i);				\
			goto fail;					\
		}							\
		sbi->field = __i;					\
	} while (0)
	GET_SYS(slot_map, OCFSX_SYS_SLOT_MAP, 0);
	GET_SYS(heartbeat, OCFSX_SYS_HEARTBEAT, 0);
	GET_SYS(global_bitmap, OCFSX_SYS_GLOBAL_BITMAP, 0);
	sbi->gbitmap_lock.blkno = sbi->global_bitmap->i_ino;

	err = start_heartbeat(sb);
	if (err)
		goto fail;
	err = claim_slot(sb);
	if (err)
		goto fail;
	s = sbi->slot;
	ocfsx_lock_res_init(&sbi->alloc_lock, OCFSX_LOCK_ALLOC, s, 0, sb);
	GET_SYS(journal_inode, OCFSX_SYS_JOURNAL, s);
	GET_SYS(inode_alloc, OCFSX_SYS_INODE_ALLOC, s);
	GET_SYS(meta_alloc, OCFSX_SYS_META_ALLOC, s);
	GET_SYS(local_alloc, OCFSX_SYS_LOCAL_ALLOC, s);
	GET_SYS(dealloc_log, OCFSX_SYS_DEALLOC_LOG, s);
	GET_SYS(orphan_dir, OCFSX_SYS_ORPHAN_DIR, s);
#undef GET_SYS
	err = ocfsx_journal_load(sb);
	if (err)
		goto fail;
	err = recover_dead_slots(sb);
	if (err)
		goto fail;

	root = ocfsx_iget(sb, sbi->root_blkno);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto fail;
	}
	if (!S_ISDIR(root->i_mode)) {
		ocfsx_error(sb, "inode %llu: block %llu (inode): root is not a directory",
			    sbi->root_blkno, sbi->root_blkno);
		iput(root);
		err = -EFSCORRUPTED;
		goto fail;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		err = -ENOMEM;
		goto fail;
	}
	ocfsx_orphan_recover(sb);
	pr_info("%s: mounted (node %d, slot %d, %u-byte blocks, %u-byte clusters)\n",
		sb->s_id, sbi->node, sbi->slot, 1U << sbi->bbits,
		1U << sbi->cbits);
	return 0;
fail:
	ocfsx_io_gate_exit(sb);
	flush_work(&sbi->error_work);
	ocfsx_journal_shutdown(sb);
	release_slot(sb, false);
	stop_heartbeat(sb);
	put_sysfiles(sbi);
	kfree(sbi->raw_sb);
	kfree(sbi);
	sb->s_fs_info = NULL;
	/* Any inode read failure above was reported with its cause. */
	return err == -EFSCORRUPTED ? -EUCLEAN : err;
}

static int ocfsx_get_tree(struct fs_context *fc)
{
	return get_tree_bdev(fc, ocfsx_fill_super);
}

static int ocfsx_reconfigure(struct fs_context *fc)
{
	struct super_block *sb = fc->root->d_sb;
	struct ocfsx_mount_opts *o = fc->fs_private;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);

	sync_filesystem(sb);
	if (o->errors)
		sbi->opts.errors = o->errors;
	return 0;
}

static void ocfsx_free_fc(struct fs_context *fc)
{
	kfree(fc->fs_private);
}

static const struct fs_context_operations ocfsx_context_ops = {
	.parse_param	= ocfsx_parse_param,
	.get_tree	= ocfsx_get_tree,
	.reconfigure	= ocfsx_reconfigure,
	.free		= ocfsx_free_fc,
};

static int ocfsx_init_fs_context(struct fs_context *fc)
{
	struct ocfsx_mount_opts *o;

	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return -ENOMEM;
	o->acl = true;
	o->user_xattr = true;
	o->preferred_slot = -1;
	fc->fs_private = o;
	fc->ops = &ocfsx_context_ops;
	return 0;
}

static struct file_system_type ocfsx_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "ocfsx",
	.init_fs_context	= ocfsx_init_fs_context,
	.parameters		= ocfsx_param_spec,
	.kill_sb		= kill_block_super,
	.fs_flags		= FS_REQUIRES_DEV,
};
MODULE_ALIAS_FS("ocfsx");

int ocfsx_fs_init(void)
{
	int err;

	ocfsx_inode_cachep = kmem_cache_create("ocfsx_inode_cache",
					       sizeof(struct ocfsx_inode_info),
					       0, SLAB_RECLAIM_ACCOUNT |
					       SLAB_MEM_SPREAD | SLAB_ACCOUNT,
					       ocfsx_inode_once);
	if (!ocfsx_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&ocfsx_fs_type);
	if (err)
		kmem_cache_destroy(ocfsx_inode_cachep);
	return err;
}

void ocfsx_fs_exit(void)
{
	unregister_filesystem(&ocfsx_fs_type);
	rcu_barrier();
	kmem_cache_destroy(ocfsx_inode_cachep);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata block I/O: every block read is verified (magic, type, self
 * reference, fs generation, CRC-32C, owner) before anyone parses it, and
 * corruption is reported with inode and block and handled per errors=.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/crc32c.h>
#include <linux/kernel.h>
#include <linux/printk.h>

#include "ocfsx.h"

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
	if (le32_to_cpu(h->bh_crc32c) !=
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

/* Outside the journal (slot map at M1, superblock): checksum, write, wait. */
int ocfsx_write_meta_sync(struct super_block *sb, struct buffer_head *bh,
			  u16 type)
{
	int err;

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
 * errors= policy. The volume is also marked for fsck.
 */
void __ocfsx_error(struct super_block *sb, const char *func,
		   const char *fmt, ...)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	unsigned int policy = sbi->opts.errors;
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("%s: corruption in %s: %pV; run fsck.ocfsx\n", sbi->dev_name,
	       func, &vaf);
	va_end(args);

	if (policy == OCFSX_ERRORS_PANIC)
		panic("ocfsx: %s: corruption with errors=panic\n",
		      sbi->dev_name);
	if (policy == OCFSX_ERRORS_REMOUNT_RO && !sb_rdonly(sb)) {
		pr_crit("%s: remounting read-only (errors=remount-ro)\n",
			sbi->dev_name);
		if (sbi->journal)
			jbd2_journal_abort(sbi->journal, -EIO);
		sb->s_flags |= SB_RDONLY;
	}
}

/*
 * Compile-and-run check of the on-disk format header: including it evaluates
 * every static assert; running it prints each structure's size and checks the
 * reference checksum and hash against their published test vectors.
 * Build: gcc -std=c11 -Wall -Wextra -Werror -pedantic tests/format_header_check.c
 */
#include <stdio.h>
#include <string.h>

#include "../kernel/uapi/ocfsx_fs.h"

#define SHOW(type) printf("%-32s %4zu\n", "struct " #type, sizeof(struct type))

int main(void)
{
	static const unsigned char check[] = "123456789";
	unsigned char key[16], msg[15], block[512];
	unsigned long long k0 = 0, k1 = 0;
	char name[32];
	unsigned int i;
	int failed = 0;

	SHOW(ocfsx_block_header);
	SHOW(ocfsx_cluster_info);
	SHOW(ocfsx_super_block);
	SHOW(ocfsx_inode);
	SHOW(ocfsx_extent_hdr);
	SHOW(ocfsx_extent);
	SHOW(ocfsx_extent_block);
	SHOW(ocfsx_chain_table);
	SHOW(ocfsx_chain_entry);
	SHOW(ocfsx_group_run);
	SHOW(ocfsx_group_desc);
	SHOW(ocfsx_local_alloc);
	SHOW(ocfsx_dealloc_log);
	SHOW(ocfsx_dealloc_rec);
	SHOW(ocfsx_dir_entry);
	SHOW(ocfsx_dir_trailer);
	SHOW(ocfsx_dx_entry);
	SHOW(ocfsx_dx_node_hdr);
	SHOW(ocfsx_dx_root);
	SHOW(ocfsx_dx_node);
	SHOW(ocfsx_xattr_header);
	SHOW(ocfsx_xattr_entry);
	SHOW(ocfsx_xattr_value_root);
	SHOW(ocfsx_xattr_block);
	SHOW(ocfsx_slot_entry);
	SHOW(ocfsx_slot_map_block);
	SHOW(ocfsx_heartbeat_block);

	/* CRC-32C check value. */
	if ((ocfsx_crc32c_ref(OCFSX_CRC32C_INIT, check, 9) ^
	     OCFSX_CRC32C_XOROUT) != OCFSX_CRC32C_CHECK) {
		printf("FAIL crc32c check value\n");
		failed = 1;
	}

	/* Block checksum of a zeroed 512-byte inode-type block (docs example). */
	memset(block, 0, sizeof(block));
	printf("csum(512 zero bytes, field at 4) = 0x%08x\n",
	       (unsigned int)ocfsx_block_csum_ref(block, 512,
			ocfsx_csum_offset(OCFSX_BT_INODE, 512)));

	/* SipHash-2-4 reference vector: key 00..0f, message 00..0e. */
	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	for (i = 0; i < 8; i++) {
		k0 |= (unsigned long long)key[i] << (8 * i);
		k1 |= (unsigned long long)key[8 + i] << (8 * i);
	}
	if (ocfsx_dx_hash_ref(k0, k1, msg, 15) != 0xa129ca6149be45e5ULL) {
		printf("FAIL siphash-2-4 vector\n");
		failed = 1;
	}

	/* Fixed locations and a system file name. */
	if (ocfsx_super_blkno(12) != 16 || ocfsx_backup_sb_blkno(5, 12) != 268435456ULL ||
	    ocfsx_backup_sb_count(1ULL << 32, 12) != 6 ||
	    ocfsx_global_group_desc_blkno(0, 32000, 12, 12) != 17) {
		printf("FAIL fixed locations\n");
		failed = 1;
	}
	if (ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_JOURNAL, 3) != 12 ||
	    strcmp(name, "journal:0003") != 0) {
		printf("FAIL system file name\n");
		failed = 1;
	}

	printf("max file size at 4 KiB clusters: %llu bytes\n",
	       (unsigned long long)ocfsx_max_file_bytes(12));
	printf(failed ? "FAILED\n" : "OK\n");
	return failed;
}

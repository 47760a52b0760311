/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure parsing and validation helpers for the node manager's configfs
 * attributes and directory names. None of them takes a lock, allocates or
 * logs: the caller decides what to say about a refused value.
 *
 * Every value parser takes the raw buffer of a configfs write (not
 * necessarily NUL terminated) and its length, and accepts exactly one
 * optional trailing newline, which is what echo(1) appends.
 */
#ifndef OCFSX_NM_PARSE_H
#define OCFSX_NM_PARSE_H

#include <linux/types.h>

#define OCFSX_CLUSTER_NAME_MAX	16
#define OCFSX_NODE_NAME_MAX	64
#define OCFSX_REGION_NAME_MAX	64
#define OCFSX_DEV_PATH_MAX	255

/* Length of the value once a single trailing newline is dropped. */
size_t ocfsx_value_len(const char *buf, size_t len);

/* Unsigned decimal: digits only, no sign, no spaces, no base prefix. */
int ocfsx_parse_u64(const char *buf, size_t len, u64 *out);
/* As above, and within [min, max]: -ERANGE when well formed but outside. */
int ocfsx_parse_u32_range(const char *buf, size_t len, u32 min, u32 max,
			  u32 *out);

/*
 * One of names[0..count-1], matched exactly (case sensitive): returns its
 * index, or -EINVAL.
 */
int ocfsx_parse_enum(const char *buf, size_t len,
		     const char *const *names, int count);

/*
 * A unicast IPv4 address as a dotted quad: four decimal octets 0..255,
 * without leading zeros (so "010" cannot be read as octal by one tool and
 * decimal by another). 0.x.x.x and 224.0.0.0 and above (multicast,
 * reserved, broadcast) are no node's address: -EADDRNOTAVAIL for those,
 * -EINVAL for a malformed quad.
 */
int ocfsx_parse_ipv4(const char *buf, size_t len, __be32 *out);

/*
 * An absolute path of 1..OCFSX_DEV_PATH_MAX printable characters; copies it,
 * NUL terminated, into out (at least OCFSX_DEV_PATH_MAX + 1 bytes).
 */
int ocfsx_parse_dev_path(const char *buf, size_t len, char *out);

/* Directory names (NUL terminated, from mkdir). */
bool ocfsx_valid_cluster_name(const char *name);
bool ocfsx_valid_node_name(const char *name);
bool ocfsx_valid_region_name(const char *name);

#endif /* OCFSX_NM_PARSE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interconnect wire format (docs/interconnect.md): frame header, handshake
 * payloads and the frame-header check. Plain C so that userspace test
 * programs (tests/guest/garbage_peer.c) build the same frames.
 */
#ifndef OCFSX_NET_WIRE_H
#define OCFSX_NET_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef u8 ocfsx_w8;
typedef __be16 ocfsx_wbe16;
typedef __be32 ocfsx_wbe32;
#else
#include <stdint.h>
typedef uint8_t ocfsx_w8;
typedef uint16_t ocfsx_wbe16;
typedef uint32_t ocfsx_wbe32;
#endif

/* "oxn1": every frame starts with it. */
#define OCFSX_NET_MAGIC			0x6f786e31u
#define OCFSX_NET_PROTO_VERSION		1
/* Largest payload a frame may carry; a longer length drops the connection. */
#define OCFSX_NET_MAX_PAYLOAD		16384u

/* Header flags. */
#define OCFSX_NET_F_REPLY		0x0001u

/* Types 0xff00 and above belong to the interconnect itself. */
#define OCFSX_NET_T_HELLO		0xff01u
#define OCFSX_NET_T_VERDICT		0xff02u
#define OCFSX_NET_T_KEEPALIVE		0xff03u
#define OCFSX_NET_T_PING		0xff10u	/* echo, for tests */
#define OCFSX_NET_T_RESERVED		0xff00u

/* All fields big-endian; 24 bytes. */
struct ocfsx_net_hdr {
	ocfsx_wbe32 magic;
	ocfsx_wbe16 type;
	ocfsx_wbe16 flags;
	ocfsx_wbe32 key;
	ocfsx_wbe32 len;	/* payload bytes after the header */
	ocfsx_wbe32 msg_id;
	ocfsx_wbe32 status;	/* replies: handler status (s32) */
};

#define OCFSX_NET_NAME_LEN	32
#define OCFSX_NET_NONCE_LEN	32
#define OCFSX_NET_MAC_LEN	32	/* HMAC-SHA256 */

/* Hello flags. */
#define OCFSX_NET_HELLO_KEY	0x0001u	/* sender has a cluster key */

/* Payload of OCFSX_NET_T_HELLO; version stays first in every version. */
struct ocfsx_net_hello {
	ocfsx_wbe32 version;
	ocfsx_wbe32 sender;
	ocfsx_wbe32 receiver;
	ocfsx_wbe32 heartbeat_interval_ms;
	ocfsx_wbe32 dead_threshold;
	ocfsx_wbe32 idle_timeout_ms;
	ocfsx_wbe32 keepalive_delay_ms;
	ocfsx_wbe32 flags;
	char cluster_name[OCFSX_NET_NAME_LEN];	/* NUL-padded */
	ocfsx_w8 nonce[OCFSX_NET_NONCE_LEN];
};

/*
 * OCFSX_NET_T_VERDICT: header status 0 and a MAC (OCFSX_NET_MAC_LEN bytes,
 * or none without a key) when the sender accepts our hello; a negative
 * status and a reason text (at most OCFSX_NET_REASON_MAX bytes) when not.
 */
#define OCFSX_NET_REASON_MAX	240

enum ocfsx_net_hdr_check {
	OCFSX_NET_HDR_OK,
	OCFSX_NET_HDR_BAD_MAGIC,
	OCFSX_NET_HDR_TOO_LONG,
	OCFSX_NET_HDR_BAD_FLAGS,
};

/* A big-endian 32-bit field read byte by byte, in host order. */
static inline unsigned int ocfsx_net_be32_get(const void *p)
{
	const ocfsx_w8 *b = (const ocfsx_w8 *)p;

	return ((unsigned int)b[0] << 24) | ((unsigned int)b[1] << 16) |
	       ((unsigned int)b[2] << 8) | b[3];
}

/* Checks a received header given as raw bytes (host-order result). */
static inline enum ocfsx_net_hdr_check
ocfsx_net_check_hdr(const void *raw)
{
	const ocfsx_w8 *b = (const ocfsx_w8 *)raw;
	unsigned int flags = ((unsigned int)b[6] << 8) | b[7];

	if (ocfsx_net_be32_get(b) != OCFSX_NET_MAGIC)
		return OCFSX_NET_HDR_BAD_MAGIC;
	if (ocfsx_net_be32_get(b + 12) > OCFSX_NET_MAX_PAYLOAD)
		return OCFSX_NET_HDR_TOO_LONG;
	if (flags & ~OCFSX_NET_F_REPLY)
		return OCFSX_NET_HDR_BAD_FLAGS;
	return OCFSX_NET_HDR_OK;
}

#endif /* OCFSX_NET_WIRE_H */

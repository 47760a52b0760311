// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and validation of node manager values and names. Kept free of
 * configfs and locking so the rules live in one small, obvious place.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "nm_parse.h"

size_t ocfsx_value_len(const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	return len;
}

int ocfsx_parse_u64(const char *buf, size_t len, u64 *out)
{
	u64 v = 0;
	size_t i;

	len = ocfsx_value_len(buf, len);
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		d = buf[i] - '0';
		if (v > (U64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int ocfsx_parse_u32_range(const char *buf, size_t len, u32 min, u32 max,
			  u32 *out)
{
	u64 v;
	int ret;

	ret = ocfsx_parse_u64(buf, len, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ocfsx_parse_enum(const char *buf, size_t len,
		     const char *const *names, int count)
{
	int i;

	len = ocfsx_value_len(buf, len);
	for (i = 0; i < count; i++) {
		if (strlen(names[i]) == len && !memcmp(names[i], buf, len))
			return i;
	}
	return -EINVAL;
}

int ocfsx_parse_ipv4(const char *buf, size_t len, __be32 *out)
{
	unsigned int octet[4];
	unsigned int part = 0, digits = 0, v = 0;
	size_t i;

	len = ocfsx_value_len(buf, len);
	for (i = 0; i <= len; i++) {
		char c = i < len ? buf[i] : '.';

		if (c >= '0' && c <= '9') {
			/* No leading zeros: "0" alone is fine, "01" is not. */
			if (digits == 1 && v == 0)
				return -EINVAL;
			if (++digits > 3)
				return -EINVAL;
			v = v * 10 + (c - '0');
			continue;
		}
		if (c != '.' || !digits || v > 255 || part == 4)
			return -EINVAL;
		octet[part++] = v;
		digits = 0;
		v = 0;
	}
	if (part != 4)
		return -EINVAL;
	if (octet[0] == 0 || octet[0] >= 224)
		return -EADDRNOTAVAIL;
	*out = cpu_to_be32(octet[0] << 24 | octet[1] << 16 |
			   octet[2] << 8 | octet[3]);
	return 0;
}

int ocfsx_parse_dev_path(const char *buf, size_t len, char *out)
{
	size_t i;

	len = ocfsx_value_len(buf, len);
	if (!len || len > OCFSX_DEV_PATH_MAX || buf[0] != '/')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		/* Printable ASCII only: no NUL, newline or other controls. */
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -EINVAL;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

static bool name_chars_ok(const char *name, size_t max, const char *extra)
{
	size_t len = strnlen(name, max + 1);
	size_t i;

	if (!len || len > max)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (!strchr(extra, c))
			return false;
	}
	return true;
}

bool ocfsx_valid_cluster_name(const char *name)
{
	/* The first character must be a letter or digit. */
	if (!name_chars_ok(name, OCFSX_CLUSTER_NAME_MAX, "-_"))
		return false;
	return name[0] != '-' && name[0] != '_';
}

bool ocfsx_valid_node_name(const char *name)
{
	return name_chars_ok(name, OCFSX_NODE_NAME_MAX, "._-");
}

bool ocfsx_valid_region_name(const char *name)
{
	return name_chars_ok(name, OCFSX_REGION_NAME_MAX, "_-");
}

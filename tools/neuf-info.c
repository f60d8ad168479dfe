// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-info: list the neuf GPUs and their parameters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xf86drm.h>

#include "libneuf.h"

static void print_value(uint32_t param, uint64_t value)
{
	switch (param) {
	case NEUF_PARAM_CHIP_ID:
		printf("%#" PRIx64 "\n", value);
		break;
	case NEUF_PARAM_CHIP_REVISION:
		printf("%" PRIu64 ".%" PRIu64 "\n", value >> 16, value & 0xffff);
		break;
	case NEUF_PARAM_PAGE_SIZES:
		for (unsigned int bit = 0; bit < 64; bit++) {
			if (!(value & (1ull << bit)))
				continue;
			if (bit >= 30)
				printf("%lluG ", 1ull << (bit - 30));
			else if (bit >= 20)
				printf("%lluM ", 1ull << (bit - 20));
			else if (bit >= 10)
				printf("%lluK ", 1ull << (bit - 10));
			else
				printf("%lluB ", 1ull << bit);
		}
		printf("\n");
		break;
	default:
		printf("%" PRIu64 "\n", value);
		break;
	}
}

static int print_device(unsigned int index)
{
	struct neuf_device *dev;
	drmVersionPtr version;
	int ret;

	ret = neuf_device_open(index, &dev);
	if (ret)
		return ret;

	version = drmGetVersion(neuf_device_fd(dev));
	printf("neuf GPU %u: %s\n", index, neuf_device_node(dev));
	if (version) {
		printf("  driver: %s %d.%d.%d (%s)\n", version->name,
		       version->version_major, version->version_minor,
		       version->version_patchlevel, version->desc);
		drmFreeVersion(version);
	}
	for (uint32_t p = NEUF_PARAM_FIRST; p <= NEUF_PARAM_LAST; p++) {
		uint64_t value;

		ret = neuf_getparam(dev, p, &value);
		if (ret) {
			printf("  %-21s error: %s\n", neuf_param_name(p),
			       strerror(-ret));
			continue;
		}
		printf("  %-21s ", neuf_param_name(p));
		print_value(p, value);
	}
	neuf_device_close(dev);
	return 0;
}

int main(void)
{
	int count = neuf_device_count();

	if (count < 0) {
		fprintf(stderr, "neuf-info: listing DRM devices: %s\n",
			strerror(-count));
		return 1;
	}
	if (count == 0) {
		fprintf(stderr, "neuf-info: no neuf GPU (is neuf.ko loaded?)\n");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		int ret = print_device((unsigned int)i);

		if (ret) {
			fprintf(stderr, "neuf-info: GPU %d: %s\n", i,
				strerror(-ret));
			return 1;
		}
	}
	return 0;
}

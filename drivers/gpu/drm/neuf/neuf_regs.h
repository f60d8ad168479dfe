/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Register map of the neuf virtual GPU: the contract between the driver and
 * the hardware model. Documented in Documentation/gpu/neuf/hardware.rst.
 */
#ifndef __NEUF_REGS_H__
#define __NEUF_REGS_H__

#include <linux/bits.h>

/* Identification and capabilities (read-only) */
#define NEUF_REG_ID			0x0000
#define   NEUF_ID_VALUE			0x4e455546	/* "NEUF" */
#define NEUF_REG_REVISION		0x0004
#define   NEUF_REVISION_MAJOR		GENMASK(31, 16)
#define   NEUF_REVISION_MINOR		GENMASK(15, 0)
#define NEUF_REG_ENGINES		0x0008
#define NEUF_REG_VA_BITS		0x000c
#define NEUF_REG_PAGE_SIZES		0x0010
#define NEUF_REG_FAULT_BUF_ENTRIES	0x0014

/* Read/write scratch register, for bus sanity checks */
#define NEUF_REG_SCRATCH		0x0020

/* Size of the register window; reads outside return all ones */
#define NEUF_REG_WINDOW_SIZE		0x1000

#endif /* __NEUF_REGS_H__ */

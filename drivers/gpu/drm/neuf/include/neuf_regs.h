/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Register map and memory formats of the neuf virtual GPU: the contract
 * between the driver and the hardware model. Documented in
 * Documentation/gpu/neuf/hardware.rst.
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
#define NEUF_REG_INSTANCES		0x0018	/* VM instance slots */
#define NEUF_REG_WAVE_CONFIG		0x001c
#define   NEUF_WAVE_CONFIG_LANES	GENMASK(15, 0)	/* lanes per wave */
#define   NEUF_WAVE_CONFIG_WAVES	GENMASK(31, 16)	/* resident waves per engine */

/* Read/write scratch register, for bus sanity checks */
#define NEUF_REG_SCRATCH		0x0020

/* Revision 1.2: device memory (VRAM), in MiB, a multiple of 2; 0: none */
#define NEUF_REG_VRAM_SIZE		0x0024
/* Revision 1.2: optional features */
#define NEUF_REG_FEATURES		0x0028
#define   NEUF_FEATURE_SYSMEM_ATOMICS	BIT(0)	/* coherent system atomics */

/* Interrupts: STATUS is write-one-to-clear, ENABLE masks delivery */
#define NEUF_REG_INTR_STATUS		0x0040
#define NEUF_REG_INTR_ENABLE		0x0044
#define   NEUF_INTR_FAULT		BIT(0)	/* fault buffer not empty */
#define   NEUF_INTR_COPY		BIT(1)	/* copy command ended (1.2) */
#define   NEUF_INTR_ENGINE(n)		BIT(8 + (n))	/* dispatch ended */
#define   NEUF_INTR_ENGINE_MASK		GENMASK(15, 8)

/* MMU: instance (address space) binding */
#define NEUF_REG_INST_ROOT_LO		0x0100	/* root page table, DMA address */
#define NEUF_REG_INST_ROOT_HI		0x0104
#define NEUF_REG_INST_BIND		0x0108	/* write: bind or unbind */
#define   NEUF_INST_BIND_ID		GENMASK(7, 0)
#define   NEUF_INST_BIND_ENABLE		BIT(31)

/* MMU: TLB invalidation of a VA range [START, END) */
#define NEUF_REG_TLB_INV_START_LO	0x0120
#define NEUF_REG_TLB_INV_START_HI	0x0124
#define NEUF_REG_TLB_INV_END_LO		0x0128
#define NEUF_REG_TLB_INV_END_HI		0x012c
#define NEUF_REG_TLB_INV_CTRL		0x0130	/* write: trigger */
#define   NEUF_TLB_INV_INSTANCE		GENMASK(7, 0)
#define   NEUF_TLB_INV_ENGINES		GENMASK(23, 16)	/* engine mask */
#define NEUF_REG_TLB_INV_STATUS		0x0134
#define   NEUF_TLB_INV_PENDING		BIT(0)

/* Replayable fault buffer */
#define NEUF_REG_FB_BASE_LO		0x0200	/* DMA address, 4 KiB aligned */
#define NEUF_REG_FB_BASE_HI		0x0204
#define NEUF_REG_FB_SIZE		0x0208	/* entries, power of 2; 0: off */
#define NEUF_REG_FB_GET			0x020c	/* written by the driver */
#define NEUF_REG_FB_PUT			0x0210	/* written by the GPU */
#define NEUF_REG_FB_STATUS		0x0214	/* write-one-to-clear */
#define   NEUF_FB_STATUS_OVERFLOW	BIT(0)	/* an entry was dropped */

/* Fault commands: REPLAY, or CANCEL of the fault described by ARG/ADDR */
#define NEUF_REG_FAULT_CMD_ADDR_LO	0x0220
#define NEUF_REG_FAULT_CMD_ADDR_HI	0x0224
#define NEUF_REG_FAULT_CMD_ARG		0x0228
#define   NEUF_FAULT_CMD_ARG_INSTANCE	GENMASK(7, 0)
#define   NEUF_FAULT_CMD_ARG_ENGINE	GENMASK(15, 8)
#define   NEUF_FAULT_CMD_ARG_ACCESS	GENMASK(19, 16)
#define NEUF_REG_FAULT_CMD		0x022c	/* write: execute */
#define   NEUF_FAULT_CMD_REPLAY		1
#define   NEUF_FAULT_CMD_CANCEL		2

/*
 * Revision 1.2: the copy engine. A ring of commands in system memory
 * (DMA address, 4 KiB aligned); the driver advances PUT, the engine GET.
 */
#define NEUF_REG_CE_RING_BASE_LO	0x0300
#define NEUF_REG_CE_RING_BASE_HI	0x0304
#define NEUF_REG_CE_RING_SIZE		0x0308	/* entries, power of 2; 0: off */
#define NEUF_REG_CE_PUT			0x030c	/* written by the driver */
#define NEUF_REG_CE_GET			0x0310	/* written by the engine */
#define NEUF_REG_CE_DONE_SEQ		0x0314	/* SEQ of the last ended command */
#define NEUF_REG_CE_STATUS		0x0318
#define   NEUF_CE_STATUS_ERROR		BIT(0)	/* write-one-to-clear */
#define NEUF_REG_CE_ERROR_SEQ		0x031c	/* SEQ of the last failed command */
#define NEUF_REG_CE_RING_MAX		0x0320	/* largest RING_SIZE, read-only */

/* Copy command: 32 bytes, little-endian */
#define NEUF_COPY_CMD_SIZE		32
#define NEUF_COPY_CMD_SRC		0	/* u64: DMA address, VRAM offset, or fill value */
#define NEUF_COPY_CMD_DST		8	/* u64: DMA address or VRAM offset */
#define NEUF_COPY_CMD_LENGTH		16	/* u32: bytes, a multiple of 4 KiB */
#define NEUF_COPY_CMD_FLAGS		20	/* u32 */
#define   NEUF_COPY_SRC_VRAM		BIT(0)
#define   NEUF_COPY_DST_VRAM		BIT(1)
#define   NEUF_COPY_FILL		BIT(2)	/* SRC is a 64-bit pattern */
#define   NEUF_COPY_INTR		BIT(3)	/* raise INTR COPY when ended */
#define NEUF_COPY_CMD_SEQ		24	/* u32, reported in DONE_SEQ */
#define NEUF_COPY_MAX_LENGTH		0x200000	/* 2 MiB */

/* Compute engines: one block of registers per engine */
#define NEUF_REG_ENGINE_BASE		0x1000
#define NEUF_REG_ENGINE_STRIDE		0x100
#define NEUF_REG_ENGINE(n, reg)		(NEUF_REG_ENGINE_BASE + \
					 (n) * NEUF_REG_ENGINE_STRIDE + (reg))
#define NEUF_ENG_INSTANCE		0x00
#define NEUF_ENG_GRID			0x04	/* invocations, >= 1 */
#define NEUF_ENG_GROUP_SIZE		0x08	/* invocations per group, >= 1 */
#define NEUF_ENG_CODE_LO		0x10	/* address of the first insn */
#define NEUF_ENG_CODE_HI		0x14
#define NEUF_ENG_ARG_LO(i)		(0x20 + (i) * 8)	/* i < 8 */
#define NEUF_ENG_ARG_HI(i)		(0x24 + (i) * 8)
#define NEUF_ENG_SEQ			0x60	/* tag of the next dispatch */
#define NEUF_ENG_DOORBELL		0x64	/* write 1: start */
#define NEUF_ENG_STATUS			0x68
#define   NEUF_ENG_STATUS_BUSY		BIT(0)
#define NEUF_ENG_DONE_SEQ		0x6c	/* tag of the last ended dispatch */
#define NEUF_ENG_RESULT			0x70	/* how it ended */
#define   NEUF_ENG_RESULT_OK		0
#define   NEUF_ENG_RESULT_FAULT		1	/* a fault was cancelled */
#define   NEUF_ENG_RESULT_ILLEGAL	2	/* illegal instruction/access */
#define   NEUF_ENG_RESULT_ABORTED	3	/* engine reset */
#define   NEUF_ENG_RESULT_TIMEOUT	4	/* ran past WATCHDOG */
#define NEUF_ENG_FAULT_ADDR_LO		0x78
#define NEUF_ENG_FAULT_ADDR_HI		0x7c
#define NEUF_ENG_FAULT_ACCESS		0x80
#define NEUF_ENG_RESET			0x84	/* write 1: abort, go idle */
#define NEUF_ENG_WATCHDOG		0x88	/* ms of running time, 0: none */

/* Size of the register window; reads outside return all ones */
#define NEUF_REG_WINDOW_SIZE		0x2000

/*
 * Page table format: four levels of 512 64-bit entries in 4 KiB pages.
 * Level 3 (the root) is indexed by VA[47:39], level 2 by VA[38:30],
 * level 1 by VA[29:21] and level 0 by VA[20:12].
 */
#define NEUF_PT_LEVELS			4
#define NEUF_PT_ENTRIES			512
#define NEUF_PT_SHIFT(level)		(12 + 9 * (level))
#define NEUF_PT_INDEX(va, level)	(((va) >> NEUF_PT_SHIFT(level)) & 511)

#define NEUF_PTE_VALID			BIT_ULL(0)
#define NEUF_PTE_WRITABLE		BIT_ULL(1)
#define NEUF_PTE_ATOMIC			BIT_ULL(2)
#define NEUF_PTE_LEAF			BIT_ULL(3)	/* level 1: 2 MiB page */
#define NEUF_PTE_PS64K			BIT_ULL(4)	/* level 0: 64 KiB page */
#define NEUF_PTE_DIRTY			BIT_ULL(5)	/* leaf: written through */
#define NEUF_PTE_VRAM			BIT_ULL(6)	/* leaf: ADDR is a VRAM offset (1.2) */
#define NEUF_PTE_ADDR			GENMASK_ULL(51, 12)

/* Fault buffer entry: 32 bytes, little-endian */
#define NEUF_FAULT_ENTRY_SIZE		32
#define NEUF_FAULT_ENTRY_ADDR		0	/* u64, faulting VA */
#define NEUF_FAULT_ENTRY_TIMESTAMP	8	/* u64, ns */
#define NEUF_FAULT_ENTRY_INSTANCE	16	/* u32 */
#define NEUF_FAULT_ENTRY_ENGINE		20	/* u8 */
#define NEUF_FAULT_ENTRY_ACCESS		21	/* u8 */

/* Access types, in fault entries and NEUF_ENG_FAULT_ACCESS */
#define NEUF_ACCESS_READ		0	/* loads, instruction fetch */
#define NEUF_ACCESS_WRITE		1
#define NEUF_ACCESS_ATOMIC		2
#define NEUF_ACCESS_PREFETCH		3	/* never stalls */

#endif /* __NEUF_REGS_H__ */

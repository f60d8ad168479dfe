// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include <drm/drm_print.h>

#include "neuf_copy.h"
#include "neuf_drv.h"
#include "neuf_hw.h"
#include "neuf_regs.h"

/**
 * DOC: neuf copy engine
 *
 * Every byte that moves between system memory and VRAM moves through the
 * copy engine (hardware.rst, "Copy engine"): the driver never touches VRAM
 * itself. A submission writes its commands into the ring under
 * &neuf_copy.lock, the last one asking for an interrupt, and returns a
 * dma_fence that the interrupt handler signals once CE_DONE_SEQ has
 * reached that command; a command the engine refused (a driver bug: an
 * address that is not mapped, past VRAM) sets the fence's error to -EIO.
 * The caller maps the system pages for the GPU before submitting and
 * undoes the mappings only after the fence signalled, since until then
 * the engine may still reach them.
 *
 * Copies run beside the compute engines; the migration code waits for
 * their fences without holding any lock the invalidation path takes.
 */

struct neuf_copy_fence {
	struct dma_fence base;
	struct list_head link;
	u32 first;
	ktime_t submitted;
};

static const char *neuf_copy_fence_driver_name(struct dma_fence *fence)
{
	return NEUF_DRIVER_NAME;
}

static const char *neuf_copy_fence_timeline_name(struct dma_fence *fence)
{
	return "copy";
}

static const struct dma_fence_ops neuf_copy_fence_ops = {
	.get_driver_name = neuf_copy_fence_driver_name,
	.get_timeline_name = neuf_copy_fence_timeline_name,
};

/* @seq has ended once DONE_SEQ reached it, modulo 2^32. */
static bool neuf_copy_seq_done(u32 done, u32 seq)
{
	return (s32)(done - seq) >= 0;
}

/* Fail the pending fence whose commands include @seq, done or not. */
static void neuf_copy_fail(struct neuf_device *ndev, u32 seq)
{
	struct neuf_copy *ce = &ndev->copy;
	struct neuf_copy_fence *f;

	lockdep_assert_held(&ce->fence_lock);

	list_for_each_entry(f, &ce->pending, link) {
		if (neuf_copy_seq_done(seq, f->first) &&
		    neuf_copy_seq_done(lower_32_bits(f->base.seqno), seq)) {
			drm_err_ratelimited(&ndev->drm,
					    "copy command %u refused\n", seq);
			dma_fence_set_error(&f->base, -EIO);
			return;
		}
	}
}

/**
 * neuf_copy_irq() - handle the copy engine's interrupt
 * @ndev: the device
 *
 * Signals every pending fence whose last command has ended, with -EIO on
 * the one whose command failed, and wakes submitters waiting for room.
 *
 * Context: hard interrupt.
 */
void neuf_copy_irq(struct neuf_device *ndev)
{
	struct neuf_copy *ce = &ndev->copy;
	struct neuf_copy_fence *f, *tmp;
	u32 done, status, error_seq[2];
	ktime_t now = ktime_get();
	unsigned int errors = 0;

	/*
	 * DONE_SEQ first: the error of every command up to it is then in
	 * STATUS. Read the other way round, a command failing in between
	 * would count as done with no error, and its fence signal success.
	 */
	done = neuf_rd32(ndev, NEUF_REG_CE_DONE_SEQ);
	status = neuf_rd32(ndev, NEUF_REG_CE_STATUS);
	if (status & NEUF_CE_STATUS_ERROR) {
		error_seq[errors++] = neuf_rd32(ndev, NEUF_REG_CE_ERROR_SEQ);
		neuf_wr32(ndev, NEUF_REG_CE_STATUS, NEUF_CE_STATUS_ERROR);
		/*
		 * A command refused between the read and the clear lost its
		 * ERROR to the clear, not its SEQ: read it once more. (Of two
		 * refused in that window, the first is lost: hardware.rst.)
		 */
		error_seq[errors] = neuf_rd32(ndev, NEUF_REG_CE_ERROR_SEQ);
		if (error_seq[errors] != error_seq[0])
			errors++;
	}

	spin_lock(&ce->fence_lock);
	/*
	 * The refused command may be past DONE_SEQ as read: its fence keeps
	 * the error until the interrupt that finds it done.
	 */
	while (errors)
		neuf_copy_fail(ndev, error_seq[--errors]);
	list_for_each_entry_safe(f, tmp, &ce->pending, link) {
		if (!neuf_copy_seq_done(done, lower_32_bits(f->base.seqno)))
			break;
		list_del(&f->link);
		atomic64_add(ktime_to_ns(ktime_sub(now, f->submitted)),
			     &ce->busy_ns);
		dma_fence_signal_locked(&f->base);
		dma_fence_put(&f->base);
	}
	spin_unlock(&ce->fence_lock);
	wake_up_all(&ce->space_wq);
}

/* Free entries of the ring, as the engine's GET says. */
static u32 neuf_copy_space(struct neuf_device *ndev)
{
	struct neuf_copy *ce = &ndev->copy;
	u32 get = neuf_rd32(ndev, NEUF_REG_CE_GET);

	return ce->entries - 1 - ((ce->put - get) & (ce->entries - 1));
}

static bool neuf_copy_dead(struct neuf_copy *ce)
{
	unsigned long flags;
	bool dead;

	spin_lock_irqsave(&ce->fence_lock, flags);
	dead = ce->dead;
	spin_unlock_irqrestore(&ce->fence_lock, flags);
	return dead;
}

/**
 * neuf_copy_submit() - queue commands on the copy engine
 * @ndev: the device
 * @cmds: the commands, executed in order
 * @n: how many, 1 to %NEUF_COPY_MAX_CMDS
 *
 * Waits for room in the ring if need be; never for the commands.
 *
 * Context: process context; may sleep. Takes &neuf_copy.lock.
 * Return: a fence that signals once every command ended, to be put by the
 * caller; an ERR_PTR() of -EINVAL, -ENOMEM or -ENODEV (device gone).
 */
struct dma_fence *neuf_copy_submit(struct neuf_device *ndev,
				   const struct neuf_copy_cmd *cmds,
				   unsigned int n)
{
	struct neuf_copy *ce = &ndev->copy;
	struct neuf_copy_fence *f;
	unsigned long flags;
	unsigned int i;
	u64 bytes = 0;

	if (!n || n > NEUF_COPY_MAX_CMDS)
		return ERR_PTR(-EINVAL);
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&ce->lock);
	wait_event(ce->space_wq,
		   !ce->ring || neuf_copy_dead(ce) || neuf_copy_space(ndev) >= n);
	/*
	 * Woken by neuf_copy_fini(), there may be no room: the entries from
	 * GET to PUT are still the engine's. The ring goes under this lock.
	 */
	if (!ce->ring || neuf_copy_dead(ce)) {
		mutex_unlock(&ce->lock);
		kfree(f);
		return ERR_PTR(-ENODEV);
	}

	f->first = lower_32_bits(ce->seqno + 1);
	for (i = 0; i < n; i++) {
		__le64 *e = ce->ring + ce->put * NEUF_COPY_CMD_SIZE;
		u32 flags_i = cmds[i].flags;

		if (i == n - 1)
			flags_i |= NEUF_COPY_INTR;
		ce->seqno++;
		e[NEUF_COPY_CMD_SRC / 8] = cpu_to_le64(cmds[i].src);
		e[NEUF_COPY_CMD_DST / 8] = cpu_to_le64(cmds[i].dst);
		e[NEUF_COPY_CMD_LENGTH / 8] =
			cpu_to_le64(cmds[i].length | (u64)flags_i << 32);
		e[NEUF_COPY_CMD_SEQ / 8] = cpu_to_le64(lower_32_bits(ce->seqno));
		ce->put = (ce->put + 1) & (ce->entries - 1);
		bytes += cmds[i].length;
	}

	spin_lock_irqsave(&ce->fence_lock, flags);
	dma_fence_init(&f->base, &neuf_copy_fence_ops, &ce->fence_lock,
		       ce->fence_context, ce->seqno);
	if (ce->dead) {
		dma_fence_set_error(&f->base, -ENODEV);
		dma_fence_signal_locked(&f->base);
	} else {
		f->submitted = ktime_get();
		/* The interrupt handler holds a reference until it signals. */
		list_add_tail(&f->link, &ce->pending);
		dma_fence_get(&f->base);
		/* The commands are in memory before the PUT that starts them. */
		dma_wmb();
		neuf_wr32(ndev, NEUF_REG_CE_PUT, ce->put);
	}
	spin_unlock_irqrestore(&ce->fence_lock, flags);
	mutex_unlock(&ce->lock);

	atomic64_add(n, &ce->commands);
	atomic64_add(bytes, &ce->bytes);
	return &f->base;
}

/**
 * neuf_copy_run() - run commands on the copy engine and wait for them
 * @ndev: the device
 * @cmds: the commands
 * @n: how many, 1 to %NEUF_COPY_MAX_CMDS
 *
 * The wait is uninterruptible: the pages the commands reach must stay
 * mapped until the engine is done with them, and the engine always ends a
 * command in bounded time.
 *
 * Context: process context; may sleep.
 * Return: 0, -EIO if the engine refused a command, or an error of
 * neuf_copy_submit().
 */
int neuf_copy_run(struct neuf_device *ndev, const struct neuf_copy_cmd *cmds,
		  unsigned int n)
{
	struct dma_fence *fence = neuf_copy_submit(ndev, cmds, n);
	int ret;

	if (IS_ERR(fence))
		return PTR_ERR(fence);
	dma_fence_wait(fence, false);
	ret = fence->error;
	dma_fence_put(fence);
	return ret;
}

/*
 * Prove the engine and its interrupt work, both ways: fill the first page
 * of VRAM with a pattern, copy it into a system page, check it, and leave
 * VRAM as the reset left it, zeroed.
 */
static int neuf_copy_selftest(struct neuf_device *ndev)
{
	const u64 pattern = 0x6e6575662d636531ull;	/* "neuf-ce1" */
	struct device *dev = ndev->drm.dev;
	struct neuf_copy_cmd cmds[3] = {};
	dma_addr_t dma;
	__le64 *page;
	unsigned int i;
	int ret;

	page = (__le64 *)get_zeroed_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	dma = dma_map_single(dev, page, PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		free_page((unsigned long)page);
		return -ENOMEM;
	}

	cmds[0] = (struct neuf_copy_cmd){ .src = pattern, .dst = 0,
		.length = SZ_4K, .flags = NEUF_COPY_FILL | NEUF_COPY_DST_VRAM };
	cmds[1] = (struct neuf_copy_cmd){ .src = 0, .dst = dma,
		.length = SZ_4K, .flags = NEUF_COPY_SRC_VRAM };
	cmds[2] = (struct neuf_copy_cmd){ .src = 0, .dst = 0,
		.length = SZ_4K, .flags = NEUF_COPY_FILL | NEUF_COPY_DST_VRAM };
	ret = neuf_copy_run(ndev, cmds, ARRAY_SIZE(cmds));
	dma_unmap_single(dev, dma, PAGE_SIZE, DMA_FROM_DEVICE);
	for (i = 0; !ret && i < SZ_4K / sizeof(*page); i++) {
		if (le64_to_cpu(page[i]) != pattern) {
			drm_err(&ndev->drm, "copy engine self-test: word %u is %#llx\n",
				i, le64_to_cpu(page[i]));
			ret = -EIO;
		}
	}
	free_page((unsigned long)page);
	return ret;
}

/**
 * neuf_copy_init() - allocate and program the copy ring, and test it
 * @ndev: the device, its interrupt enabled for %NEUF_INTR_COPY
 *
 * Hardware without VRAM needs no copy engine: nothing is set up.
 *
 * Return: 0 or a negative errno.
 */
int neuf_copy_init(struct neuf_device *ndev)
{
	struct neuf_copy *ce = &ndev->copy;
	u32 max = neuf_rd32(ndev, NEUF_REG_CE_RING_MAX);
	int ret;

	mutex_init(&ce->lock);
	spin_lock_init(&ce->fence_lock);
	INIT_LIST_HEAD(&ce->pending);
	init_waitqueue_head(&ce->space_wq);
	if (!ndev->caps.vram_size)
		return 0;

	ce->entries = min_t(u32, NEUF_COPY_RING_ENTRIES, max);
	if (!is_power_of_2(ce->entries) || ce->entries <= NEUF_COPY_MAX_CMDS) {
		drm_err(&ndev->drm, "copy ring of %u entries is too small\n", max);
		return -ENODEV;
	}
	ce->ring = dma_alloc_coherent(ndev->drm.dev,
				      ce->entries * NEUF_COPY_CMD_SIZE,
				      &ce->ring_dma, GFP_KERNEL);
	if (!ce->ring)
		return -ENOMEM;
	ce->fence_context = dma_fence_context_alloc(1);
	ce->put = 0;

	neuf_wr32(ndev, NEUF_REG_CE_RING_SIZE, 0);
	neuf_wr32(ndev, NEUF_REG_CE_STATUS, ~0u);
	neuf_wr32(ndev, NEUF_REG_CE_RING_BASE_LO, lower_32_bits(ce->ring_dma));
	neuf_wr32(ndev, NEUF_REG_CE_RING_BASE_HI, upper_32_bits(ce->ring_dma));
	neuf_wr32(ndev, NEUF_REG_CE_RING_SIZE, ce->entries);

	ret = neuf_copy_selftest(ndev);
	if (ret) {
		drm_err(&ndev->drm, "copy engine self-test failed: %d\n", ret);
		neuf_copy_fini(ndev);
	}
	return ret;
}

/**
 * neuf_copy_fini() - stop the copy engine and free its ring
 * @ndev: the device
 *
 * Every submission has been waited for by then (migrations wait for their
 * copies before they return); a submission that comes later fails.
 */
void neuf_copy_fini(struct neuf_device *ndev)
{
	struct neuf_copy *ce = &ndev->copy;
	unsigned long flags;

	spin_lock_irqsave(&ce->fence_lock, flags);
	ce->dead = true;
	spin_unlock_irqrestore(&ce->fence_lock, flags);
	wake_up_all(&ce->space_wq);

	mutex_lock(&ce->lock);
	if (ce->ring) {
		struct neuf_copy_fence *f, *tmp;

		/* Only if the hardware stopped answering: fail what is left. */
		spin_lock_irqsave(&ce->fence_lock, flags);
		list_for_each_entry_safe(f, tmp, &ce->pending, link) {
			list_del(&f->link);
			dma_fence_set_error(&f->base, -ENODEV);
			dma_fence_signal_locked(&f->base);
			dma_fence_put(&f->base);
		}
		spin_unlock_irqrestore(&ce->fence_lock, flags);
		neuf_wr32(ndev, NEUF_REG_CE_RING_SIZE, 0);
		dma_free_coherent(ndev->drm.dev,
				  ce->entries * NEUF_COPY_CMD_SIZE, ce->ring,
				  ce->ring_dma);
		ce->ring = NULL;
	}
	mutex_unlock(&ce->lock);
}

// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/regmap.h>

#include "neuf_model.h"
#include "neuf_regs.h"

/**
 * DOC: neuf virtual GPU devices
 *
 * neuf_vgpu.ko is the neuf GPU's silicon. For each of its ``num_devices``
 * GPUs (module parameter, default 1) it registers a platform device
 * ``neuf-vgpu.N``, the chip, and binds its own chip driver to it, the way
 * a multi-function device's core driver stands up its cells. Probing the
 * chip powers on a hardware model (neuf_model.c) and gives the chip:
 *
 * - its register window: a regmap over the model's register file, on the
 *   chip's device. Its bus is the model's 32-bit read and write, so every
 *   register access is traced by regmap's tracepoints and the window can
 *   be dumped from debugfs (``regmap/neuf-vgpu.N-regs/registers``).
 * - its interrupt line: interrupt N of the ``neuf-vgpu`` interrupt domain,
 *   a real Linux interrupt, raised by the model in hard interrupt context
 *   (from a thread on PREEMPT_RT, where the driver's handler is threaded).
 * - its GPU function: a child platform device ``neuf.N`` with the
 *   interrupt as its one resource and a 64-bit DMA mask. The model reaches
 *   memory only through DMA addresses of this device, translated as the
 *   DMA direct mapping defines them.
 *
 * The DRM driver, neuf.ko, binds to ``neuf.N`` as to any platform device:
 * it finds the register window with ``dev_get_regmap(dev->parent, NULL)``,
 * as an MFD cell finds its parent's, and the interrupt with
 * platform_get_irq(). Beyond the register map (neuf_regs.h) and the ISA
 * (neuf_isa.h) it shares nothing with this module and calls none of its
 * functions, and this module includes none of the driver's headers.
 *
 * Lifetime: while a driver is bound to a GPU function this module holds a
 * reference on itself, so ``rmmod neuf_vgpu`` fails as "in use" until the
 * driver has let go of every GPU (``rmmod neuf``); silicon does not vanish
 * from under its driver. Unloading then unregisters the chips: each GPU
 * function goes first, then the register window, then the model, which
 * stops its engines and raises no interrupt after that.
 */

#define NEUF_VGPU_NAME		"neuf-vgpu"
#define NEUF_VGPU_MAX_DEVICES	8

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices,
		 "Number of virtual GPUs (default 1, at most "
		 __stringify(NEUF_VGPU_MAX_DEVICES) ")");

static bool sysmem_atomics = true;
module_param(sysmem_atomics, bool, 0444);
MODULE_PARM_DESC(sysmem_atomics,
		 "Atomics on system memory are coherent with the CPUs and need no ATOMIC permission in the page table (default on)");

static unsigned int vram_mib = 256;
module_param(vram_mib, uint, 0444);
MODULE_PARM_DESC(vram_mib,
		 "Device memory of each virtual GPU in MiB, a multiple of 2, at most 16384; 0 for none (default 256)");

/**
 * struct neuf_vgpu - one virtual GPU chip, ``neuf-vgpu.N``
 * @model: the hardware model behind the register window
 * @hwirq: the chip's interrupt line in &neuf_vgpu_domain
 */
struct neuf_vgpu {
	struct neuf_model *model;
	irq_hw_number_t hwirq;
};

/* One interrupt line per chip: line N is chip N's. */
static struct irq_domain *neuf_vgpu_domain;
static struct platform_device *neuf_vgpu_chips[NEUF_VGPU_MAX_DEVICES];

/* The register window as a regmap bus: 32-bit registers, no side effects on read. */
static int neuf_vgpu_reg_read(void *context, unsigned int reg,
			      unsigned int *val)
{
	*val = neuf_model_read32(context, reg);
	return 0;
}

static int neuf_vgpu_reg_write(void *context, unsigned int reg,
			       unsigned int val)
{
	neuf_model_write32(context, reg, val);
	return 0;
}

static const struct regmap_bus neuf_vgpu_regmap_bus = {
	.fast_io = true,
	.reg_read = neuf_vgpu_reg_read,
	.reg_write = neuf_vgpu_reg_write,
};

/*
 * Every register may be accessed in atomic context (the driver's interrupt
 * handler, its non-blockable invalidation): a spinlock, and no cache, since
 * most registers change under the driver's feet.
 */
static const struct regmap_config neuf_vgpu_regmap_config = {
	.name = "regs",
	.reg_bits = 32,
	.val_bits = 32,
	.reg_stride = 4,
	.max_register = NEUF_REG_WINDOW_SIZE - 4,
	.fast_io = true,
	.cache_type = REGCACHE_NONE,
};

/*
 * The model's interrupt output: in hard interrupt context, or in the
 * irq_work thread on PREEMPT_RT, whence the _safe variant, which runs the
 * flow handler with interrupts disabled in either.
 */
static void neuf_vgpu_raise(void *data)
{
	struct neuf_vgpu *vgpu = data;

	generic_handle_domain_irq_safe(neuf_vgpu_domain, vgpu->hwirq);
}

/*
 * The interrupt controller is the model's INTR_ENABLE register, which the
 * driver programs itself: the chip's line has nothing more to mask.
 */
static void neuf_vgpu_irq_noop(struct irq_data *d)
{
}

static struct irq_chip neuf_vgpu_irq_chip = {
	.name = NEUF_VGPU_NAME,
	.irq_mask = neuf_vgpu_irq_noop,
	.irq_unmask = neuf_vgpu_irq_noop,
};

static int neuf_vgpu_irq_map(struct irq_domain *d, unsigned int virq,
			     irq_hw_number_t hwirq)
{
	irq_set_chip_and_handler(virq, &neuf_vgpu_irq_chip, handle_simple_irq);
	irq_set_noprobe(virq);
	return 0;
}

static const struct irq_domain_ops neuf_vgpu_irq_ops = {
	.map = neuf_vgpu_irq_map,
};

static void neuf_vgpu_model_release(void *model)
{
	neuf_model_destroy(model);
}

static void neuf_vgpu_irq_release(void *data)
{
	irq_dispose_mapping((unsigned long)data);
}

static void neuf_vgpu_function_put(void *function)
{
	platform_device_put(function);
}

static void neuf_vgpu_function_del(void *function)
{
	platform_device_del(function);
}

/*
 * The chip's GPU function, ``neuf.N``, with its interrupt and a 64-bit DMA
 * mask: allocated first, since the model translates the DMA addresses of
 * its device, and added last, once the register window is there.
 */
static struct platform_device *
neuf_vgpu_alloc_function(struct platform_device *chip, unsigned int virq)
{
	struct resource res = DEFINE_RES_IRQ(virq);
	struct platform_device *function;
	int ret;

	function = platform_device_alloc("neuf", chip->id);
	if (!function)
		return ERR_PTR(-ENOMEM);
	function->dev.parent = &chip->dev;
	function->platform_dma_mask = DMA_BIT_MASK(64);
	function->dev.dma_mask = &function->platform_dma_mask;
	function->dev.coherent_dma_mask = DMA_BIT_MASK(64);
	ret = platform_device_add_resources(function, &res, 1);
	if (ret) {
		platform_device_put(function);
		return ERR_PTR(ret);
	}
	return function;
}

/*
 * Power on a chip. Everything is device-managed, so that unbinding undoes
 * it in reverse: the GPU function goes (its driver unbinds), then the
 * register window, then the model (no interrupt and no memory access after
 * it), then the interrupt line.
 */
static int neuf_vgpu_probe(struct platform_device *pdev)
{
	struct neuf_model_config config = {
		.vram_size = (u64)vram_mib << 20,
		.sysmem_atomics = sysmem_atomics,
	};
	struct device *dev = &pdev->dev;
	struct platform_device *function;
	struct neuf_vgpu *vgpu;
	struct regmap *regs;
	unsigned int virq;
	int ret;

	vgpu = devm_kzalloc(dev, sizeof(*vgpu), GFP_KERNEL);
	if (!vgpu)
		return -ENOMEM;
	vgpu->hwirq = pdev->id;

	virq = irq_create_mapping(neuf_vgpu_domain, vgpu->hwirq);
	if (!virq)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, neuf_vgpu_irq_release,
				       (void *)(unsigned long)virq);
	if (ret)
		return ret;

	function = neuf_vgpu_alloc_function(pdev, virq);
	if (IS_ERR(function))
		return PTR_ERR(function);
	ret = devm_add_action_or_reset(dev, neuf_vgpu_function_put, function);
	if (ret)
		return ret;

	vgpu->model = neuf_model_create(&function->dev, &config,
					neuf_vgpu_raise, vgpu);
	if (IS_ERR(vgpu->model))
		return PTR_ERR(vgpu->model);
	ret = devm_add_action_or_reset(dev, neuf_vgpu_model_release,
				       vgpu->model);
	if (ret)
		return ret;

	regs = devm_regmap_init(dev, &neuf_vgpu_regmap_bus, vgpu->model,
				&neuf_vgpu_regmap_config);
	if (IS_ERR(regs))
		return dev_err_probe(dev, PTR_ERR(regs),
				     "cannot set up the register window\n");

	ret = platform_device_add(function);
	if (ret)
		return dev_err_probe(dev, ret,
				     "cannot register the GPU function\n");
	return devm_add_action_or_reset(dev, neuf_vgpu_function_del, function);
}

static struct platform_driver neuf_vgpu_driver = {
	.probe = neuf_vgpu_probe,
	.driver = {
		.name = NEUF_VGPU_NAME,
		/* The chip stays powered while its module is loaded. */
		.suppress_bind_attrs = true,
	},
};

/*
 * A driver bound to a GPU function pins this module (DOC: neuf virtual GPU
 * devices). Binding and unbinding notifications come in pairs, so the
 * reference count follows the bound functions exactly.
 */
static int neuf_vgpu_bus_notify(struct notifier_block *nb,
				unsigned long action, void *data)
{
	struct device *dev = data;

	if (!dev->parent || dev->parent->driver != &neuf_vgpu_driver.driver)
		return NOTIFY_DONE;

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		__module_get(THIS_MODULE);
		return NOTIFY_OK;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		module_put(THIS_MODULE);
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static struct notifier_block neuf_vgpu_bus_nb = {
	.notifier_call = neuf_vgpu_bus_notify,
};

static void neuf_vgpu_chips_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(neuf_vgpu_chips); i++) {
		if (neuf_vgpu_chips[i])
			platform_device_unregister(neuf_vgpu_chips[i]);
		neuf_vgpu_chips[i] = NULL;
	}
}

static int __init neuf_vgpu_init(void)
{
	struct fwnode_handle *fwnode;
	unsigned int i;
	int ret;

	if (!num_devices || num_devices > NEUF_VGPU_MAX_DEVICES) {
		pr_err("neuf_vgpu: num_devices must be 1 to %u\n",
		       NEUF_VGPU_MAX_DEVICES);
		return -EINVAL;
	}
	if (vram_mib % 2 || vram_mib > 16384) {
		pr_err("neuf_vgpu: vram_mib must be a multiple of 2, at most 16384\n");
		return -EINVAL;
	}

	fwnode = irq_domain_alloc_named_fwnode(NEUF_VGPU_NAME);
	if (!fwnode)
		return -ENOMEM;
	neuf_vgpu_domain = irq_domain_create_linear(fwnode, num_devices,
						    &neuf_vgpu_irq_ops, NULL);
	if (!neuf_vgpu_domain) {
		ret = -ENOMEM;
		goto err_fwnode;
	}

	ret = bus_register_notifier(&platform_bus_type, &neuf_vgpu_bus_nb);
	if (ret)
		goto err_domain;
	ret = platform_driver_register(&neuf_vgpu_driver);
	if (ret)
		goto err_notifier;

	for (i = 0; i < num_devices; i++) {
		struct platform_device *chip;

		chip = platform_device_register_simple(NEUF_VGPU_NAME, i,
						       NULL, 0);
		if (IS_ERR(chip)) {
			ret = PTR_ERR(chip);
			goto err_chips;
		}
		neuf_vgpu_chips[i] = chip;
		/* A chip that does not power on is an error, not a missing GPU. */
		if (!READ_ONCE(chip->dev.driver)) {
			ret = -ENODEV;
			goto err_chips;
		}
	}
	return 0;

err_chips:
	neuf_vgpu_chips_unregister();
	platform_driver_unregister(&neuf_vgpu_driver);
err_notifier:
	bus_unregister_notifier(&platform_bus_type, &neuf_vgpu_bus_nb);
err_domain:
	irq_domain_remove(neuf_vgpu_domain);
err_fwnode:
	irq_domain_free_fwnode(fwnode);
	return ret;
}

static void __exit neuf_vgpu_exit(void)
{
	struct fwnode_handle *fwnode = neuf_vgpu_domain->fwnode;

	neuf_vgpu_chips_unregister();
	platform_driver_unregister(&neuf_vgpu_driver);
	bus_unregister_notifier(&platform_bus_type, &neuf_vgpu_bus_nb);
	irq_domain_remove(neuf_vgpu_domain);
	irq_domain_free_fwnode(fwnode);
}

module_init(neuf_vgpu_init);
module_exit(neuf_vgpu_exit);

MODULE_AUTHOR("The neuf authors");
MODULE_DESCRIPTION("neuf virtual GPU: the hardware neuf.ko drives");
MODULE_LICENSE("Dual MIT/GPL");

// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The kernels of svm_backend.h (enum svm_kernel) for NVIDIA GPUs, built by
 * nvcc into a fatbin that svm_backend_cuda.c loads with the CUDA driver
 * API. They take plain pointers into process memory (malloc, mmap, the
 * stack): the GPU reaches it through HMM, as neuf's shaders do through
 * neuf's SVM. Every kernel has the same parameters, the grid size and
 * four 64-bit arguments, as neuf's dispatches have; invocation i is
 * blockIdx.x * blockDim.x + threadIdx.x, and those past the grid return.
 */
#include <stdint.h>

#define KERNEL(name)                                                        \
	extern "C" __global__ void name(uint32_t grid, uint64_t a0,         \
					uint64_t a1, uint64_t a2, uint64_t a3)

__device__ static inline uint32_t invocation(void)
{
	return blockIdx.x * blockDim.x + threadIdx.x;
}

#define BODY_PROLOGUE                                                       \
	uint32_t i = invocation();                                          \
	(void)a0; (void)a1; (void)a2; (void)a3;                             \
	if (i >= grid)                                                      \
		return

KERNEL(svm_fill)
{
	BODY_PROLOGUE;
	((uint32_t *)a0)[i] = (uint32_t)a1 + i;
}

KERNEL(svm_copy)
{
	BODY_PROLOGUE;
	((uint32_t *)a1)[i] = ((const uint32_t *)a0)[i];
}

KERNEL(svm_rmw)
{
	BODY_PROLOGUE;
	((uint32_t *)a0)[i] += (uint32_t)a1;
}

KERNEL(svm_atomic_inc)
{
	BODY_PROLOGUE;
	atomicAdd_system(&((unsigned int *)a0)[i], 1u);
}

KERNEL(svm_fill_strided)
{
	BODY_PROLOGUE;
	*(uint32_t *)(a0 + (uint64_t)i * a2) = (uint32_t)a1 + i;
}

KERNEL(svm_rmw_strided)
{
	BODY_PROLOGUE;
	*(uint32_t *)(a0 + (uint64_t)i * a2) += (uint32_t)a1;
}

KERNEL(svm_read_strided)
{
	BODY_PROLOGUE;
	atomicAdd((unsigned long long *)a1,
		  (unsigned long long)*(const uint32_t *)(a0 + (uint64_t)i * a2));
}

KERNEL(svm_vadd)
{
	BODY_PROLOGUE;
	uint64_t j = a3 + i;

	((float *)a2)[j] = ((const float *)a0)[j] + ((const float *)a1)[j];
}

struct svm_node {
	const struct svm_node *next;
	uint64_t value;
};

KERNEL(svm_walk_list)
{
	BODY_PROLOGUE;
	uint64_t sum = 0, count = 0;

	for (const svm_node *n = (const svm_node *)a0; n; n = n->next) {
		sum += n->value;
		count++;
	}
	((uint64_t *)a1)[0] = sum;
	((uint64_t *)a1)[1] = count;
}

KERNEL(svm_atomic_add)
{
	BODY_PROLOGUE;
	atomicAdd_system((unsigned long long *)a0, 1ull);
	atomicAdd_system((unsigned int *)a1, 1u);
}

KERNEL(svm_cas_inc)
{
	BODY_PROLOGUE;
	unsigned long long *p = (unsigned long long *)a0, old, seen;

	old = *(volatile unsigned long long *)p;
	while ((seen = atomicCAS_system(p, old, old + 1)) != old)
		old = seen;
}

__device__ static inline uint64_t globaltimer(void)
{
	uint64_t t;

	asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
	return t;
}

/*
 * The store is read back after a system-wide fence, so the time includes
 * its translation: on a page the GPU does not map yet, the fault's round
 * trip through UVM and HMM.
 */
KERNEL(svm_timed_store)
{
	BODY_PROLOGUE;
	volatile uint32_t *p = (volatile uint32_t *)a0;
	uint64_t t0, t1;
	uint32_t back;

	t0 = globaltimer();
	*p = (uint32_t)a1;
	__threadfence_system();
	back = *p;
	t1 = globaltimer();
	*(uint64_t *)a2 = t1 - t0;
	*(uint32_t *)(a2 + 8) = back;
}

/*
 * %globaltimer's resolution: it advances in steps (of a microsecond on many
 * GPUs, 32 ns on some), and every time taken with it is a multiple of its
 * step. One invocation reads it back to back until it has changed a1 times,
 * or 2^24 reads went by, and stores the smallest change at a0 (0: it never
 * changed).
 */
KERNEL(svm_timer_step)
{
	BODY_PROLOGUE;
	uint64_t prev = globaltimer(), step = 0;
	uint64_t changes = 0;

	for (uint32_t reads = 0; changes < a1 && reads < (1u << 24); reads++) {
		uint64_t t = globaltimer();

		if (t == prev)
			continue;
		if (t > prev && (!step || t - prev < step))
			step = t - prev;
		changes++;
		prev = t;
	}
	*(uint64_t *)a0 = step;
}

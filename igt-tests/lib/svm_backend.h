/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * An SVM GPU behind a narrow interface, so that one set of SVM scenarios
 * (svm_scenarios.c) runs on neuf and on any other GPU that mirrors the
 * process's address space: NVIDIA's, through CUDA and HMM.
 *
 * A backend runs a fixed set of kernels (enum svm_kernel), each over a
 * grid of invocations with four 64-bit arguments, on plain process memory:
 * pointers from malloc(), mmap(), the stack. What it reports of a job is
 * what every SVM GPU can report (ok, or an error, -EFAULT for an access
 * the process's page tables refuse) plus what only some can (the faulting
 * address and access, whether the GPU context survives a fault): those
 * are capabilities (SVM_CAP_*), and the scenarios check what the backend
 * says it can report.
 *
 * The interface is errno-style and does not use IGT, so that tools (the
 * NVIDIA benchmark) use it too. It is not thread-safe: one thread of a
 * process drives a backend.
 */
#ifndef NEUF_SVM_BACKEND_H
#define NEUF_SVM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * enum svm_kernel - the kernels every backend runs
 *
 * "i" is the invocation's index in the grid, a0..a3 the arguments.
 *
 * @SVM_FILL: u32 a0[i] = a1 + i
 * @SVM_COPY: u32 a1[i] = a0[i]
 * @SVM_RMW: u32 a0[i] += a1
 * @SVM_ATOMIC_INC: u32 a0[i] += 1, atomically
 * @SVM_FILL_STRIDED: the u32 at a0 + i * a2 = a1 + i (one store per stride)
 * @SVM_RMW_STRIDED: the u32 at a0 + i * a2 += a1
 * @SVM_READ_STRIDED: the u32 at a0 + i * a2 is read and added to the u64
 *	at a1, atomically (one load per stride)
 * @SVM_VADD: float a2[j] = a0[j] + a1[j], j = a3 + i
 * @SVM_WALK_LIST: one invocation follows a linked list of
 *	{ next, u64 value } nodes from a0 and stores the sum of the values
 *	and the node count at a1[0] and a1[1]
 * @SVM_ATOMIC_ADD: u64 *a0 += 1 and u32 *a1 += 1, atomically, with
 *	system scope (the CPU increments them at the same time)
 * @SVM_CAS_INC: u64 *a0 += 1 by a compare-and-swap loop, system scope
 * @SVM_TIMED_STORE: one invocation stores the u32 a1 at a0, reads it
 *	back, and writes how long that took in GPU timer nanoseconds (u64)
 *	and the value read (u32) at a2 and a2 + 8; only backends with
 *	SVM_CAP_GPU_TIMER have it
 * @SVM_TIMER_STEP: one invocation reads the GPU timer back to back until
 *	it has changed a1 times (or 2^24 reads went by) and stores the
 *	smallest change in nanoseconds (u64) at a0, 0 if it never changed:
 *	the resolution SVM_TIMED_STORE's times are quantised to; only
 *	backends with SVM_CAP_GPU_TIMER have it
 * @SVM_NUM_KERNELS: how many there are
 */
enum svm_kernel {
	SVM_FILL,
	SVM_COPY,
	SVM_RMW,
	SVM_ATOMIC_INC,
	SVM_FILL_STRIDED,
	SVM_RMW_STRIDED,
	SVM_READ_STRIDED,
	SVM_VADD,
	SVM_WALK_LIST,
	SVM_ATOMIC_ADD,
	SVM_CAS_INC,
	SVM_TIMED_STORE,
	SVM_TIMER_STEP,
	SVM_NUM_KERNELS
};

/** enum svm_access - what a faulting access was */
enum svm_access {
	SVM_ACCESS_UNKNOWN,
	SVM_ACCESS_READ,
	SVM_ACCESS_WRITE,
	SVM_ACCESS_ATOMIC,
};

/* Capabilities: what a backend reports beyond ok and an error. */
/** The faulting address and access of a failed job (neuf's JOB_STATUS). */
#define SVM_CAP_FAULT_ADDRESS (1u << 0)
/*
 * The GPU context survives a fault: other jobs of the process are not
 * affected. Without it a fault is sticky (CUDA's ILLEGAL_ADDRESS): the
 * backend tears its context down and makes a new one before the run that
 * faulted returns (so that what the new context maps is there when the
 * caller looks at its address space), and counts it in
 * svm_backend.recoveries.
 */
#define SVM_CAP_FAULT_KEEPS_CONTEXT (1u << 1)
/** Per-job counters of the fault path (struct svm_stats). */
#define SVM_CAP_STATS (1u << 2)
/*
 * A GPU clock kernels read: SVM_TIMED_STORE and SVM_TIMER_STEP (CUDA's
 * %globaltimer).
 */
#define SVM_CAP_GPU_TIMER (1u << 3)
/*
 * A GPU fault never moves a page: the GPU maps the system memory the
 * CPU's page tables point at, and a huge page stays huge (neuf, unless
 * asked to migrate). Without it the driver may move the pages the GPU
 * touches to the GPU's memory (device-private pages) and back on the
 * CPU's next fault (NVIDIA's UVM): which frame backs a page, whether it
 * is huge and whether it is dirty are then the driver's choice.
 */
#define SVM_CAP_NO_MIGRATION (1u << 4)

/**
 * struct svm_dispatch - one kernel launch
 * @kernel: which kernel
 * @grid: how many invocations
 * @args: its arguments
 */
struct svm_dispatch {
	enum svm_kernel kernel;
	uint32_t grid;
	uint64_t args[4];
};

/**
 * struct svm_result - how a launch ended
 * @error: 0, or a negative errno: -EFAULT for an access the process's page
 *	tables refuse, -ETIMEDOUT for a job stopped by a watchdog
 * @where_known: @fault_addr and @fault_access are set (SVM_CAP_FAULT_ADDRESS)
 * @fault_addr: the faulting address
 * @fault_access: the faulting access
 * @detail: the backend's own words for the error ("", or e.g.
 *	"CUDA_ERROR_ILLEGAL_ADDRESS")
 */
struct svm_result {
	int error;
	bool where_known;
	uint64_t fault_addr;
	enum svm_access fault_access;
	char detail[64];
};

/**
 * struct svm_stats - counters of the fault path, where the backend has them
 * @faults: GPU faults handled
 * @windows: fault windows resolved
 * @batches: fault-buffer batches
 * @huge_mapped: huge GPU pages mapped
 */
struct svm_stats {
	uint64_t faults;
	uint64_t windows;
	uint64_t batches;
	uint64_t huge_mapped;
};

struct svm_backend;

/**
 * struct svm_backend_ops - what a backend implements
 * @open: find the GPU and get ready to run kernels; on failure return a
 *	negative errno and say why in @why (the reason a test skips with)
 * @close: release everything @open got
 * @run_batch: launch @count dispatches back to back (they run in order),
 *	wait for all of them and say how each ended in @res; returns 0 when
 *	all ran to an end, ok or not, a negative errno when they could not
 *	be launched or waited for: -ENOTRECOVERABLE when an earlier sticky
 *	fault left the process unable to run GPU work again (CUDA documents
 *	that only a new process is sure to; a child fork() made, which may
 *	not use its parent's context, is not given one of its own)
 * @stats: read the counters of the process's GPU context; NULL without
 *	SVM_CAP_STATS
 */
struct svm_backend_ops {
	int (*open)(struct svm_backend *b, char *why, size_t why_size);
	void (*close)(struct svm_backend *b);
	int (*run_batch)(struct svm_backend *b, const struct svm_dispatch *d,
			 unsigned int count, struct svm_result *res);
	int (*stats)(struct svm_backend *b, struct svm_stats *s);
};

/**
 * struct svm_backend - an SVM GPU
 * @name: the backend's name, e.g. "neuf" or "cuda"
 * @caps: SVM_CAP_* flags
 * @ops: its operations
 * @priv: the backend's state
 * @device: the GPU's name, once open
 * @recoveries: how many times a sticky fault made the backend build a new
 *	GPU context (0 where SVM_CAP_FAULT_KEEPS_CONTEXT)
 * @fault_log: a POSIX extended regular expression for the kernel log lines
 *	the GPU's driver writes when a job faults, which a subtest that
 *	faults on purpose marks as expected (neuf_igt_try_ignore_dmesg());
 *	NULL where the driver writes none at warning level or above
 */
struct svm_backend {
	const char *name;
	unsigned int caps;
	const struct svm_backend_ops *ops;
	void *priv;
	char device[192];
	unsigned int recoveries;
	const char *fault_log;
};

/** svm_access_name() - "read", "write", "atomic" or "unknown" */
const char *svm_access_name(enum svm_access access);

/**
 * svm_backend_run() - launch one dispatch and wait for it
 * @b: the backend
 * @kernel: the kernel
 * @grid: how many invocations
 * @args: its four arguments
 * @res: how it ended
 *
 * Return: 0 when the job ran to an end, ok or not; a negative errno when
 * it could not be launched or waited for.
 */
int svm_backend_run(struct svm_backend *b, enum svm_kernel kernel,
		    uint32_t grid, const uint64_t args[4],
		    struct svm_result *res);

/**
 * svm_backend_neuf() - the neuf backend, over the first neuf device
 *
 * Its GPU context is an SVM VM on an fd of its own.
 *
 * Return: the backend, to be opened; NULL if out of memory.
 */
struct svm_backend *svm_backend_neuf(void);

/**
 * svm_backend_cuda() - the CUDA backend, over device 0 of libcuda.so.1
 *
 * Loads the CUDA driver with dlopen() when opened, so that a binary built
 * with nvcc runs, and skips, where there is no NVIDIA driver. $NEUF_LIBCUDA
 * names another library to load instead (the host tests use a stand-in).
 *
 * Return: the backend, to be opened; NULL if out of memory.
 */
struct svm_backend *svm_backend_cuda(void);

/**
 * svm_backend_free() - close a backend if it is open, and free it
 * @b: the backend, or NULL
 */
void svm_backend_free(struct svm_backend *b);

#endif /* NEUF_SVM_BACKEND_H */

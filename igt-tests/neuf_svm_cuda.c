// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The shared SVM scenarios (svm_scenarios.c) on an NVIDIA GPU, through the
 * CUDA driver API and the open kernel modules' HMM mirror: the same
 * subtests neuf_svm runs on neuf, under the same names, on plain malloc'd,
 * mmap'd, stack and file-backed memory (never cudaMallocManaged).
 *
 * Runs on the host, not in neuf's test guests: make check-nvidia. Without
 * libcuda.so.1, an NVIDIA GPU, or pageable memory access (HMM), every
 * subtest skips with the reason. Where NVIDIA's semantics differ from
 * neuf's (a fault is a sticky context error without an address) the
 * scenarios check what CUDA reports: Documentation/gpu/neuf/nvidia.rst.
 */
#include "igt.h"
#include "svm_backend.h"
#include "svm_scenarios.h"

static struct svm_backend *cuda;

int igt_main()
{
	igt_fixture() {
		cuda = svm_backend_cuda();
		svm_scenarios_open(cuda);
	}

	svm_scenarios(cuda);

	igt_fixture() {
		if (cuda && cuda->recoveries)
			igt_info("%u CUDA context(s) rebuilt after sticky "
				 "faults\n", cuda->recoveries);
		svm_backend_free(cuda);
	}
}

// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * What every backend of svm_backend.h shares.
 */
#include <stdlib.h>

#include "svm_backend.h"

const char *svm_access_name(enum svm_access access)
{
	switch (access) {
	case SVM_ACCESS_READ:
		return "read";
	case SVM_ACCESS_WRITE:
		return "write";
	case SVM_ACCESS_ATOMIC:
		return "atomic";
	default:
		return "unknown";
	}
}

int svm_backend_run(struct svm_backend *b, enum svm_kernel kernel,
		    uint32_t grid, const uint64_t args[4],
		    struct svm_result *res)
{
	struct svm_dispatch d = {
		.kernel = kernel,
		.grid = grid,
		.args = { args[0], args[1], args[2], args[3] },
	};

	return b->ops->run_batch(b, &d, 1, res);
}

void svm_backend_free(struct svm_backend *b)
{
	if (!b)
		return;
	b->ops->close(b);
	free(b);
}

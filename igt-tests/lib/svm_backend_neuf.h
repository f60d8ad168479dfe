/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * What only the neuf backend of svm_backend.h has: its device and VM, and
 * its kernels' machine code, for the subtests of neuf_svm that go beyond
 * the shared SVM scenarios.
 */
#ifndef NEUF_SVM_BACKEND_NEUF_H
#define NEUF_SVM_BACKEND_NEUF_H

#include <stdint.h>

#include "svm_backend.h"

struct neuf_device;

/**
 * svm_backend_neuf_vm() - the device and SVM VM of an open neuf backend
 * @b: the backend, from svm_backend_neuf(), opened
 * @dev: where to store its device
 * @vm: where to store its VM's id
 */
void svm_backend_neuf_vm(struct svm_backend *b, struct neuf_device **dev,
			 uint32_t *vm);

/**
 * svm_backend_neuf_code() - the machine code a kernel runs on neuf
 * @b: the backend, from svm_backend_neuf(), opened
 * @kernel: the kernel
 *
 * Return: the code, in the backend's malloc'd memory (valid until the
 * backend closes), or NULL for a kernel neuf does not have.
 */
const uint64_t *svm_backend_neuf_code(struct svm_backend *b,
				      enum svm_kernel kernel);

/**
 * svm_backend_neuf_source() - the neuf shader source of a kernel
 * @kernel: the kernel
 *
 * For tests that run the kernels on VMs of their own.
 *
 * Return: the source (static), or NULL for a kernel neuf does not have.
 */
const char *svm_backend_neuf_source(enum svm_kernel kernel);

#endif /* NEUF_SVM_BACKEND_NEUF_H */

/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * svm_kernels_fatbin[]: the fatbin nvcc built from svm_kernels.cu, for
 * cuModuleLoadData() (SVM_FATBIN is its path, from the Makefile).
 */
	.section .rodata
	.balign 16
	.globl svm_kernels_fatbin
	.type svm_kernels_fatbin, @object
svm_kernels_fatbin:
	.incbin SVM_FATBIN
	.size svm_kernels_fatbin, . - svm_kernels_fatbin

	.section .note.GNU-stack, "", @progbits

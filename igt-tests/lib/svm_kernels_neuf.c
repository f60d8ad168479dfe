// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * The kernels of svm_backend.h (enum svm_kernel) as neuf shaders, in the
 * syntax of Documentation/gpu/neuf/isa.rst: what svm_kernels.cu is for
 * NVIDIA GPUs. The neuf backend assembles them; tests and tools that run
 * them on VMs of their own take the source from here too.
 */
#include <stddef.h>

#include "svm_backend_neuf.h"

/*
 * The kernels, one invocation per element where there are elements. NULL:
 * neuf has no such kernel (SVM_TIMED_STORE and SVM_TIMER_STEP: the ISA has
 * no timer).
 */
static const char *const kernel_src[SVM_NUM_KERNELS] = {
	[SVM_FILL] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # buf\n"
		"sreg r3, arg1        # first value\n"
		"shli r4, r1, 2\n"
		"add r4, r2, r4\n"
		"add r5, r3, r1\n"
		"st32 [r4], r5\n"
		"halt\n",
	[SVM_COPY] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # src\n"
		"sreg r3, arg1        # dst\n"
		"shli r4, r1, 2\n"
		"add r5, r2, r4\n"
		"ld32 r6, [r5]\n"
		"add r7, r3, r4\n"
		"st32 [r7], r6\n"
		"halt\n",
	[SVM_RMW] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # buf\n"
		"sreg r3, arg1        # addend\n"
		"shli r4, r1, 2\n"
		"add r4, r2, r4\n"
		"ld32 r5, [r4]\n"
		"add r5, r5, r3\n"
		"st32 [r4], r5\n"
		"halt\n",
	[SVM_ATOMIC_INC] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # buf\n"
		"shli r4, r1, 2\n"
		"add r4, r2, r4\n"
		"li r5, 1\n"
		"atom.add32 r0, [r4], r5\n"
		"halt\n",
	[SVM_FILL_STRIDED] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # base\n"
		"sreg r3, arg1        # first value\n"
		"sreg r6, arg2        # stride in bytes\n"
		"mul r4, r1, r6\n"
		"add r4, r2, r4\n"
		"add r5, r3, r1\n"
		"st32 [r4], r5\n"
		"halt\n",
	[SVM_RMW_STRIDED] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # base\n"
		"sreg r3, arg1        # addend\n"
		"sreg r6, arg2        # stride in bytes\n"
		"mul r4, r1, r6\n"
		"add r4, r2, r4\n"
		"ld32 r5, [r4]\n"
		"add r5, r5, r3\n"
		"st32 [r4], r5\n"
		"halt\n",
	[SVM_READ_STRIDED] =
		"sreg r1, global_id\n"
		"sreg r2, arg0        # base\n"
		"sreg r3, arg1        # sum\n"
		"sreg r6, arg2        # stride in bytes\n"
		"mul r4, r1, r6\n"
		"add r4, r2, r4\n"
		"ld32 r5, [r4]\n"
		"atom.add64 r0, [r3], r5\n"
		"halt\n",
	[SVM_VADD] =
		"sreg r1, global_id\n"
		"sreg r2, arg3        # first element\n"
		"add r1, r1, r2\n"
		"shli r1, r1, 2\n"
		"sreg r3, arg0\n"
		"add r3, r3, r1\n"
		"ld32 r4, [r3]\n"
		"sreg r5, arg1\n"
		"add r5, r5, r1\n"
		"ld32 r6, [r5]\n"
		"fadd r7, r4, r6\n"
		"sreg r8, arg2\n"
		"add r8, r8, r1\n"
		"st32 [r8], r7\n"
		"halt\n",
	[SVM_WALK_LIST] =
		"sreg r1, arg0        # node\n"
		"li r2, 0             # sum\n"
		"li r5, 0             # count\n"
		"loop:\n"
		"  bz r1, done\n"
		"  ld64 r3, [r1 + 8]\n"
		"  add r2, r2, r3\n"
		"  addi r5, r5, 1\n"
		"  ld64 r1, [r1]\n"
		"  jmp loop\n"
		"done:\n"
		"sreg r4, arg1\n"
		"st64 [r4], r2\n"
		"st64 [r4 + 8], r5\n"
		"halt\n",
	[SVM_ATOMIC_ADD] =
		"li r3, 1\n"
		"sreg r1, arg0\n"
		"atom.add64 r0, [r1], r3\n"
		"sreg r2, arg1\n"
		"atom.add32 r0, [r2], r3\n"
		"halt\n",
	[SVM_CAS_INC] =
		"sreg r1, arg0\n"
		"again:\n"
		"  ld64 r2, [r1]\n"
		"  addi r3, r2, 1\n"
		"  atom.cas64 r4, [r1], r2, r3\n"
		"  b.ne r4, r2, again\n"
		"halt\n",
};

const char *svm_backend_neuf_source(enum svm_kernel kernel)
{
	return kernel < SVM_NUM_KERNELS ? kernel_src[kernel] : NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The neuf shader assembler: text in the syntax of
 * Documentation/gpu/neuf/isa.rst to neuf machine code.
 */
#ifndef NEUF_ASM_H
#define NEUF_ASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Assembled machine code: @count little-endian 64-bit instructions. */
struct neuf_asm_program {
	uint64_t *code;
	size_t count;
};

/**
 * neuf_assemble() - assemble neuf shader source
 * @source: the program text, NUL-terminated: it ends at the first NUL, so a
 *	caller that reads it from a file refuses one with a NUL byte in it
 * @prog: on success, the machine code; release with neuf_asm_program_free()
 * @err: where to write a message for a source error ("line N: ..."), or NULL
 * @errlen: size of @err
 *
 * The source is read as in the C locale (isa.rst), whatever locale the
 * calling thread has; that thread's locale is as it was on return.
 *
 * Return: 0, -EINVAL for an error in @source (described in @err), or
 * -ENOMEM.
 */
int neuf_assemble(const char *source, struct neuf_asm_program *prog,
		  char *err, size_t errlen);

/** neuf_asm_program_free() - release what neuf_assemble() returned */
void neuf_asm_program_free(struct neuf_asm_program *prog);

#ifdef __cplusplus
}
#endif

#endif /* NEUF_ASM_H */

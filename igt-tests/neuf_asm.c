// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Tests of the neuf assembler: encodings, labels, pseudo-instructions and
 * error messages. Pure userspace: needs no device.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "neuf_asm.h"
#include "neuf_isa.h"

#define ENC NEUF_ISA_ENCODE

static struct neuf_asm_program prog;

static void assemble_ok(const char *src)
{
	char err[256];
	int ret;

	neuf_asm_program_free(&prog);
	ret = neuf_assemble(src, &prog, err, sizeof(err));
	igt_assert_f(ret == 0, "assembling failed (%d): %s\n", ret, err);
}

static void assemble_err(const char *src, const char *expect)
{
	struct neuf_asm_program p = { 0 };
	char err[256];

	igt_assert_eq(neuf_assemble(src, &p, err, sizeof(err)), -EINVAL);
	igt_assert_f(strstr(err, expect), "error '%s' lacks '%s'\n", err, expect);
	igt_assert(!p.code);
	igt_info("%s\n", err);
}

static void expect_words(const uint64_t *words, size_t n)
{
	igt_assert_eq(prog.count, n);
	for (size_t i = 0; i < n; i++)
		igt_assert_f(prog.code[i] == words[i],
			     "word %zu: %#018llx, expected %#018llx\n", i,
			     (unsigned long long)prog.code[i],
			     (unsigned long long)words[i]);
}

/* The numeric category of a locale with a comma for a decimal separator. */
static const char comma_locale[] =
	"LC_NUMERIC\n"
	"decimal_point \"<U002C>\"\n"
	"thousands_sep \"<U002E>\"\n"
	"grouping 3;3\n"
	"END LC_NUMERIC\n";

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/*
 * Set LC_NUMERIC to comma_locale, compiled by localedef into a directory
 * that is gone again on return (glibc has mapped what it needs): false
 * where localedef is missing or cannot.
 */
static bool set_comma_locale(void)
{
	char dir[] = "/tmp/neuf_asm-locale-XXXXXX";
	char src[PATH_MAX], out[PATH_MAX];
	bool set = false;
	int status;
	pid_t pid;
	FILE *f;

	igt_assert(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/comma.src", dir);
	snprintf(out, sizeof(out), "%s/neuf_comma", dir);
	f = fopen(src, "w");
	igt_assert(f);
	igt_assert(fputs(comma_locale, f) >= 0);
	igt_assert_eq(fclose(f), 0);

	fflush(NULL);
	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		/* -c: written although every other category is missing. */
		execlp("localedef", "localedef", "-c", "-i", src, out,
		       (char *)NULL);
		_exit(127);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	/* 1 is "written, with warnings" (the missing categories). */
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
		igt_assert_eq(setenv("LOCPATH", dir, 1), 0);
		set = setlocale(LC_NUMERIC, "neuf_comma");
		igt_assert_eq(unsetenv("LOCPATH"), 0);
	}
	igt_assert_eq(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
	return set;
}

int igt_main()
{
	igt_describe("Each instruction form encodes to the documented fields.");
	igt_subtest("encodings") {
		const uint64_t words[] = {
			ENC(NEUF_OP_ADD, 1, 2, 3, 0, 0),
			ENC(NEUF_OP_ADDI, 4, 5, 0, 0, -7),
			ENC(NEUF_OP_LI, 63, 0, 0, 0, 0x7fffffff),
			ENC(NEUF_OP_LIH, 6, 0, 0, 0, (int)0xdeadbeef),
			ENC(NEUF_OP_FFMA, 7, 8, 9, 10, 0),
			ENC(NEUF_OP_LD32, 11, 12, 0, 0, 16),
			ENC(NEUF_OP_ST64, 0, 13, 14, 0, -8),
			ENC(NEUF_OP_LD8, 1, 2, 0, 0, 0),
			ENC(NEUF_OP_ATOM_ADD64, 15, 16, 17, 0, 4),
			ENC(NEUF_OP_ATOM_CAS32, 18, 19, 20, 21, 0),
			ENC(NEUF_OP_SREG, 22, 0, 0, 0, NEUF_SREG_GLOBAL_ID),
			ENC(NEUF_OP_SREG, 23, 0, 0, 0, NEUF_SREG_ARG0 + 7),
			ENC(NEUF_OP_SET, 24, 25, 26, NEUF_COND_LTU, 0),
			ENC(NEUF_OP_SET, 24, 26, 25, NEUF_COND_LT, 0),
			ENC(NEUF_OP_FSET, 1, 2, 3, NEUF_FCOND_LE, 0),
			ENC(NEUF_OP_CVTSF, 1, 2, 0, 0, 0),
			ENC(NEUF_OP_ADDI, 3, 4, 0, 0, 0),
			ENC(NEUF_OP_LI, 5, 0, 0, 0, 0x3fc00000),
			ENC(NEUF_OP_HALT, 0, 0, 0, 0, 0),
		};

		assemble_ok("add r1, r2, r3\n"
			    "  addi r4, r5, -7   # comment\n"
			    "li r63, 0x7fffffff ; other comment\n"
			    "LIH r6, 0xdeadbeef\n"
			    "ffma r7, r8, r9, r10\n"
			    "ld32 r11, [r12 + 16]\n"
			    "st64 [r13 - 8], r14\n"
			    "ld8 r1, [r2]\n"
			    "atom.add64 r15, [r16+4], r17\n"
			    "atom.cas32 r18, [r19], r20, r21\n"
			    "sreg r22, global_id\n"
			    "sreg r23, arg7\n"
			    "set.ltu r24, r25, r26\n"
			    "set.gt r24, r25, r26\n"
			    "fset.le r1, r2, r3\n"
			    "cvtsf r1, r2\n"
			    "mov r3, r4\n"
			    "lif r5, 1.5\n"
			    "halt\n");
		expect_words(words, sizeof(words) / sizeof(*words));
	}

	igt_describe("Branches encode the byte offset from the branch itself, "
		     "backwards and forwards.");
	igt_subtest("labels") {
		const uint64_t words[] = {
			ENC(NEUF_OP_LI, 1, 0, 0, 0, 0),
			ENC(NEUF_OP_ADDI, 1, 1, 0, 0, 1),
			ENC(NEUF_OP_BR, 0, 1, 2, NEUF_COND_LT, -8),
			ENC(NEUF_OP_BR, 0, 1, 0, NEUF_COND_EQ, 24),
			ENC(NEUF_OP_JMP, 0, 0, 0, 0, 0),
			ENC(NEUF_OP_BR, 0, 3, 1, NEUF_COND_LT, -40),
			ENC(NEUF_OP_HALT, 0, 0, 0, 0, 0),
		};

		assemble_ok("start: li r1, 0\n"
			    "loop:\n"
			    "  addi r1, r1, 1\n"
			    "  b.lt r1, r2, loop\n"
			    "  bz r1, done\n"
			    "self: jmp self\n"
			    "  b.gt r1, r3, start\n"
			    "done: halt\n");
		expect_words(words, sizeof(words) / sizeof(*words));
	}

	igt_describe("li64 loads any 64-bit value, signed or a 64-bit pattern, "
		     "in one instruction when it fits a sign-extended 32-bit "
		     "immediate.");
	igt_subtest("li64") {
		const uint64_t words[] = {
			ENC(NEUF_OP_LI, 1, 0, 0, 0, -1),
			ENC(NEUF_OP_LI, 2, 0, 0, 0, (int)0x9abcdef0),
			ENC(NEUF_OP_LIH, 2, 0, 0, 0, 0x12345678),
			ENC(NEUF_OP_LI, 3, 0, 0, 0, 0),
			ENC(NEUF_OP_LIH, 3, 0, 0, 0, (int)0x80000000),
			ENC(NEUF_OP_LI, 4, 0, 0, 0, -1),
			ENC(NEUF_OP_LI, 5, 0, 0, 0, 0),
			ENC(NEUF_OP_LIH, 5, 0, 0, 0, (int)0x80000000),
			ENC(NEUF_OP_LI, 6, 0, 0, 0, -2),
			ENC(NEUF_OP_LI, 7, 0, 0, 0, 0x7fffffff),
			ENC(NEUF_OP_LIH, 7, 0, 0, 0, -1),
		};

		assemble_ok("li64 r1, -1\n"
			    "li64 r2, 0x123456789abcdef0\n"
			    "li64 r3, -9223372036854775808\n"
			    "li64 r4, 0xffffffffffffffff\n"
			    "li64 r5, 0x8000000000000000\n"
			    "li64 r6, 18446744073709551614\n"
			    "li64 r7, 0xffffffff7fffffff\n");
		expect_words(words, sizeof(words) / sizeof(*words));
	}

	igt_describe("prefetch takes one memory operand and encodes it as ra "
		     "and imm, every other field zero.");
	igt_subtest("prefetch") {
		const uint64_t words[] = {
			ENC(NEUF_OP_PREFETCH, 0, 1, 0, 0, 0),
			ENC(NEUF_OP_PREFETCH, 0, 2, 0, 0, 4096),
			ENC(NEUF_OP_PREFETCH, 0, 63, 0, 0, -64),
			ENC(NEUF_OP_PREFETCH, 0, 3, 0, 0, 0x7fffffff),
		};

		igt_assert_eq(NEUF_OP_PREFETCH, 0x47);
		assemble_ok("prefetch [r1]\n"
			    "PREFETCH [r2 + 4096]\n"
			    "prefetch [r63 - 64]\n"
			    "prefetch [r3+0x7fffffff]\n");
		expect_words(words, sizeof(words) / sizeof(*words));
		assemble_err("prefetch r1\n", "expected a memory operand");
		assemble_err("prefetch\n", "'prefetch' takes 1 operand, got 0");
		assemble_err("prefetch [r1], r2\n",
			     "'prefetch' takes 1 operand, got 2");
		assemble_err("prefetch [r64]\n", "register 'r64' out of range");
	}

	igt_describe("Source errors fail with EINVAL and a message naming the "
		     "line and the problem.");
	igt_subtest("errors") {
		assemble_err("halt\nfrob r1\n", "line 2: unknown instruction 'frob'");
		assemble_err("add r1, r2, r64\n", "line 1: register 'r64' out of range");
		assemble_err("add r1, r2\n", "line 1: 'add' takes 3 operands, got 2");
		assemble_err("li r1, 0x80000000\n", "does not fit");
		assemble_err("li r1, 12abc\n", "bad number '12abc'");
		assemble_err("\n\njmp nowhere\n", "line 3: undefined label 'nowhere'");
		assemble_err("a: halt\na: halt\n", "line 2: label 'a' already defined");
		assemble_err("b.xx r1, r2, a\na: halt\n", "unknown condition 'xx'");
		assemble_err("set r1, r2, r3\n", "needs a condition");
		assemble_err("ld32 r1, r2\n", "expected a memory operand");
		assemble_err("sreg r1, arg8\n", "unknown special register 'arg8'");
		assemble_err("lif r1, one\n", "bad float 'one'");
		assemble_err("# nothing\n", "no instructions");
	}

	igt_describe("Integer literals are decimal, or hex with 0x: no octal, "
		     "and a leading zero on a decimal number is an error rather "
		     "than read as octal or as decimal.");
	igt_subtest("integer-literals") {
		const uint64_t words[] = {
			ENC(NEUF_OP_LI, 1, 0, 0, 0, 10),
			ENC(NEUF_OP_LI, 2, 0, 0, 0, 0),
			ENC(NEUF_OP_LI, 3, 0, 0, 0, 0),
			ENC(NEUF_OP_LI, 4, 0, 0, 0, -16),
			ENC(NEUF_OP_LI, 5, 0, 0, 0, 0x1f),
			ENC(NEUF_OP_LI, 6, 0, 0, 0, 7),
			ENC(NEUF_OP_LI, 7, 0, 0, 0, 0x10),
			ENC(NEUF_OP_LD32, 8, 9, 0, 0, 100),
			ENC(NEUF_OP_LI, 10, 0, 0, 0, INT32_MIN),
			ENC(NEUF_OP_LD32, 11, 12, 0, 0, INT32_MIN),
			ENC(NEUF_OP_LD32, 13, 14, 0, 0, -INT32_MAX),
			ENC(NEUF_OP_LD32, 15, 16, 0, 0, 5),
		};

		assemble_ok("li r1, 10\n"
			    "li r2, 0\n"
			    "li r3, -0\n"
			    "li r4, -0x10\n"
			    "li r5, 0X1F\n"
			    "li r6, +7\n"
			    "li r7, 0x010\n"
			    "ld32 r8, [r9 + 100]\n"
			    "li r10, -2147483648\n"
			    "ld32 r11, [r12 - 0x80000000]\n"
			    "ld32 r13, [r14 - 2147483647]\n"
			    "ld32 r15, [r16 - -5]\n");
		expect_words(words, sizeof(words) / sizeof(*words));

		assemble_err("li r1, 010\n", "line 1: bad number '010': a leading zero");
		assemble_err("li r1, 00\n", "bad number '00': a leading zero");
		assemble_err("li r1, -017\n", "bad number '-017': a leading zero");
		assemble_err("li r1, 08\n", "bad number '08': a leading zero");
		assemble_err("lih r1, 0777\n", "bad number '0777': a leading zero");
		assemble_err("li64 r1, 0123456701234567\n",
			     "bad number '0123456701234567': a leading zero");
		assemble_err("ld32 r1, [r2 + 010]\n", "bad number '010': a leading zero");
		assemble_err("addi r1, r2, 0x\n", "bad number '0x'");
		assemble_err("addi r1, r2, 0x0x10\n", "bad number '0x0x10'");
		assemble_err("addi r1, r2, 0x1g\n", "bad number '0x1g'");
		assemble_err("addi r1, r2, 0b101\n", "bad number '0b101'");
		assemble_err("addi r1, r2, 1f\n", "bad number '1f'");
		assemble_err("li r1, - 1\n", "expected a number, got '- 1'");
		assemble_err("li r1, 2147483648\n", "does not fit");
		assemble_err("li r1, 0x100000000000000000\n", "does not fit");
		assemble_err("li64 r1, 18446744073709551616\n", "does not fit");
		assemble_err("li64 r1, -9223372036854775809\n", "does not fit");
		assemble_err("ld32 r1, [r2 + 0x80000000]\n", "does not fit");
		assemble_err("ld32 r1, [r2 - 0x80000001]\n", "does not fit");
		assemble_err("ld32 r1, [r2 - -2147483648]\n", "does not fit");
	}

	igt_describe("Operands are split at every comma: an empty operand or a "
		     "trailing comma is an error, not skipped.");
	igt_subtest("operand-lists") {
		const uint64_t words[] = {
			ENC(NEUF_OP_ADD, 1, 2, 3, 0, 0),
			ENC(NEUF_OP_ST32, 0, 4, 5, 0, 8),
			ENC(NEUF_OP_HALT, 0, 0, 0, 0, 0),
		};

		assemble_ok("add r1 ,r2 ,\tr3\n"
			    "st32 [r4 + 8],r5\n"
			    "halt\n");
		expect_words(words, sizeof(words) / sizeof(*words));

		assemble_err("add r1,, r2, r3,\n", "line 1: empty operand 2 of 'add'");
		assemble_err("add r1, r2, , r3\n", "empty operand 3 of 'add'");
		assemble_err("add , r1, r2, r3\n", "empty operand 1 of 'add'");
		assemble_err("halt\nadd r1, r2, r3,\n",
			     "line 2: trailing ',' after the operands of 'add'");
		assemble_err("add r1, r2, r3 , \n", "trailing ','");
		assemble_err("ffma r1, r2, r3, r4,\n", "trailing ','");
		assemble_err("st32 [r1 + 4], r2,\n", "trailing ','");
		assemble_err("jmp a,\na: halt\n", "trailing ','");
		assemble_err("halt ,\n", "empty operand 1 of 'halt'");
		assemble_err("add r1, r2, r3, r4, r5\n", "too many operands for 'add'");
		assemble_err("add r1, r2\n", "'add' takes 3 operands, got 2");
	}

	igt_describe("lif takes a float literal rounded to the nearest binary32, "
		     "subnormals included; one that overflows to infinity, or a "
		     "nonzero one that rounds to zero, is an error.");
	igt_subtest("float-literals") {
		const uint64_t words[] = {
			ENC(NEUF_OP_LI, 1, 0, 0, 0, 0x000116c2),
			ENC(NEUF_OP_LI, 2, 0, 0, 0, 0x00000001),
			ENC(NEUF_OP_LI, 3, 0, 0, 0, (int)0x80000001),
			ENC(NEUF_OP_LI, 4, 0, 0, 0, 0x00800000),
			ENC(NEUF_OP_LI, 5, 0, 0, 0, 0x7f7fffff),
			ENC(NEUF_OP_LI, 6, 0, 0, 0, (int)0x80000000),
			ENC(NEUF_OP_LI, 7, 0, 0, 0, 0),
			ENC(NEUF_OP_LI, 8, 0, 0, 0, 0),
			ENC(NEUF_OP_LI, 9, 0, 0, 0, 0x7f800000),
			ENC(NEUF_OP_LI, 10, 0, 0, 0, (int)0xff800000),
			ENC(NEUF_OP_LI, 11, 0, 0, 0, 0x3fc00000),
		};

		assemble_ok("lif r1, 1e-40\n"
			    "lif r2, 0x1p-149\n"
			    "lif r3, -1e-45\n"
			    "lif r4, 1.17549435e-38\n"
			    "lif r5, 3.4028235e38\n"
			    "lif r6, -0.0\n"
			    "lif r7, 0.000e-9999\n"
			    "lif r8, 0x0.0p-500\n"
			    "lif r9, inf\n"
			    "lif r10, -inf\n"
			    "lif r11, 0x1.8p0\n");
		expect_words(words, sizeof(words) / sizeof(*words));

		assemble_err("lif r1, 1e39\n", "line 1: float '1e39' overflows binary32");
		assemble_err("lif r1, -3.5e38\n", "float '-3.5e38' overflows binary32");
		assemble_err("lif r1, 1e-50\n",
			     "float '1e-50' underflows binary32 to zero");
		assemble_err("lif r1, -0x1p-151\n",
			     "float '-0x1p-151' underflows binary32 to zero");
		assemble_err("lif r1, 0.00001e-99999\n", "underflows binary32 to zero");
		assemble_err("lif r1, 1.5.5\n", "bad float '1.5.5'");
		assemble_err("lif r1, 1.5f\n", "bad float '1.5f'");
	}

	igt_describe("A label may stand after the last instruction: a branch to "
		     "it reaches the address after the program (isa.rst).");
	igt_subtest("label-at-end") {
		const uint64_t words[] = {
			ENC(NEUF_OP_BR, 0, 1, 0, NEUF_COND_EQ, 16),
			ENC(NEUF_OP_HALT, 0, 0, 0, 0, 0),
		};

		assemble_ok("bz r1, end\n"
			    "halt\n"
			    "end:\n");
		expect_words(words, sizeof(words) / sizeof(*words));
		assemble_err("end:\n", "no instructions");
	}

	igt_describe("The assembler reads its source as in the C locale, "
		     "whatever locale its caller has set: under one with a "
		     "comma for a decimal separator, 1.5 is one and a half, "
		     "and the caller's locale is as it was after.");
	igt_subtest("caller-locale") {
		const uint64_t words[] = {
			ENC(NEUF_OP_LI, 1, 0, 0, 0, 0x3fc00000),
			ENC(NEUF_OP_LI, 2, 0, 0, 0, (int)0xbe800000),
			ENC(NEUF_OP_LI, 3, 0, 0, 0, 0x40400000),
		};
		struct neuf_asm_program bad = { 0 };
		bool bites, kept, global;
		char err[256], *end;
		int ret, ret_bad;
		float f;

		igt_require_f(set_comma_locale(), "localedef cannot build a "
			      "locale with a comma for a decimal separator\n");
		/* The locale bites: the caller's own strtof() stops at '.'. */
		f = strtof("1.5", &end);
		bites = f == 1.0f && *end == '.';
		neuf_asm_program_free(&prog);
		ret = neuf_assemble("lif r1, 1.5\n"
				    "lif r2, -0.25\n"
				    "lif r3, 0x1.8p1\n", &prog, err, sizeof(err));
		ret_bad = neuf_assemble("lif r1, 1.5.5\n", &bad, NULL, 0);
		kept = !strcmp(setlocale(LC_NUMERIC, NULL), "neuf_comma");
		global = uselocale((locale_t)0) == LC_GLOBAL_LOCALE;
		/* Back to "C" before any check can end the subtest. */
		igt_assert(setlocale(LC_NUMERIC, "C"));

		igt_assert_f(bites, "strtof(\"1.5\") gave %g under the comma "
			     "locale\n", f);
		igt_assert_f(ret == 0, "assembling failed (%d): %s\n", ret, err);
		expect_words(words, sizeof(words) / sizeof(*words));
		igt_assert_eq(ret_bad, -EINVAL);
		igt_assert(!bad.code);
		igt_assert_f(kept, "the caller's LC_NUMERIC changed\n");
		igt_assert_f(global, "the thread was left on a locale of its "
			     "own\n");
	}

	igt_fixture()
		neuf_asm_program_free(&prog);
}

// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-as: assemble a neuf shader. Writes the raw little-endian machine
 * code, or one hex word per line with --hex.
 *
 * Usage: neuf-as [--hex] [-o OUTPUT] [INPUT]   (stdin/stdout by default)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "neuf_asm.h"

/*
 * Read all of @f into a NUL-terminated buffer, and its length, which a NUL
 * byte in the input makes differ from strlen(), into @len. NULL with errno
 * set on a read error or when out of memory.
 */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 0, want, n;
	char *buf = NULL, *p;

	*len = 0;
	do {
		if (*len + 1 >= cap) {
			if (cap > SIZE_MAX / 2) {
				errno = ENOMEM;
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			p = realloc(buf, cap);
			if (!p)
				goto fail;
			buf = p;
		}
		want = cap - *len - 1;
		errno = 0;
		n = fread(buf + *len, 1, want, f);
		*len += n;
	} while (n == want);	/* a short read: the end of the file, or an error */
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		goto fail;
	}
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

/*
 * The source is NUL-terminated text for neuf_assemble(): a NUL byte in it
 * would end the program there, unnoticed. Return the line it is on, or 0.
 */
static size_t nul_line(const char *src, size_t len)
{
	const char *nul = memchr(src, '\0', len);
	size_t line = 1;

	if (!nul)
		return 0;
	for (const char *c = src; c < nul; c++)
		line += *c == '\n';
	return line;
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f, "usage: %s [--hex] [-o OUTPUT] [INPUT]\n", argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hex", no_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in_name = "-", *out_name = "-";
	struct neuf_asm_program prog;
	FILE *in = stdin, *out = stdout;
	bool hex = false, written = true, regular = false;
	char err[256], *src;
	size_t len, line;
	int opt, ret, write_err = 0;

	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'x':
			hex = true;
			break;
		case 'o':
			out_name = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "neuf-as: one input file at most\n");
		usage(stderr, argv[0]);
		return 2;
	}
	if (optind < argc)
		in_name = argv[optind];
	if (strcmp(in_name, "-") && !(in = fopen(in_name, "r"))) {
		fprintf(stderr, "neuf-as: %s: %s\n", in_name, strerror(errno));
		return 1;
	}
	src = read_all(in, &len);
	if (!src)
		fprintf(stderr, "neuf-as: %s: %s\n", in_name, strerror(errno));
	if (in != stdin)
		fclose(in);
	if (!src)
		return 1;
	line = nul_line(src, len);
	if (line) {
		fprintf(stderr, "neuf-as: %s: line %zu: NUL byte in the source\n",
			in_name, line);
		free(src);
		return 1;
	}

	ret = neuf_assemble(src, &prog, err, sizeof(err));
	free(src);
	if (ret) {
		fprintf(stderr, "neuf-as: %s: %s\n", in_name,
			ret == -EINVAL ? err : strerror(-ret));
		return 1;
	}

	if (strcmp(out_name, "-")) {
		struct stat st;

		out = fopen(out_name, hex ? "w" : "wb");
		if (!out) {
			fprintf(stderr, "neuf-as: %s: %s\n", out_name, strerror(errno));
			neuf_asm_program_free(&prog);
			return 1;
		}
		regular = !fstat(fileno(out), &st) && S_ISREG(st.st_mode);
	}
	errno = 0;
	for (size_t i = 0; i < prog.count && written; i++) {
		if (hex) {
			written = fprintf(out, "%016" PRIx64 "\n", prog.code[i]) > 0;
		} else {
			unsigned char b[8];

			for (int k = 0; k < 8; k++)
				b[k] = (unsigned char)(prog.code[i] >> (8 * k));
			written = fwrite(b, 1, sizeof(b), out) == sizeof(b);
		}
	}
	neuf_asm_program_free(&prog);
	/* Errors the buffer hid show at the flush in fclose(), stdout's too. */
	if (!written || ferror(out))
		write_err = errno ? errno : EIO;
	if (fclose(out) && !write_err)
		write_err = errno ? errno : EIO;
	if (write_err) {
		fprintf(stderr, "neuf-as: %s: %s\n", out_name, strerror(write_err));
		/* Leave no truncated program behind; a device file stays. */
		if (regular)
			remove(out_name);
		return 1;
	}
	return 0;
}

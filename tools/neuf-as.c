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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuf_asm.h"

static char *read_all(FILE *f)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			char *p = realloc(buf, cap * 2);

			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
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
	bool hex = false;
	char err[256], *src;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'x':
			hex = true;
			break;
		case 'o':
			out_name = optarg;
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [--hex] [-o OUTPUT] [INPUT]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc)
		in_name = argv[optind];
	if (strcmp(in_name, "-") && !(in = fopen(in_name, "r"))) {
		fprintf(stderr, "neuf-as: %s: %s\n", in_name, strerror(errno));
		return 1;
	}
	src = read_all(in);
	if (in != stdin)
		fclose(in);
	if (!src) {
		fprintf(stderr, "neuf-as: %s: cannot read\n", in_name);
		return 1;
	}

	ret = neuf_assemble(src, &prog, err, sizeof(err));
	free(src);
	if (ret) {
		fprintf(stderr, "neuf-as: %s: %s\n", in_name,
			ret == -EINVAL ? err : strerror(-ret));
		return 1;
	}

	if (strcmp(out_name, "-") && !(out = fopen(out_name, hex ? "w" : "wb"))) {
		fprintf(stderr, "neuf-as: %s: %s\n", out_name, strerror(errno));
		neuf_asm_program_free(&prog);
		return 1;
	}
	for (size_t i = 0; i < prog.count; i++) {
		if (hex) {
			fprintf(out, "%016" PRIx64 "\n", prog.code[i]);
		} else {
			unsigned char b[8];

			for (int k = 0; k < 8; k++)
				b[k] = (unsigned char)(prog.code[i] >> (8 * k));
			fwrite(b, 1, sizeof(b), out);
		}
	}
	neuf_asm_program_free(&prog);
	if (out != stdout ? fclose(out) : fflush(out)) {
		fprintf(stderr, "neuf-as: %s: %s\n", out_name, strerror(errno));
		return 1;
	}
	return 0;
}

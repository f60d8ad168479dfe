# SPDX-License-Identifier: MIT
#
# neuf: top-level build. `make help` lists the targets.

include tools/versions.sh

KERNEL ?= all
FILTER ?=
# FILTER as given, for a shell word in single quotes: a regex's "$" is not
# make's (make would read "a$|b" as "a", its variable "$|", and "b"), and
# a quote in it is escaped.
filter_arg = '$(subst ','\'',$(value FILTER))'
PREFIX ?= /usr/local
VERSION := 0.1.0

BUILD := build
CC ?= cc
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
# SANITIZE=address,undefined builds the userspace with those sanitizers
# (make check's sanitizer lane does, in build/asan).
SANITIZE ?=
SAN_CFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer)
# libdrm's flags: none, quietly, where it is missing (a GPU host building
# only the NVIDIA leg, which needs none).
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_CFLAGS) -Iuapi -Ilib \
	-Idrivers/gpu/drm/neuf/include -Idrivers/gpu/drm/neuf/vgpu \
	$(shell pkg-config --cflags libdrm 2>/dev/null)
DRM_LIBS = $(shell pkg-config --libs libdrm)

LIBNEUF := $(BUILD)/lib/libneuf.a $(BUILD)/lib/libneuf.so $(BUILD)/lib/libneuf.pc
IGT_LIB := $(BUILD)/igt-tests/lib/libigt-neuf.a
NEUF_IGT_LIB := $(BUILD)/igt-tests/lib/libneuf-igt.a
TESTS := $(patsubst %,$(BUILD)/%,$(shell sed 's/\#.*//' igt-tests/test-list.txt))
TOOLS := $(BUILD)/tools/neuf-info $(BUILD)/tools/neuf-as $(BUILD)/tools/neuf-demo \
	$(BUILD)/tools/neuf-bench $(BUILD)/tools/neuf-fuzz $(BUILD)/tools/neuf-stress
SELFTEST := $(BUILD)/igt-tests/lib/igt_selftest
# The tests run on IGT's own core where Debian's libigt.so.0 (intel-gpu-tools,
# which ships no headers: igt-tests/lib/igt_core.h declares its ABI) is
# installed, and on neuf's stand-in (igt-tests/lib/igt_core.c) where it is
# not; IGT_CORE=standin forces the stand-in. igt_selftest_libigt is the
# stand-in's self-test program on IGT's core, to hold both to one protocol.
LIBIGT := $(filter /%,$(shell $(CC) -print-file-name=libigt.so.0))
IGT_CORE ?= $(if $(LIBIGT),libigt,standin)
IGT_CORE_LIBS = $(if $(filter libigt,$(IGT_CORE)),-l:libigt.so.0,$(IGT_LIB))
SELFTEST_LIBIGT := $(if $(LIBIGT),$(BUILD)/igt-tests/lib/igt_selftest_libigt)
# IGT tests of userspace alone, run on the host rather than in the guests.
HOST_TESTS := $(BUILD)/igt-tests/neuf_asm $(BUILD)/igt-tests/neuf_float

# The NVIDIA leg (make check-nvidia): built where nvcc is, else skipped.
NVCC ?= $(or $(shell command -v nvcc 2>/dev/null),$(wildcard /usr/local/cuda/bin/nvcc))
# The toolkit's include/ beside its bin/, where nvcc is a link into it too
# (/usr/local/bin/nvcc -> /usr/local/cuda-13.0/bin/nvcc), and NVCC a path
# or a name on PATH.
CUDA_INC = $(dir $(realpath $(shell command -v $(firstword $(NVCC)) 2>/dev/null)))../include
# sm_75 (Turing, the oldest GPUs with HMM) to sm_90, and PTX for newer ones.
NVCC_ARCHS := 75 80 86 89 90
NVCC_FLAGS := $(foreach a,$(NVCC_ARCHS),-gencode arch=compute_$(a),code=sm_$(a)) \
	-gencode arch=compute_90,code=compute_90
CUDA_TESTS := $(if $(NVCC),$(BUILD)/igt-tests/neuf_svm_cuda $(BUILD)/tools/neuf-bench-nvidia)

.PHONY: all help deps userspace module debug-kernel check check-nvidia demo lint install clean mutants bisect-demo flakes coverage bench bench-nvidia stress igt-tree FORCE

all: userspace

help:
	@echo "make deps          install build and test dependencies (root, Debian)"
	@echo "make               build libneuf, the IGT tests and the tools"
	@echo "make check         build and test on every kernel: debian-6.12, debian-6.1, debug,"
	@echo "                   and asan: the userspace with ASan and UBSan on debian-6.12"
	@echo "                   KERNEL=NAME[,NAME...] or KERNEL=/path/to/linux (any tree);"
	@echo "                   also perf (no checkers) and kcsan (data races), not in the set"
	@echo "                   FILTER=REGEX runs only matching igt@BIN@SUBTEST"
	@echo "make check-nvidia  the shared SVM subtests on this host's NVIDIA GPU (CUDA, HMM)"
	@echo "                   into build/results/nvidia (FILTER= as for check)"
	@echo "make demo          boot a guest and run the demo (KERNEL= as for check)"
	@echo "make module        build neuf.ko for KERNEL (default: all)"
	@echo "tools/neuf-bisect  find the kernel commit that broke SVM (--help)"
	@echo "make mutants       planted mm regressions: neuf's and hmm-tests' kill rates"
	@echo "                   (MUTANTS=NAME,... for some; FILTER= as for check; hours)"
	@echo "make bisect-demo   neuf-bisect finds a planted regression in a 31-commit history"
	@echo "make flakes        boot each kernel RUNS=10 times, count failures per subtest"
	@echo "                   (KERNEL=, FILTER= as for check)"
	@echo "make coverage      line and branch coverage of neuf.ko by the suite (gcov kernel)"
	@echo "make bench         neuf's fault path against test_hmm and the CPU, one debug"
	@echo "                   boot (BENCH_SIZES=, BENCH_RUNS=, BENCH_ABLATION=0; about an hour)"
	@echo "make bench-nvidia  P1/P3/P4 on this host's NVIDIA GPU (CUDA, HMM) beside neuf's"
	@echo "                   latest figures (BENCH_SIZES=, BENCH_RUNS=, BENCH_SAMPLES=, BENCH_ONLY=;"
	@echo "                   BENCH_TIMEOUT=SECONDS stops it, default 1800)"
	@echo "make stress        fuzzer, mm churn, OOM, hangs, unbind, isolation and allocation"
	@echo "                   failures in one debug boot, one table (STRESS_PARTS=,"
	@echo "                   STRESS_SIZES=, STRESS_SEED=; KERNEL= as for check)"
	@echo "make debug-kernel  build and cache the debug kernel"
	@echo "make lint          checkpatch --strict, sparse, kernel-doc, coccicheck; the userspace"
	@echo "                   built by clang and by gcc -fanalyzer"
	@echo "make install       install libneuf and its pkg-config file under PREFIX"
	@echo "make igt-tree IGT_SRC=DIR  put the tests into an IGT checkout (tests/neuf/)"

deps:
	@tools/deps.sh

userspace: deps
	@$(MAKE) --no-print-directory userspace-build

.PHONY: userspace-build
userspace-build: $(LIBNEUF) $(TESTS) $(TOOLS) $(SELFTEST) $(SELFTEST_LIBIGT) $(HOST_TESTS) \
		$(CUDA_TESTS)
	@$(if $(NVCC),:,echo "nvcc not found: the NVIDIA leg (neuf_svm_cuda, neuf-bench-nvidia) is not built")

# libneuf
LIB_HEADERS := lib/libneuf.h lib/neuf_asm.h uapi/drm/neuf_drm.h drivers/gpu/drm/neuf/include/neuf_isa.h

$(BUILD)/lib/%.o: lib/%.c $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

LIB_OBJS := $(BUILD)/lib/libneuf.o $(BUILD)/lib/neuf_asm.o

$(BUILD)/lib/libneuf.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/lib/libneuf.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libneuf.so.0 -o $@ $^ $(DRM_LIBS)

# The pkg-config file names PREFIX: remade when PREFIX changes, so that
# make install PREFIX=DIR after a build for another prefix points at DIR.
$(BUILD)/lib/prefix: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@

$(BUILD)/lib/libneuf.pc: lib/libneuf.pc.in $(BUILD)/lib/prefix
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PREFIX)/lib|' \
	    -e 's|@INCLUDEDIR@|$(PREFIX)/include|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# IGT stand-in and tests. They build with the warnings IGT's meson.build adds
# to -Wall -Wextra, so that they build as cleanly in IGT's tree (tests/neuf/),
# and like IGT with -Wno-clobbered: subtests are left through siglongjmp by
# design, and state that must survive a failed subtest lives in static storage.
# As IGT's meson (cc.get_supported_arguments()), each only where $(CC) knows
# it: clang has neither -Wlogical-op nor -Wclobbered. A -Wno-X is kept where
# -WX is known.
IGT_WARN := $(shell for f in -Wbad-function-cast -Wdeclaration-after-statement \
	-Wformat=2 -Wlogical-op -Wmissing-declarations -Wmissing-format-attribute \
	-Wmissing-noreturn -Wmissing-prototypes -Wnested-externs -Wold-style-definition \
	-Wredundant-decls -Wshadow -Wstrict-prototypes -Wno-clobbered; do \
	echo 'int x;' | $(CC) -Werror $$(echo $$f | sed 's/^-Wno-/-W/') -x c -c - \
		-o /dev/null 2>/dev/null && printf '%s ' $$f; done)
IGT_CFLAGS = $(ALL_CFLAGS) $(IGT_WARN) -Iigt-tests/lib

$(BUILD)/igt-tests/lib/%.o: igt-tests/lib/%.c igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -c $< -o $@

$(IGT_LIB): $(BUILD)/igt-tests/lib/igt_core.o
	$(AR) rcs $@ $^

# Which core the tests were linked with: they relink when it changes.
IGT_CORE_STAMP := $(BUILD)/igt-tests/lib/core
$(IGT_CORE_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(IGT_CORE)' | cmp -s - $@ || echo '$(IGT_CORE)' > $@

# neuf's own test helpers (as IGT's per-driver lib/ helpers); those over
# libneuf are in neuf_igt_device.o, which a test of another GPU never pulls
# out of the archive.
NEUF_IGT_OBJS := $(BUILD)/igt-tests/lib/neuf_igt.o $(BUILD)/igt-tests/lib/neuf_igt_device.o
$(NEUF_IGT_OBJS): $(BUILD)/igt-tests/lib/%.o: igt-tests/lib/%.c igt-tests/lib/*.h $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -c $< -o $@

# The SVM scenarios and the backends they run on (svm_backend.h).
SVM_OBJS := $(BUILD)/igt-tests/lib/kernel_files.o \
	$(BUILD)/igt-tests/lib/svm_backend.o $(BUILD)/igt-tests/lib/svm_backend_neuf.o \
	$(BUILD)/igt-tests/lib/svm_kernels_neuf.o $(BUILD)/igt-tests/lib/svm_mem.o \
	$(BUILD)/igt-tests/lib/svm_scenarios.o

$(NEUF_IGT_LIB): $(NEUF_IGT_OBJS) $(SVM_OBJS)
	$(AR) rcs $@ $^

# The CUDA backend: the driver is dlopen()ed, so only cuda.h is needed here.
$(BUILD)/igt-tests/lib/svm_backend_cuda.o: igt-tests/lib/svm_backend_cuda.c igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -isystem $(CUDA_INC) -c $< -o $@

$(BUILD)/igt-tests/lib/svm_kernels.fatbin: igt-tests/lib/svm_kernels.cu
	@mkdir -p $(@D)
	$(NVCC) --fatbin $(NVCC_FLAGS) -o $@ $<

$(BUILD)/igt-tests/lib/svm_kernels_fatbin.o: igt-tests/lib/svm_kernels_fatbin.S \
		$(BUILD)/igt-tests/lib/svm_kernels.fatbin
	$(CC) -c -DSVM_FATBIN='"$(BUILD)/igt-tests/lib/svm_kernels.fatbin"' $< -o $@

CUDA_OBJS := $(BUILD)/igt-tests/lib/svm_backend_cuda.o $(BUILD)/igt-tests/lib/svm_kernels_fatbin.o
# What neuf_svm_cuda takes of neuf's test helpers: the scenarios and what
# they use, none of which includes a libdrm or libneuf header (IGT's
# meson.build calls them neuf_svm_common). Named rather than pulled out of
# $(NEUF_IGT_LIB), whose neuf backend and neuf_igt_device.o need libdrm's
# headers to build.
CUDA_IGT_OBJS := $(addprefix $(BUILD)/igt-tests/lib/,neuf_igt.o kernel_files.o svm_backend.o \
	svm_mem.o svm_scenarios.o)

# Without libneuf or libdrm, and on the stand-in core even where libigt is
# installed: it runs on NVIDIA hosts, which have no IGT, needing only libc,
# and builds on them without libdrm's headers.
$(BUILD)/igt-tests/neuf_svm_cuda: igt-tests/neuf_svm_cuda.c $(CUDA_OBJS) $(CUDA_IGT_OBJS) \
		$(IGT_LIB) igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) $< $(CUDA_OBJS) $(CUDA_IGT_OBJS) -o $@ \
		$(IGT_LIB) -pthread -ldl

# The benchmarks (make bench, make bench-nvidia) and the measurement
# helpers they share: explicit rules, so that the generic one of the tools
# does not take them. neuf-bench-nvidia is the CUDA backend without IGT.
BENCH_UTIL_SRC := tools/bench/bench_util.c
BENCH_UTIL_DEPS := $(BENCH_UTIL_SRC) tools/bench/bench_util.h

$(BUILD)/tools/neuf-bench: tools/neuf-bench.c $(BENCH_UTIL_DEPS) $(BUILD)/lib/libneuf.a \
		$(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itools/bench $< $(BENCH_UTIL_SRC) -o $@ \
		$(BUILD)/lib/libneuf.a $(DRM_LIBS)

$(BUILD)/tools/neuf-bench-nvidia: tools/neuf-bench-nvidia.c $(CUDA_OBJS) \
		$(BUILD)/igt-tests/lib/svm_backend.o igt-tests/lib/*.h $(BENCH_UTIL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iigt-tests/lib -Itools/bench $< $(BENCH_UTIL_SRC) $(CUDA_OBJS) \
		$(BUILD)/igt-tests/lib/svm_backend.o -o $@ -ldl

$(BUILD)/igt-tests/%: igt-tests/%.c $(NEUF_IGT_LIB) $(IGT_LIB) $(IGT_CORE_STAMP) \
		$(BUILD)/lib/libneuf.a igt-tests/lib/*.h $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) $< -o $@ $(NEUF_IGT_LIB) $(IGT_CORE_LIBS) \
		$(BUILD)/lib/libneuf.a $(DRM_LIBS) -pthread

# The soft-float test links the model's float code, built for the host.
NEUF_FLOAT_SRC := drivers/gpu/drm/neuf/vgpu/neuf_model_float.c
$(BUILD)/igt-tests/neuf_float: igt-tests/neuf_float.c $(NEUF_FLOAT_SRC) \
		drivers/gpu/drm/neuf/vgpu/neuf_model_float.h $(IGT_LIB) $(IGT_CORE_STAMP) \
		igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -DNEUF_FLOAT_HOST $< \
		$(NEUF_FLOAT_SRC) -o $@ $(IGT_CORE_LIBS) -lm

# The device's float opcodes are checked against that same code.
$(BUILD)/igt-tests/neuf_fpu: igt-tests/neuf_fpu.c $(NEUF_FLOAT_SRC) \
		drivers/gpu/drm/neuf/vgpu/neuf_model_float.h $(NEUF_IGT_LIB) $(IGT_LIB) \
		$(IGT_CORE_STAMP) $(BUILD)/lib/libneuf.a igt-tests/lib/*.h $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -DNEUF_FLOAT_HOST $< \
		$(NEUF_FLOAT_SRC) -o $@ $(NEUF_IGT_LIB) $(IGT_CORE_LIBS) $(BUILD)/lib/libneuf.a \
		$(DRM_LIBS)

# The ioctl fuzzer: a tool (make stress) and an IGT test (its short form).
FUZZ_SRC := tools/fuzz/neuf_fuzz.c
FUZZ_DEPS := $(FUZZ_SRC) tools/fuzz/neuf_fuzz.h $(BUILD)/lib/libneuf.a $(LIB_HEADERS)

$(BUILD)/tools/neuf-fuzz: tools/neuf-fuzz.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -pthread -Itools/fuzz $< $(FUZZ_SRC) -o $@ \
		$(BUILD)/lib/libneuf.a $(DRM_LIBS)

$(BUILD)/igt-tests/neuf_fuzz: igt-tests/neuf_fuzz.c $(FUZZ_DEPS) $(NEUF_IGT_LIB) $(IGT_LIB) \
		$(IGT_CORE_STAMP) igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -pthread -Itools/fuzz $< $(FUZZ_SRC) \
		-o $@ $(NEUF_IGT_LIB) $(IGT_CORE_LIBS) $(BUILD)/lib/libneuf.a $(DRM_LIBS)

# The other stress parts: a tool (make stress) and an IGT test (short forms).
# The stress parts run the SVM scenarios' neuf kernels on VMs of their own.
STRESS_SRC := $(wildcard tools/stress/*.c) igt-tests/lib/svm_kernels_neuf.c \
	igt-tests/lib/kernel_files.c
STRESS_DEPS := $(STRESS_SRC) $(wildcard tools/stress/*.h) $(BUILD)/lib/libneuf.a $(LIB_HEADERS) \
	igt-tests/lib/svm_backend.h igt-tests/lib/svm_backend_neuf.h igt-tests/lib/kernel_files.h

$(BUILD)/tools/neuf-stress: tools/neuf-stress.c $(STRESS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -pthread -Itools/stress -Iigt-tests/lib $< $(STRESS_SRC) -o $@ \
		$(BUILD)/lib/libneuf.a $(DRM_LIBS)

$(BUILD)/igt-tests/neuf_stress: igt-tests/neuf_stress.c $(STRESS_DEPS) $(NEUF_IGT_LIB) $(IGT_LIB) \
		$(IGT_CORE_STAMP) igt-tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(IGT_CFLAGS) -pthread -Itools/stress $< $(STRESS_SRC) \
		-o $@ $(NEUF_IGT_LIB) $(IGT_CORE_LIBS) $(BUILD)/lib/libneuf.a $(DRM_LIBS)

$(SELFTEST): igt-tests/lib/selftest/igt_selftest.c $(IGT_LIB) igt-tests/lib/*.h
	$(CC) $(IGT_CFLAGS) $< -o $@ $(IGT_LIB)

$(BUILD)/igt-tests/lib/igt_selftest_libigt: igt-tests/lib/selftest/igt_selftest.c igt-tests/lib/*.h
	$(CC) $(IGT_CFLAGS) $< -o $@ -l:libigt.so.0

# The compiler and its flags: everything compiled is remade when they change
# (make CC=clang after a build with cc, SANITIZE=). Archives and libneuf.so follow
# their objects.
COMPILER_STAMP := $(BUILD)/compiler
$(COMPILER_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS) $(SAN_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(SAN_CFLAGS)' > $@

$(LIB_OBJS) $(BUILD)/igt-tests/lib/igt_core.o $(NEUF_IGT_OBJS) $(SVM_OBJS) $(CUDA_OBJS) \
	$(TESTS) $(TOOLS) $(SELFTEST) $(SELFTEST_LIBIGT) $(HOST_TESTS) $(CUDA_TESTS): $(COMPILER_STAMP)

# tools
$(BUILD)/tools/%: tools/%.c $(BUILD)/lib/libneuf.a $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(BUILD)/lib/libneuf.a $(DRM_LIBS)

# kernel side
module: deps
	@for k in $$(bash -c ". tools/kernels.sh; neuf_kernels $(KERNEL)"); do \
		tools/build-module.sh $$k || exit 1; done

debug-kernel: deps
	@tools/kernel/build-debug-kernel.sh

# The sanitizer lane (KERNEL=all, or asan in the list) runs the same tests
# built with ASan and UBSan: build/asan, made here (tools/check.sh).
comma := ,
CHECK_ASAN := $(filter all asan,$(subst $(comma), ,$(KERNEL)))
check: userspace
	@$(if $(CHECK_ASAN),$(MAKE) --no-print-directory BUILD=build/asan \
		SANITIZE=address$(comma)undefined userspace-build)
	@tools/check.sh $(KERNEL) $(filter_arg)

# The NVIDIA leg builds its two binaries only: a GPU host needs no make
# deps (root, Debian), QEMU, kernels or libdrm, only a compiler and nvcc.
# Without nvcc the scripts say that nothing was built.
check-nvidia: $(CUDA_TESTS)
	@tools/check-nvidia.sh $(filter_arg)

demo: userspace
	@tools/demo.sh $(KERNEL)

MUTANTS ?=
mutants: userspace
	@tools/neuf-mutants $(if $(MUTANTS),--only '$(MUTANTS)') $(if $(value FILTER),--filter $(filter_arg))

coverage: userspace
	@tools/coverage.sh $(filter_arg)

stress: userspace
	@tools/stress.sh $(if $(filter-out all,$(KERNEL)),$(KERNEL),debug)

bench: userspace
	@tools/bench.sh $(if $(filter-out all,$(KERNEL)),$(KERNEL),debug)

bench-nvidia: $(CUDA_TESTS)
	@tools/bench-nvidia.sh

bisect-demo: userspace
	@tools/neuf-bisect-demo $(if $(MUTANT),--mutant '$(MUTANT)') $(if $(value FILTER),--filter $(filter_arg))

flakes: userspace
	@tools/neuf-flakes --kernel '$(KERNEL)' --runs '$(or $(RUNS),10)' --filter $(filter_arg)

lint: deps
	@tools/lint.sh

install: userspace
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/drm
	install -m 644 $(BUILD)/lib/libneuf.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/lib/libneuf.so $(DESTDIR)$(PREFIX)/lib/libneuf.so.0
	ln -sf libneuf.so.0 $(DESTDIR)$(PREFIX)/lib/libneuf.so
	install -m 644 $(BUILD)/lib/libneuf.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 lib/libneuf.h lib/neuf_asm.h drivers/gpu/drm/neuf/include/neuf_isa.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 uapi/drm/neuf_drm.h $(DESTDIR)$(PREFIX)/include/drm/

igt-tree:
	@test -n "$(IGT_SRC)" || { echo "usage: make igt-tree IGT_SRC=DIR" >&2; exit 2; }
	tools/igt-tree.sh $(IGT_SRC)

FORCE:

clean:
	rm -rf $(BUILD)
	$(MAKE) -C /lib/modules/$(NEUF_DEBIAN_KREL)/build M=$(CURDIR)/drivers/gpu/drm/neuf clean 2>/dev/null || true

// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * A stand-in for NVIDIA's libcuda.so.1, for the host test of the CUDA
 * backend's skip path (host-tests.py, cuda-skip-reasons): the backend
 * loads it through $NEUF_LIBCUDA and must skip with the right reason for
 * each system it describes. It exports the entry points the backend looks
 * up, with the CUDA driver API's ABI; the environment says what system it
 * plays:
 *
 *   FAKE_CUDA_INIT      what cuInit() returns (default 0, CUDA_SUCCESS;
 *                       100 is CUDA_ERROR_NO_DEVICE)
 *   FAKE_CUDA_COUNT     how many GPUs cuDeviceGetCount() reports (default 1)
 *   FAKE_CUDA_PAGEABLE  CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS (default 0)
 *
 * A GPU with pageable memory access gets as far as its context, which this
 * stand-in cannot make: CUDA_ERROR_NOT_SUPPORTED. It never runs a kernel.
 */
#include <stdlib.h>
#include <string.h>

#define FAKE_SUCCESS 0
#define FAKE_ERROR_NO_DEVICE 100
#define FAKE_ERROR_NOT_SUPPORTED 801
#define FAKE_ATTR_CC_MAJOR 75
#define FAKE_ATTR_CC_MINOR 76
#define FAKE_ATTR_PAGEABLE 88

/* The ABI's types: CUresult and CUdevice are int, handles are pointers. */
typedef int fake_result;

static int env_int(const char *name, int fallback)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : fallback;
}

fake_result cuInit(unsigned int flags);
fake_result cuDriverGetVersion(int *version);
fake_result cuDeviceGetCount(int *count);
fake_result cuDeviceGet(int *dev, int ordinal);
fake_result cuDeviceGetName(char *name, int len, int dev);
fake_result cuDeviceGetAttribute(int *value, int attr, int dev);
fake_result cuDevicePrimaryCtxRetain(void **ctx, int dev);
fake_result cuDevicePrimaryCtxRelease_v2(int dev);
fake_result cuDevicePrimaryCtxReset_v2(int dev);
fake_result cuCtxSetCurrent(void *ctx);
fake_result cuCtxSynchronize(void);
fake_result cuModuleLoadData(void **mod, const void *image);
fake_result cuModuleUnload(void *mod);
fake_result cuModuleGetFunction(void **fn, void *mod, const char *name);
fake_result cuLaunchKernel(void *f, unsigned int gx, unsigned int gy,
			   unsigned int gz, unsigned int bx, unsigned int by,
			   unsigned int bz, unsigned int shared, void *stream,
			   void **params, void **extra);
fake_result cuGetErrorName(fake_result error, const char **name);

fake_result cuInit(unsigned int flags)
{
	(void)flags;
	return env_int("FAKE_CUDA_INIT", FAKE_SUCCESS);
}

fake_result cuDriverGetVersion(int *version)
{
	*version = 13000;
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetCount(int *count)
{
	*count = env_int("FAKE_CUDA_COUNT", 1);
	return FAKE_SUCCESS;
}

fake_result cuDeviceGet(int *dev, int ordinal)
{
	if (ordinal >= env_int("FAKE_CUDA_COUNT", 1))
		return FAKE_ERROR_NO_DEVICE;
	*dev = ordinal;
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetName(char *name, int len, int dev)
{
	(void)dev;
	strncpy(name, "Fake GPU", (size_t)len);
	return FAKE_SUCCESS;
}

fake_result cuDeviceGetAttribute(int *value, int attr, int dev)
{
	(void)dev;
	switch (attr) {
	case FAKE_ATTR_CC_MAJOR:
		*value = 7;
		break;
	case FAKE_ATTR_CC_MINOR:
		*value = 5;
		break;
	case FAKE_ATTR_PAGEABLE:
		*value = env_int("FAKE_CUDA_PAGEABLE", 0);
		break;
	default:
		*value = 0;
	}
	return FAKE_SUCCESS;
}

fake_result cuDevicePrimaryCtxRetain(void **ctx, int dev)
{
	(void)ctx;
	(void)dev;
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuDevicePrimaryCtxRelease_v2(int dev)
{
	(void)dev;
	return FAKE_SUCCESS;
}

fake_result cuDevicePrimaryCtxReset_v2(int dev)
{
	(void)dev;
	return FAKE_SUCCESS;
}

fake_result cuCtxSetCurrent(void *ctx)
{
	(void)ctx;
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuCtxSynchronize(void)
{
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuModuleLoadData(void **mod, const void *image)
{
	(void)mod;
	(void)image;
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuModuleUnload(void *mod)
{
	(void)mod;
	return FAKE_SUCCESS;
}

fake_result cuModuleGetFunction(void **fn, void *mod, const char *name)
{
	(void)fn;
	(void)mod;
	(void)name;
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuLaunchKernel(void *f, unsigned int gx, unsigned int gy,
			   unsigned int gz, unsigned int bx, unsigned int by,
			   unsigned int bz, unsigned int shared, void *stream,
			   void **params, void **extra)
{
	(void)f;
	(void)gx;
	(void)gy;
	(void)gz;
	(void)bx;
	(void)by;
	(void)bz;
	(void)shared;
	(void)stream;
	(void)params;
	(void)extra;
	return FAKE_ERROR_NOT_SUPPORTED;
}

fake_result cuGetErrorName(fake_result error, const char **name)
{
	switch (error) {
	case FAKE_SUCCESS:
		*name = "CUDA_SUCCESS";
		break;
	case FAKE_ERROR_NO_DEVICE:
		*name = "CUDA_ERROR_NO_DEVICE";
		break;
	case FAKE_ERROR_NOT_SUPPORTED:
		*name = "CUDA_ERROR_NOT_SUPPORTED";
		break;
	default:
		*name = "CUDA_ERROR_UNKNOWN";
	}
	return FAKE_SUCCESS;
}

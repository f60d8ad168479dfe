// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright 2026 The neuf authors
 */

#define CREATE_TRACE_POINTS
#include "neuf_trace.h"

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the benchmarks under bench/ share: clocks, medians, printing every
 * setting of an element and the machine, stopping a pipeline. Only the
 * benchmarks link it.
 */
#ifndef __SEECITV_BENCH_COMMON_H__
#define __SEECITV_BENCH_COMMON_H__

#include <gst/gst.h>
#include <time.h>

G_BEGIN_DECLS

gint64 clock_ns (clockid_t id);

gdouble median_ms (const gint64 * values, gint n);

/* Returns a newly allocated string for @value, at most about 400 bytes. */
gchar * value_string (const GValue * value);

/* Prints every readable property of @element; writable ones that differ
 * from a new instance of the same factory (the harness set them, or the
 * element changed them itself) are marked. */
void print_element_settings (GstElement * element);

/* Returns a newly allocated string: the first "model name" of
 * /proc/cpuinfo, or "unknown". */
gchar * cpu_model (void);

/* Returns a newly allocated string: /proc/loadavg without its newline. */
gchar * load_average (void);

/* What an in-place filter pays for a buffer whose memory the harness also
 * holds: mapping it writable copies the memory (copy-on-write). */
GstPadProbeReturn cow_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data);

void stop_pipeline (GstElement * pipeline, gpointer user_data);

const gchar * verdict (gboolean pass);

G_END_DECLS

#endif /* __SEECITV_BENCH_COMMON_H__ */

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The retention policy as pure logic (GLib only): given the clip files of
 * a directory, which go now and why. Listing the directory, deleting keys
 * and files and posting messages are seecitvsink's
 * (gst/seecitv/seecitvsinkretention.c). Tested in
 * tests/check/libs/retention.c. Also the one file check retention and
 * the command line share: whether a live writer holds a clip file.
 */
#ifndef __SEECITV_RETENTION_H__
#define __SEECITV_RETENTION_H__

#include <glib.h>

G_BEGIN_DECLS

/* A temporary file untouched this long (ns) is a crash's leftover. */
#define SEECITV_RETENTION_STALE_AGE (G_GUINT64_CONSTANT (600000000000))

/**
 * SeecitvRetentionCandidate:
 * @path: the file (owned)
 * @mtime: its modification time, µs since the epoch
 * @size: bytes
 * @disk: bytes on disk
 * @recent: closed by this element since it started
 * @stale: a temporary file left by a crash
 * @closed: monotonic µs when it closed, if @recent
 * @reason: (nullable): set by seecitv_retention_choose(): "retention",
 *   "max-size" or "disk-full" (static strings)
 */
typedef struct
{
  gchar *path;
  gint64 mtime;
  guint64 size;
  guint64 disk;
  gboolean recent;
  gboolean stale;
  gint64 closed;
  const gchar *reason;
} SeecitvRetentionCandidate;

void seecitv_retention_candidate_free (SeecitvRetentionCandidate * c);
/* A GPtrArray that frees its candidates. */
GPtrArray *seecitv_retention_candidates_new (void);
/* Oldest first: files from before we started by modification time, then
 * ours in the order they closed. */
void seecitv_retention_sort (GPtrArray * cands);
/* Sets @reason on what goes now, @cands sorted oldest first: older than
 * @retention ns (0: no limit), then the oldest while all take more than
 * @max_size bytes (0: no limit; the newest is always kept), then the
 * oldest until @avail plus what was freed reaches @need_free bytes.
 * @now_wall, @now_mono: g_get_real_time(), g_get_monotonic_time(). */
void seecitv_retention_choose (GPtrArray * cands, guint64 retention,
    guint64 max_size, guint64 need_free, guint64 avail, gint64 now_wall,
    gint64 now_mono);

/* Opens @path (never through a symbolic link) and takes its flock()
 * without waiting, exclusive when @exclusive: returns the descriptor that
 * holds it (the caller closes it), or -1 with errno set (EWOULDBLOCK: a
 * live seecitvcryptsink writes it, as it holds the file it writes
 * locked). */
int seecitv_retention_lock_file (const gchar * path, gboolean exclusive);

/* TRUE when another open file description holds @path flock()ed: a live
 * seecitvcryptsink writing it. */
gboolean seecitv_retention_file_is_live (const gchar * path);

G_END_DECLS

#endif /* __SEECITV_RETENTION_H__ */

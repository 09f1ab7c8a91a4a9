/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The retention policy (see retention.h): pure logic over a list of
 * candidates, no file system access.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "retention.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define NS_PER_US 1000

void
seecitv_retention_candidate_free (SeecitvRetentionCandidate * c)
{
  g_free (c->path);
  g_free (c);
}

GPtrArray *
seecitv_retention_candidates_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_retention_candidate_free);
}

static gint
compare_candidates (gconstpointer a, gconstpointer b)
{
  const SeecitvRetentionCandidate *x = *(SeecitvRetentionCandidate **) a;
  const SeecitvRetentionCandidate *y = *(SeecitvRetentionCandidate **) b;
  gint64 tx, ty;

  if (x->recent != y->recent)
    return x->recent ? 1 : -1;
  tx = x->recent ? x->closed : x->mtime;
  ty = y->recent ? y->closed : y->mtime;
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return strcmp (x->path, y->path);
}

void
seecitv_retention_sort (GPtrArray * cands)
{
  g_ptr_array_sort (cands, compare_candidates);
}

void
seecitv_retention_choose (GPtrArray * cands, guint64 retention,
    guint64 max_size, guint64 need_free, guint64 avail, gint64 now_wall,
    gint64 now_mono)
{
  guint64 total = 0, freed = 0;
  gint newest = -1;
  guint i;

  for (i = 0; i < cands->len; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];
    gint64 age = c->recent ? now_mono - c->closed : now_wall - c->mtime;

    age = CLAMP (age, 0, G_MAXINT64 / NS_PER_US);
    if (c->stale) {
      /* Left by a crash: only by age, and only long untouched (another
       * process may be writing it; it syncs far more often). */
      if (retention > 0 && (guint64) age * NS_PER_US > MAX (retention,
              SEECITV_RETENTION_STALE_AGE))
        c->reason = "retention";
    } else if (retention > 0 && (guint64) age * NS_PER_US > retention) {
      c->reason = "retention";
      freed += c->disk;
    } else {
      total += c->size;
      newest = i;
    }
  }
  for (i = 0; max_size > 0 && total > max_size && (gint) i < newest; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];

    if (c->reason != NULL || c->stale)
      continue;
    c->reason = "max-size";
    total -= c->size;
    freed += c->disk;
  }
  for (i = 0; need_free > 0 && avail + freed < need_free &&
      i < cands->len; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];

    if (c->reason != NULL || c->stale)
      continue;
    c->reason = "disk-full";
    freed += c->disk;
  }
}

int
seecitv_retention_lock_file (const gchar * path, gboolean exclusive)
{
  int fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  if (flock (fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    int saved = errno;

    close (fd);
    errno = saved;
    return -1;
  }
  return fd;
}

gboolean
seecitv_retention_file_is_live (const gchar * path)
{
  int fd = seecitv_retention_lock_file (path, FALSE);

  if (fd < 0)
    return errno == EWOULDBLOCK;
  close (fd);
  return FALSE;
}

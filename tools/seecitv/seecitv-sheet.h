/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `seecitv sheet`: a contact sheet PNG of one clip (tools/seecitv/sheet.c).
 * The command line is at the end of tools/seecitv/sheet.c.
 */
#ifndef __SEECITV_SHEET_H__
#define __SEECITV_SHEET_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * SeecitvSheetOptions:
 * @keystore, @passphrase_file: as seecitvdecrypt's properties
 * @clip: the clip file
 * @output: the PNG to write (created by the caller)
 * @columns, @thumbs: grid of @thumbs thumbnails, @columns per row
 * @thumb_width: thumbnail width in pixels (even); the height follows the
 *   clip's display aspect ratio
 *
 * The sheet is a grid of thumbnails taken evenly across the clip, each
 * SEECITV_SHEET_GAP pixels apart and from the edges, then a motion strip
 * SEECITV_SHEET_STRIP_HEIGHT pixels high across the whole clip (red where
 * seecitvmotion found motion, grey elsewhere, a white tick at each
 * thumbnail's time), then a gap: width = columns * (thumb_width + GAP) +
 * GAP, height = rows * (thumb_height + GAP) + STRIP_HEIGHT + 2 * GAP.
 */
typedef struct
{
  const gchar *keystore;
  const gchar *passphrase_file;
  const gchar *clip;
  const gchar *output;
  guint columns;
  guint thumbs;
  guint thumb_width;
} SeecitvSheetOptions;

#define SEECITV_SHEET_GAP 4
#define SEECITV_SHEET_STRIP_HEIGHT 16

/**
 * SeecitvSheetResult:
 * @width, @height: of the PNG
 * @thumbs: thumbnails placed (fewer than asked for a clip with fewer frames)
 * @duration: the clip's duration, nanoseconds
 * @motion: total motion time, nanoseconds
 * @motion_runs: motion start/end pairs found
 * @motion_available: whether seecitvmotion ran (the opencv plugin is
 *   present); without it the strip is all grey
 */
typedef struct
{
  guint width;
  guint height;
  guint thumbs;
  guint64 duration;
  guint64 motion;
  guint motion_runs;
  gboolean motion_available;
} SeecitvSheetResult;

gboolean seecitv_sheet_make (const SeecitvSheetOptions * opts,
    SeecitvSheetResult * result, GError ** error);

G_END_DECLS

#endif /* __SEECITV_SHEET_H__ */

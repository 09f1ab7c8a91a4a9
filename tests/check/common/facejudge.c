/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The measures of facejudge.h: a separable Gaussian on a float copy of the
 * region (replicated at the frame's edges, and three sigmas of real
 * neighbours elsewhere, so that the blur near the inner box is exact), a
 * Pearson correlation, and a count of changed pixels.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "facejudge.h"

#include <math.h>

FaceSceneBox
face_judge_inner (const FaceSceneBox * box, gdouble fraction)
{
  FaceSceneBox r;

  r.width = MAX (1, (gint) (box->width * fraction + 0.5));
  r.height = MAX (1, (gint) (box->height * fraction + 0.5));
  r.x = box->x + (box->width - r.width) / 2;
  r.y = box->y + (box->height - r.height) / 2;
  return r;
}

FaceSceneBox
face_judge_grow (const FaceSceneBox * box, gdouble factor)
{
  return face_judge_inner (box, factor);
}

static void
clip (const FaceSceneBox * b, gint width, gint height, gint * x0, gint * y0,
    gint * x1, gint * y1)
{
  *x0 = CLAMP (b->x, 0, width);
  *y0 = CLAMP (b->y, 0, height);
  *x1 = CLAMP (b->x + b->width, 0, width);
  *y1 = CLAMP (b->y + b->height, 0, height);
}

gdouble
face_judge_visible (const FaceSceneBox * box, gint width, gint height)
{
  gint x0, y0, x1, y1;

  if (box->width <= 0 || box->height <= 0)
    return 0;
  clip (box, width, height, &x0, &y0, &x1, &y1);
  if (x1 <= x0 || y1 <= y0)
    return 0;
  return (gdouble) (x1 - x0) * (y1 - y0) / ((gdouble) box->width *
      box->height);
}

/* The luma of (x0, y0)-(x1, y1) minus its Gaussian blur of @sigma, into
 * @hp (w * h floats). The blur reads up to 3 sigma beyond the region
 * (replicating the frame's edge pixels). */
static void
high_pass (const GstVideoFrame * f, gint x0, gint y0, gint x1, gint y1,
    gdouble sigma, gfloat * hp)
{
  gint width = GST_VIDEO_FRAME_COMP_WIDTH (f, 0);
  gint height = GST_VIDEO_FRAME_COMP_HEIGHT (f, 0);
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  gint r = (gint) ceil (3 * sigma);
  gint w = x1 - x0, h = y1 - y0;
  gint pw = w + 2 * r, ph = h + 2 * r;
  gfloat *kernel = g_new (gfloat, 2 * r + 1);
  gfloat *src = g_new (gfloat, (gsize) pw * ph);
  gfloat *tmp = g_new (gfloat, (gsize) w * ph);
  gdouble sum = 0;

  for (gint i = -r; i <= r; i++)
    sum += kernel[i + r] = (gfloat) exp (-(gdouble) i * i / (2 * sigma *
            sigma));
  for (gint i = 0; i <= 2 * r; i++)
    kernel[i] /= (gfloat) sum;

  for (gint y = 0; y < ph; y++) {
    gint sy = CLAMP (y0 - r + y, 0, height - 1);
    for (gint x = 0; x < pw; x++)
      src[(gsize) y * pw + x] = data[(gsize) sy * stride +
          CLAMP (x0 - r + x, 0, width - 1)];
  }
  /* horizontal: every padded row, the region's columns */
  for (gint y = 0; y < ph; y++)
    for (gint x = 0; x < w; x++) {
      const gfloat *s = src + (gsize) y * pw + x;
      gfloat acc = 0;
      for (gint k = 0; k <= 2 * r; k++)
        acc += kernel[k] * s[k];
      tmp[(gsize) y * w + x] = acc;
    }
  /* vertical, then subtract from the original */
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      gfloat acc = 0;
      for (gint k = 0; k <= 2 * r; k++)
        acc += kernel[k] * tmp[(gsize) (y + k) * w + x];
      hp[(gsize) y * w + x] = src[(gsize) (y + r) * pw + x + r] - acc;
    }
  g_free (tmp);
  g_free (src);
  g_free (kernel);
}

gboolean
face_judge_detail (const GstVideoFrame * in, const GstVideoFrame * out,
    const FaceSceneBox * face, gdouble * corr)
{
  FaceSceneBox inner = face_judge_inner (face, 0.7);
  gint x0, y0, x1, y1, n;
  gdouble sigma = MAX (1.0, face->width / 40.0);
  gdouble sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, va, vb;
  gfloat *a, *b;

  clip (&inner, GST_VIDEO_FRAME_COMP_WIDTH (in, 0),
      GST_VIDEO_FRAME_COMP_HEIGHT (in, 0), &x0, &y0, &x1, &y1);
  if (x1 - x0 < 4 || y1 - y0 < 4)
    return FALSE;
  n = (x1 - x0) * (y1 - y0);
  a = g_new (gfloat, n);
  b = g_new (gfloat, n);
  high_pass (in, x0, y0, x1, y1, sigma, a);
  high_pass (out, x0, y0, x1, y1, sigma, b);
  for (gint i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
    saa += (gdouble) a[i] * a[i];
    sbb += (gdouble) b[i] * b[i];
    sab += (gdouble) a[i] * b[i];
  }
  g_free (a);
  g_free (b);
  va = saa - sa * sa / n;
  vb = sbb - sb * sb / n;
  /* a variance below 1e-3 level^2 per pixel is flat: nothing survives */
  if (va <= 1e-3 * n || vb <= 1e-3 * n)
    *corr = 0;
  else
    *corr = (sab - sa * sb / n) / sqrt (va * vb);
  return TRUE;
}

void
face_judge_count_changed (const GstVideoFrame * in, const GstVideoFrame * out,
    const FaceSceneBox * region, const FaceSceneBox * exclude,
    guint n_exclude, guint64 * changed, guint64 * total)
{
  gint width = GST_VIDEO_FRAME_COMP_WIDTH (in, 0);
  gint height = GST_VIDEO_FRAME_COMP_HEIGHT (in, 0);
  const guint8 *da = GST_VIDEO_FRAME_PLANE_DATA (in, 0);
  const guint8 *db = GST_VIDEO_FRAME_PLANE_DATA (out, 0);
  gint sa = GST_VIDEO_FRAME_PLANE_STRIDE (in, 0);
  gint sb = GST_VIDEO_FRAME_PLANE_STRIDE (out, 0);
  gint x0 = 0, y0 = 0, x1 = width, y1 = height;

  if (region)
    clip (region, width, height, &x0, &y0, &x1, &y1);
  for (gint y = y0; y < y1; y++) {
    const guint8 *ra = da + (gsize) y * sa, *rb = db + (gsize) y * sb;
    for (gint x = x0; x < x1; x++) {
      gboolean skip = FALSE;
      for (guint e = 0; e < n_exclude && !skip; e++)
        skip = x >= exclude[e].x && x < exclude[e].x + exclude[e].width &&
            y >= exclude[e].y && y < exclude[e].y + exclude[e].height;
      if (skip)
        continue;
      (*total)++;
      if (ABS ((gint) ra[x] - (gint) rb[x]) > FACE_JUDGE_CHANGED)
        (*changed)++;
    }
  }
}

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The OpenCV side of seecitvcv.h: the motion detector, the pixel work of
 * redaction and the debug drawing (face detection is in seecitvcvfaces.cpp).
 * Every exported function catches cv::Exception and anything else and turns
 * it into a GError; no C++ exception crosses into C. Frame memory is only
 * ever wrapped with its real stride. No GStreamer here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvcv.h"
#include "seecitvcv-private.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <vector>

G_DEFINE_QUARK (seecitv-cv-error-quark, seecitv_cv_error);

bool
seecitv_cv_check_image (int width, int height, int stride, int channels,
    GError ** error)
{
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4 ||
      stride < width * channels) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "invalid image %dx%d, %d channels, stride %d", width, height,
        channels, stride);
    return false;
  }
  return true;
}


struct ZoneCopy
{
  std::vector<cv::Point2d> points;
  int threshold;
};

struct _SeecitvCvMotion
{
  /* configuration, copied in configure () */
  int analysis_height;
  int threshold;
  double min_area;
  double lighting_threshold;
  double learning_rate;
  std::vector<std::vector<cv::Point2d>> mask;
  std::vector<ZoneCopy> zones;
  bool maps_dirty;

  /* state for the current frame size */
  int width;
  int height;
  int factor;
  cv::Mat small;                /* analysed luma, CV_8U */
  cv::Mat blurred;
  cv::Mat background;           /* CV_32F running average */
  cv::Mat background8;
  cv::Mat diff;
  cv::Mat changed;              /* 255 where changed */
  cv::Mat threshold_map;        /* per-pixel threshold, CV_8U */
  cv::Mat zone_map;             /* 0 or zone index + 1, CV_8U */
  cv::Mat labels, stats, centroids;
  cv::Mat kernel;
  bool have_background;

  std::vector<SeecitvCvRegion> regions;
};

static std::vector<cv::Point2d>
copy_polygon (const SeecitvPolygon * polygon)
{
  std::vector<cv::Point2d> points;

  for (guint i = 0; i < polygon->n_points; i++)
    points.push_back (cv::Point2d (polygon->points[i].x,
            polygon->points[i].y));
  return points;
}

/* Sub-pixel bits for fillPoly/polylines. */
#define SHIFT 4

/* Normalised polygon to pixel coordinates of a width x height image (1.0 is
 * the far edge), with SHIFT bits of sub-pixel precision. */
static std::vector<cv::Point>
to_pixels (const std::vector<cv::Point2d> & points, int width, int height)
{
  std::vector<cv::Point> out;

  for (const cv::Point2d & p : points)
    out.push_back (cv::Point (cvRound (p.x * width * (1 << SHIFT)),
            cvRound (p.y * height * (1 << SHIFT))));
  return out;
}

/* OpenCV's own worker threads split one detector run or one resize over
 * every core. On a recorder that is all cost and no gain: each camera
 * already has its own streaming thread, a run fits in the look-ahead on one
 * core, and the workers' hand-overs and spinning cost a third more CPU than
 * the work itself (bench/redact.sh scenes: busy 1080p15 frames, 27 ms of
 * CPU per frame with OpenCV's default pool on 2 cores, 19 ms with one
 * thread, same wall time). So the first handle the adapter makes turns
 * OpenCV's parallel loops off for the process, unless the user chose for
 * it with OpenCV's own OPENCV_FOR_THREADS_NUM, which is then left to OpenCV.
 * This is the adapter's one piece of process-wide state (docs/elements.md,
 * "Threads"). */
void
seecitv_cv_one_thread (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    if (g_getenv ("OPENCV_FOR_THREADS_NUM") == NULL)
      cv::setNumThreads (1);
    g_once_init_leave (&done, 1);
  }
}

gint
seecitv_cv_threads (void)
{
  return cv::getNumThreads ();
}

SeecitvCvMotion *
seecitv_cv_motion_new (void)
{
  SeecitvCvMotion *m = new SeecitvCvMotion ();

  seecitv_cv_one_thread ();

  m->analysis_height = 180;
  m->threshold = 30;
  m->min_area = 0.001;
  m->lighting_threshold = 0.5;
  m->learning_rate = 0.05;
  m->maps_dirty = true;
  m->width = m->height = 0;
  m->factor = 1;
  m->have_background = false;
  return m;
}

void
seecitv_cv_motion_free (SeecitvCvMotion * motion)
{
  delete motion;
}

void
seecitv_cv_motion_reset (SeecitvCvMotion * motion)
{
  motion->have_background = false;
}

gboolean
seecitv_cv_motion_configure (SeecitvCvMotion * m,
    const SeecitvCvMotionConfig * config, GError ** error)
{
  if (config->analysis_height < 8 || config->n_zones > SEECITV_CV_MAX_ZONES
      || config->learning_rate <= 0.0 || config->learning_rate > 1.0) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "invalid motion configuration");
    return FALSE;
  }

  SEECITV_CV_TRY {
    if (config->analysis_height != m->analysis_height)
      m->width = m->height = 0;       /* new analysis size: re-learn */
    m->analysis_height = config->analysis_height;
    m->threshold = CLAMP (config->threshold, 0, 255);
    m->min_area = config->min_area;
    m->lighting_threshold = config->lighting_threshold;
    m->learning_rate = config->learning_rate;
    m->mask.clear ();
    for (guint i = 0; i < config->n_mask; i++)
      m->mask.push_back (copy_polygon (&config->mask[i]));
    m->zones.clear ();
    for (guint i = 0; i < config->n_zones; i++) {
      ZoneCopy z;
      z.points = copy_polygon (config->zones[i].polygon);
      z.threshold = CLAMP (config->zones[i].threshold, 0, 255);
      m->zones.push_back (z);
    }
    m->maps_dirty = true;
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "motion configuration");
}

/* Called when the maps no longer match the configuration or frame size. */
static void
build_maps (SeecitvCvMotion * m, int w, int h)
{
  m->threshold_map.create (h, w, CV_8U);
  m->threshold_map.setTo (cv::Scalar (m->threshold));
  m->zone_map = cv::Mat::zeros (h, w, CV_8U);

  for (size_t i = 0; i < m->zones.size (); i++) {
    std::vector<std::vector<cv::Point>> poly (1,
        to_pixels (m->zones[i].points, w, h));
    cv::fillPoly (m->threshold_map, poly, cv::Scalar (m->zones[i].threshold),
        cv::LINE_8, SHIFT);
    cv::fillPoly (m->zone_map, poly, cv::Scalar ((double) i + 1),
        cv::LINE_8, SHIFT);
  }
  /* The mask is applied last so that it wins over every zone. */
  for (const std::vector<cv::Point2d> & p : m->mask) {
    std::vector<std::vector<cv::Point>> poly (1, to_pixels (p, w, h));
    cv::fillPoly (m->threshold_map, poly, cv::Scalar (255), cv::LINE_8, SHIFT);
  }
  m->maps_dirty = false;
}

/* Decimates the frame by m->factor into m->small (luma). Only one row in
 * `factor` is read at all (a strided view), and that row is reduced
 * horizontally by linear interpolation (two neighbours per output pixel,
 * vectorised in OpenCV; INTER_AREA's exact average runs a scalar loop for
 * factors above 2 and cost three quarters of the element's time at 1080p).
 * The 5x5 Gaussian blur that follows does the smoothing the decimation
 * skips. Colour is turned into luma only after the decimation, on the small
 * image. */
static void
decimate (SeecitvCvMotion * m, const SeecitvCvImage * img)
{
  const int f = m->factor;
  const int out_w = img->width / f;
  const int out_h = img->height / f;
  const guint8 *first = img->data + (size_t) (f / 2) * img->stride;
  cv::Mat rows (out_h, out_w * f, CV_8UC (img->channels),
      const_cast < guint8 * >(first), (size_t) img->stride * f);

  if (img->channels == 1) {
    if (f == 1)
      rows.copyTo (m->small);
    else
      cv::resize (rows, m->small, cv::Size (out_w, out_h), 0, 0,
          cv::INTER_LINEAR);
    return;
  }

  cv::Mat packed;
  if (f == 1)
    packed = rows;
  else
    cv::resize (rows, packed, cv::Size (out_w, out_h), 0, 0,
        cv::INTER_LINEAR);

  cv::Mat weights (1, img->channels, CV_32F);
  for (int c = 0; c < img->channels; c++)
    weights.at < float >(0, c) = img->luma_weights[c];
  cv::transform (packed, m->small, weights);
}

/* A connected set of changed pixels, in analysis coordinates. */
struct Blob
{
  cv::Rect box;
  int area;
  guint64 zones;
};

/* Parts of one object often come apart: a uniform object that moves only
 * changes at its leading and trailing edges, and a ghost stays where it
 * stood. Blobs whose boxes come within this distance (about 8% of the
 * frame height) of each other are one region. */
static int
merge_distance (int h)
{
  return std::max (2, h / 12);
}

static void
merge_blobs (std::vector<Blob> & blobs, int distance)
{
  bool merged = true;

  while (merged) {
    merged = false;
    for (size_t i = 0; i < blobs.size (); i++) {
      cv::Rect grown (blobs[i].box.x - distance, blobs[i].box.y - distance,
          blobs[i].box.width + 2 * distance,
          blobs[i].box.height + 2 * distance);
      for (size_t j = i + 1; j < blobs.size (); j++) {
        if ((grown & blobs[j].box).area () == 0)
          continue;
        blobs[i].box |= blobs[j].box;
        blobs[i].area += blobs[j].area;
        blobs[i].zones |= blobs[j].zones;
        blobs.erase (blobs.begin () + j);
        merged = true;
        break;
      }
      if (merged)
        break;
    }
  }
}

static guint64
blob_zones (SeecitvCvMotion * m, const int *s, int label)
{
  guint64 zones = 0;

  if (m->zones.empty ())
    return 0;
  for (int y = s[cv::CC_STAT_TOP];
      y < s[cv::CC_STAT_TOP] + s[cv::CC_STAT_HEIGHT]; y++) {
    const int *lrow = m->labels.ptr < int >(y);
    const guint8 *zrow = m->zone_map.ptr < guint8 > (y);
    for (int x = s[cv::CC_STAT_LEFT];
        x < s[cv::CC_STAT_LEFT] + s[cv::CC_STAT_WIDTH]; x++) {
      if (lrow[x] == label && zrow[x] != 0)
        zones |= G_GUINT64_CONSTANT (1) << (zrow[x] - 1);
    }
  }
  return zones;
}

/* At most this many blobs are merged; a frame with more is noise or a
 * global change, and only the largest are kept. */
#define MAX_BLOBS 256

static void
find_regions (SeecitvCvMotion * m, int w, int h, double *score)
{
  int n, covered = 0;
  const double min_pixels = std::max (1.0, m->min_area * w * h);
  const double sx = (double) m->width / w;
  const double sy = (double) m->height / h;
  std::vector<Blob> blobs;

  /* An opening removes isolated changed pixels (sensor noise that survived
   * the blur); the dilation joins the parts of one moving object. */
  cv::erode (m->changed, m->diff, m->kernel);
  cv::dilate (m->diff, m->changed, m->kernel, cv::Point (-1, -1), 2);

  n = cv::connectedComponentsWithStats (m->changed, m->labels, m->stats,
      m->centroids, 8, CV_32S);

  for (int label = 1; label < n; label++) {
    const int *s = m->stats.ptr < int >(label);
    Blob b;

    b.box = cv::Rect (s[cv::CC_STAT_LEFT], s[cv::CC_STAT_TOP],
        s[cv::CC_STAT_WIDTH], s[cv::CC_STAT_HEIGHT]);
    b.area = s[cv::CC_STAT_AREA];
    b.zones = blob_zones (m, s, label);
    blobs.push_back (b);
  }
  if (blobs.size () > MAX_BLOBS) {
    std::partial_sort (blobs.begin (), blobs.begin () + MAX_BLOBS,
        blobs.end (), [](const Blob & a, const Blob & b) {
          return a.area > b.area;
        });
    blobs.resize (MAX_BLOBS);
  }
  merge_blobs (blobs, merge_distance (h));

  for (const Blob & b : blobs) {
    SeecitvCvRegion r;

    if (b.area < min_pixels)
      continue;
    r.x = (int) (b.box.x * sx);
    r.y = (int) (b.box.y * sy);
    r.width = std::min (m->width - r.x, (int) ceil (b.box.width * sx));
    r.height = std::min (m->height - r.y, (int) ceil (b.box.height * sy));
    r.score = std::min (1.0, (double) b.area / b.box.area ());
    r.zones = b.zones;
    covered += b.area;
    m->regions.push_back (r);
  }
  *score = (double) covered / ((double) w * h);
}

gboolean
seecitv_cv_motion_process (SeecitvCvMotion * m, const SeecitvCvImage * img,
    SeecitvCvMotionResult * result, GError ** error)
{
  memset (result, 0, sizeof (*result));
  m->regions.clear ();

  if (!seecitv_cv_check_image (img->width, img->height, img->stride, img->channels,
          error))
    return FALSE;

  SEECITV_CV_TRY {
    if (img->width != m->width || img->height != m->height) {
      m->width = img->width;
      m->height = img->height;
      m->factor = std::max (1, img->height / m->analysis_height);
      /* Keep at least 8 analysed columns for very narrow frames. */
      while (m->factor > 1 && img->width / m->factor < 8)
        m->factor--;
      m->have_background = false;
      m->maps_dirty = true;
      m->kernel = cv::getStructuringElement (cv::MORPH_RECT, cv::Size (3, 3));
    }

    decimate (m, img);
    const int w = m->small.cols, h = m->small.rows;

    if (m->maps_dirty)
      build_maps (m, w, h);

    cv::GaussianBlur (m->small, m->blurred, cv::Size (5, 5), 0);

    if (!m->have_background) {
      m->blurred.convertTo (m->background, CV_32F);
      m->have_background = true;
      result->learning = TRUE;
      return TRUE;
    }

    /* A global change is not motion: when too much of the frame differs
     * from the background, start again from this frame. */
    m->background.convertTo (m->background8, CV_8U);
    cv::absdiff (m->blurred, m->background8, m->diff);
    cv::compare (m->diff, m->threshold_map, m->changed, cv::CMP_GT);
    result->changed = (double) cv::countNonZero (m->changed) /
        ((double) w * h);
    if (result->changed > m->lighting_threshold) {
      m->blurred.convertTo (m->background, CV_32F);
      result->lighting = TRUE;
      result->learning = TRUE;
      return TRUE;
    }

    /* Below that, compensate a global gain change (auto exposure, dusk)
     * that the running average has not caught up with yet, so that a slow
     * ramp is not seen as change in the bright parts of the scene first. */
    const double mean_frame = cv::mean (m->blurred)[0];
    const double mean_background = cv::mean (m->background)[0];
    double gain = mean_background >= 1.0 ?
        mean_frame / mean_background : 1.0;
    gain = CLAMP (gain, 0.5, 2.0);
    if (fabs (gain - 1.0) > 0.01) {
      m->background.convertTo (m->background8, CV_8U, gain);
      cv::absdiff (m->blurred, m->background8, m->diff);
      cv::compare (m->diff, m->threshold_map, m->changed, cv::CMP_GT);
    }

    cv::accumulateWeighted (m->blurred, m->background, m->learning_rate);

    find_regions (m, w, h, &result->score);
    result->regions = m->regions.data ();
    result->n_regions = m->regions.size ();
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "motion analysis");
}

static cv::Mat
wrap_canvas (const SeecitvCvCanvas * canvas)
{
  return cv::Mat (canvas->height, canvas->width, CV_8UC (canvas->channels),
      canvas->data, (size_t) canvas->stride);
}

static cv::Scalar
to_scalar (const guint8 color[4])
{
  return cv::Scalar (color[0], color[1], color[2], color[3]);
}

gboolean
seecitv_cv_draw_rectangle (const SeecitvCvCanvas * canvas, gint x, gint y,
    gint width, gint height, const guint8 color[4], gint thickness,
    GError ** error)
{
  if (!seecitv_cv_check_image (canvas->width, canvas->height, canvas->stride,
          canvas->channels, error))
    return FALSE;

  SEECITV_CV_TRY {
    cv::Mat mat = wrap_canvas (canvas);
    cv::rectangle (mat, cv::Rect (x, y, width, height), to_scalar (color),
        thickness);
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "drawing");
}

gboolean
seecitv_cv_draw_polygon (const SeecitvCvCanvas * canvas,
    const SeecitvPolygon * polygon, const guint8 color[4], gint thickness,
    GError ** error)
{
  if (!seecitv_cv_check_image (canvas->width, canvas->height, canvas->stride,
          canvas->channels, error))
    return FALSE;

  SEECITV_CV_TRY {
    cv::Mat mat = wrap_canvas (canvas);
    std::vector<std::vector<cv::Point>> poly (1,
        to_pixels (copy_polygon (polygon), canvas->width, canvas->height));
    cv::polylines (mat, poly, true, to_scalar (color), thickness, cv::LINE_8,
        SHIFT);
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "drawing");
}

/* ---- redaction ---------------------------------------------------------- */

static cv::Mat
wrap_plane (const SeecitvCvPlane * p)
{
  return cv::Mat (p->height, p->width, CV_8UC (p->channels), p->data,
      (size_t) p->stride);
}

/* The plane area under frame box [x0, x1) x [y0, y1), rounded outwards. */
static cv::Rect
plane_rect (const SeecitvCvPlane * p, int x0, int y0, int x1, int y1)
{
  int sx = 1 << p->x_shift, sy = 1 << p->y_shift;
  cv::Rect r (x0 / sx, y0 / sy, (x1 + sx - 1) / sx - x0 / sx,
      (y1 + sy - 1) / sy - y0 / sy);

  return r & cv::Rect (0, 0, p->width, p->height);
}

/* Packed 4:2:2: make both luma bytes of each column equal. */
static void
equalize_luma_pair (const SeecitvCvPlane * p, cv::Mat & roi,
    const cv::Mat & mask)
{
  if (p->luma_pair[0] < 0)
    return;
  for (int y = 0; y < roi.rows; y++) {
    guint8 *row = roi.ptr < guint8 > (y);
    const guint8 *m = mask.empty ()? NULL : mask.ptr < guint8 > (y);
    for (int x = 0; x < roi.cols; x++) {
      guint8 *px = row + x * p->channels;
      if (m && !m[x])
        continue;
      guint8 v = (guint8) ((px[p->luma_pair[0]] + px[p->luma_pair[1]] + 1) / 2);
      px[p->luma_pair[0]] = px[p->luma_pair[1]] = v;
    }
  }
}

static void
redact_roi (const SeecitvCvPlane * p, cv::Mat roi, const cv::Mat & mask,
    SeecitvCvRedactMethod method, int block)
{
  const int bw = std::max (1, block >> p->x_shift);
  const int bh = std::max (1, block >> p->y_shift);

  switch (method) {
    case SEECITV_CV_REDACT_FILL:
      roi.setTo (cv::Scalar (p->fill[0], p->fill[1], p->fill[2], p->fill[3]),
          mask);
      return;
    case SEECITV_CV_REDACT_PIXELATE:
      for (int by = 0; by < roi.rows; by += bh) {
        for (int bx = 0; bx < roi.cols; bx += bw) {
          cv::Rect b (bx, by, std::min (bw, roi.cols - bx),
              std::min (bh, roi.rows - by));
          cv::Mat blk = roi (b);

          if (mask.empty ()) {
            blk.setTo (cv::mean (blk));
          } else {
            cv::Mat mb = mask (b);
            if (cv::countNonZero (mb) > 0)
              blk.setTo (cv::mean (blk, mb), mb);
          }
        }
      }
      break;
    case SEECITV_CV_REDACT_BLUR:{
      cv::Mat reduced, enlarged;
      cv::resize (roi, reduced, cv::Size (std::max (1, roi.cols / bw),
              std::max (1, roi.rows / bh)), 0, 0, cv::INTER_AREA);
      cv::resize (reduced, enlarged, roi.size (), 0, 0, cv::INTER_LINEAR);
      enlarged.copyTo (roi, mask);
      break;
    }
  }
  equalize_luma_pair (p, roi, mask);
}

static bool
check_frame (const SeecitvCvFrame * frame, GError ** error)
{
  if (frame->width <= 0 || frame->height <= 0 || frame->n_planes == 0 ||
      frame->n_planes > 4) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "invalid frame");
    return false;
  }
  for (guint i = 0; i < frame->n_planes; i++) {
    const SeecitvCvPlane *p = &frame->planes[i];
    if (!seecitv_cv_check_image (p->width, p->height, p->stride, p->channels, error))
      return false;
  }
  return true;
}

/* Even-aligned and clipped box; false when empty. */
static bool
align_box (const SeecitvCvFrame * frame, int &x0, int &y0, int &x1, int &y1)
{
  x0 = std::max (0, x0 & ~1);
  y0 = std::max (0, y0 & ~1);
  x1 = std::min (frame->width, (x1 + 1) & ~1);
  y1 = std::min (frame->height, (y1 + 1) & ~1);
  return x1 > x0 && y1 > y0;
}

gboolean
seecitv_cv_redact_rect (const SeecitvCvFrame * frame,
    SeecitvCvRedactMethod method, gint x, gint y, gint width, gint height,
    gint block, GError ** error)
{
  if (!check_frame (frame, error))
    return FALSE;

  SEECITV_CV_TRY {
    int x0 = x, y0 = y, x1 = x + width, y1 = y + height;

    if (width <= 0 || height <= 0 || !align_box (frame, x0, y0, x1, y1))
      return TRUE;
    block = std::max (2, (block + 1) & ~1);
    for (guint i = 0; i < frame->n_planes; i++) {
      const SeecitvCvPlane *p = &frame->planes[i];
      cv::Rect r = plane_rect (p, x0, y0, x1, y1);
      if (r.area () > 0)
        redact_roi (p, wrap_plane (p) (r), cv::Mat (), method, block);
    }
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "redaction");
}

gboolean
seecitv_cv_redact_polygon (const SeecitvCvFrame * frame,
    SeecitvCvRedactMethod method, const SeecitvPolygon * polygon,
    gint block, GError ** error)
{
  if (!check_frame (frame, error))
    return FALSE;

  SEECITV_CV_TRY {
    std::vector<cv::Point2d> pts;
    double minx = G_MAXDOUBLE, miny = G_MAXDOUBLE, maxx = -1, maxy = -1;

    for (guint i = 0; i < polygon->n_points; i++) {
      cv::Point2d q (polygon->points[i].x * frame->width,
          polygon->points[i].y * frame->height);
      pts.push_back (q);
      minx = std::min (minx, q.x);
      miny = std::min (miny, q.y);
      maxx = std::max (maxx, q.x);
      maxy = std::max (maxy, q.y);
    }
    int x0 = (int) floor (minx) - 1, y0 = (int) floor (miny) - 1;
    int x1 = (int) ceil (maxx) + 1, y1 = (int) ceil (maxy) + 1;
    if (pts.size () < 3 || !align_box (frame, x0, y0, x1, y1))
      return TRUE;
    block = std::max (2, (block + 1) & ~1);

    for (guint i = 0; i < frame->n_planes; i++) {
      const SeecitvCvPlane *p = &frame->planes[i];
      cv::Rect r = plane_rect (p, x0, y0, x1, y1);
      const double sx = 1 << p->x_shift, sy = 1 << p->y_shift;
      std::vector<std::vector<cv::Point>> poly (1);

      if (r.area () == 0)
        continue;
      for (const cv::Point2d & q : pts)
        poly[0].push_back (cv::Point (cvRound ((q.x / sx - r.x) * (1 <<
                        SHIFT)), cvRound ((q.y / sy - r.y) * (1 << SHIFT))));
      cv::Mat mask = cv::Mat::zeros (r.size (), CV_8U);
      cv::fillPoly (mask, poly, cv::Scalar (255), cv::LINE_8, SHIFT);
      /* A subsampled sample shared with any pixel of the polygon is
       * covered too, so that no colour of what is hidden survives. */
      if (p->x_shift || p->y_shift)
        cv::dilate (mask, mask, cv::Mat ());
      redact_roi (p, wrap_plane (p) (r), mask, method, block);
    }
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "redaction");
}

gboolean
seecitv_cv_hide_frame (const SeecitvCvFrame * frame, GError ** error)
{
  if (!check_frame (frame, error))
    return FALSE;

  SEECITV_CV_TRY {
    for (guint i = 0; i < frame->n_planes; i++) {
      const SeecitvCvPlane *p = &frame->planes[i];
      wrap_plane (p).setTo (cv::Scalar (p->fill[0], p->fill[1], p->fill[2],
              p->fill[3]));
    }
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "hiding a frame");
}

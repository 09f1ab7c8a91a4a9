/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The plain-C face of OpenCV for the seecitvopencv elements: opaque handles,
 * images described by (data, width, height, stride), errors as GErrors.
 * No C++ type appears here; every function catches cv::Exception and
 * anything else inside seecitvcv.cpp, the only C++ file of the tree.
 * Each element owns its handles. The one process-wide setting: the first
 * handle made turns OpenCV's parallel loops off (one thread) unless
 * OPENCV_FOR_THREADS_NUM is set; seecitv_cv_threads () says what OpenCV
 * uses.
 */
#ifndef __SEECITV_CV_H__
#define __SEECITV_CV_H__

#include <glib.h>
#include <seecitv/polygon.h>

G_BEGIN_DECLS

#define SEECITV_CV_ERROR (seecitv_cv_error_quark ())
GQuark seecitv_cv_error_quark (void);

typedef enum
{
  SEECITV_CV_ERROR_OPENCV,      /* OpenCV raised an exception */
  SEECITV_CV_ERROR_INVALID      /* bad arguments (size, stride, ...) */
} SeecitvCvError;

/* An image in caller-owned memory. Pixel (x, y), channel c is the byte at
 * data[y * stride + x * channels + c]. @luma_weights turn the channels into
 * luma: {1} for a luma plane, {1, 0} for YUY2, {0, 1} for UYVY,
 * {0.299, 0.587, 0.114, 0} for RGBx and so on. */
typedef struct
{
  const guint8 *data;
  gint width;
  gint height;
  gint stride;                  /* bytes from one row to the next */
  gint channels;                /* bytes per pixel, 1 to 4 */
  gfloat luma_weights[4];
} SeecitvCvImage;

/* The number of threads OpenCV's parallel loops use in this process. */
gint seecitv_cv_threads (void);

/* ---- motion ------------------------------------------------------------ */

typedef struct _SeecitvCvMotion SeecitvCvMotion;

#define SEECITV_CV_MAX_ZONES 64

typedef struct
{
  const SeecitvPolygon *polygon;
  gint threshold;               /* like SeecitvCvMotionConfig.threshold */
} SeecitvCvZone;

typedef struct
{
  /* The frame is decimated by the integer factor height / analysis_height
   * (at least 1), so the analysed height is close to analysis_height. */
  gint analysis_height;
  /* A pixel has changed when its blurred luma differs from the background
   * by more than this (0-255; 255 = never). */
  gint threshold;
  /* Smallest region kept, as a fraction of the frame. */
  gdouble min_area;
  /* More than this fraction of changed pixels at once is a global change
   * (lights, gain, IR cut): the background is re-learned. */
  gdouble lighting_threshold;
  /* Background update weight per analysed frame, (0, 1]. */
  gdouble learning_rate;
  /* Polygons where nothing counts as change. */
  const SeecitvPolygon *mask;
  guint n_mask;
  /* Polygons with their own threshold; where zones overlap the later one
   * wins. At most SEECITV_CV_MAX_ZONES. */
  const SeecitvCvZone *zones;
  guint n_zones;
} SeecitvCvMotionConfig;

typedef struct
{
  /* Bounding box in full-frame pixels. */
  gint x;
  gint y;
  gint width;
  gint height;
  /* Fraction of the box's analysed pixels that changed. */
  gdouble score;
  /* Bit i set: the region has changed pixels inside zone i. */
  guint64 zones;
} SeecitvCvRegion;

typedef struct
{
  /* Owned by the handle, valid until the next call on it. */
  const SeecitvCvRegion *regions;
  guint n_regions;
  /* Fraction of the analysed frame that changed (before min_area). */
  gdouble changed;
  /* Fraction of the analysed frame covered by the kept regions' changes. */
  gdouble score;
  /* TRUE when the frame only initialised the background (first frame, new
   * size, after a reset) or was a global change that re-learned it: no
   * region is reported for it. */
  gboolean learning;
  gboolean lighting;
} SeecitvCvMotionResult;

/* Returns a new detector (never NULL); free with seecitv_cv_motion_free (). */
SeecitvCvMotion *seecitv_cv_motion_new (void);
void seecitv_cv_motion_free (SeecitvCvMotion * motion);

/* Copies what it needs from @config (polygons included). Changing
 * analysis_height re-learns the background; other fields do not. */
gboolean seecitv_cv_motion_configure (SeecitvCvMotion * motion,
    const SeecitvCvMotionConfig * config, GError ** error);

/* Forgets the background: the next frame is learned. */
void seecitv_cv_motion_reset (SeecitvCvMotion * motion);

gboolean seecitv_cv_motion_process (SeecitvCvMotion * motion,
    const SeecitvCvImage * image, SeecitvCvMotionResult * result,
    GError ** error);

/* ---- faces ------------------------------------------------------------- */

typedef struct _SeecitvCvFaces SeecitvCvFaces;

typedef struct
{
  gint x;
  gint y;
  gint width;
  gint height;
  gdouble score;                /* detector confidence, 1 for cascades */
} SeecitvCvRect;

/* A colour view of a frame in caller-owned memory, for the detectors that
 * want colour. Component c (Y, U, V when @yuv, else R, G, B) of pixel
 * (x, y) is the byte at data[c][(y >> y_shift[c]) * stride[c] +
 * (x >> x_shift[c]) * pixel_stride[c]]. When @gray, only component 0 is
 * set and the frame is grey. */
typedef struct
{
  const guint8 *data[3];
  gint stride[3];
  gint pixel_stride[3];
  gint x_shift[3];
  gint y_shift[3];
  gboolean yuv;
  gboolean gray;
  gint width;
  gint height;
} SeecitvCvColorImage;

/* How far a region is from the faces it may hold. WIDE: a scene, where a
 * face may fill as little as a twentieth of the region's longer side;
 * CLOSE: a crop around one expected face, which fills about a fifth to
 * two thirds of it. */
typedef enum
{
  SEECITV_CV_FACES_WIDE,
  SEECITV_CV_FACES_CLOSE
} SeecitvCvFaceRange;

/* A face detector from a Haar or LBP cascade file (OpenCV XML). Returns
 * NULL and sets @error when the file is missing or not a cascade. */
SeecitvCvFaces *seecitv_cv_faces_new_cascade (const gchar * path,
    GError ** error);

/* A face detector from a DNN model file through cv::FaceDetectorYN (YuNet
 * ONNX). Returns NULL and sets @error when it cannot be loaded. */
SeecitvCvFaces *seecitv_cv_faces_new_model (const gchar * path,
    GError ** error);

/* MediaPipe BlazeFace through cv::dnn: @wide_path is the 256x256 "back"
 * (full-range) model used for WIDE regions, @close_path the 128x128
 * "front" model used for CLOSE ones (NULL: the wide model serves both).
 * Returns NULL and sets @error when a file is missing or is not a
 * BlazeFace model (its outputs are checked once at load). */
SeecitvCvFaces *seecitv_cv_faces_new_blazeface (const gchar * wide_path,
    const gchar * close_path, GError ** error);

void seecitv_cv_faces_free (SeecitvCvFaces * faces);

/* Short name of the detector: "blazeface", "cascade" or "yunet". */
const gchar *seecitv_cv_faces_kind (SeecitvCvFaces * faces);

/* The side, in pixels, of the square a region of @range is scaled to (and
 * letterboxed in) before the detector sees it. A face must be about a
 * twentieth of this side (WIDE) to be found; callers tile large areas so
 * that the smallest face they want is big enough after scaling. */
gint seecitv_cv_faces_input_size (SeecitvCvFaces * faces,
    SeecitvCvFaceRange range);

/* Finds faces on the luma of @image, scaled down to about @detect_height
 * rows (never up), ignoring faces smaller than @min_size full-frame pixels.
 * On success, *@faces (owned by the handle, valid until the next call)
 * holds *@n_faces boxes in full-frame pixels. */
gboolean seecitv_cv_faces_detect (SeecitvCvFaces * faces,
    const SeecitvCvImage * image, gint detect_height, gint min_size,
    const SeecitvCvRect ** found, guint * n_found, GError ** error);

/* Finds faces inside the box (@x, @y, @width, @height) of @image (clipped
 * to the frame), scaled to the detector's input for @range, keeping those
 * scoring at least @threshold (CNNs; cascades report 1). On success,
 * *@found (owned by the handle, valid until the next call on it) holds
 * *@n_found boxes in full-frame pixels, clipped to the frame. */
gboolean seecitv_cv_faces_detect_region (SeecitvCvFaces * faces,
    const SeecitvCvColorImage * image, gint x, gint y, gint width,
    gint height, SeecitvCvFaceRange range, gdouble threshold,
    const SeecitvCvRect ** found, guint * n_found, GError ** error);

/* Area-averages the box (@x, @y, @width, @height) of the luma of @image
 * into @out (@out_width x @out_height bytes, rows packed): a thumbnail that
 * sensor noise barely moves, for telling whether a region changed. */
gboolean seecitv_cv_thumbnail (const SeecitvCvImage * image, gint x, gint y,
    gint width, gint height, guint8 * out, gint out_width, gint out_height,
    GError ** error);

/* ---- redaction ---------------------------------------------------------- */

typedef enum
{
  SEECITV_CV_REDACT_PIXELATE,
  SEECITV_CV_REDACT_BLUR,
  SEECITV_CV_REDACT_FILL
} SeecitvCvRedactMethod;

/* One plane of a frame, as the redaction sees it. A frame x coordinate X
 * is plane column X >> x_shift, row Y is plane row Y >> y_shift. Packed
 * 4:2:2 (YUY2, UYVY) is one plane of 4-byte columns (two pixels each,
 * x_shift 1) whose two luma bytes are at @luma_pair[0] and [1]; they are
 * made equal inside redacted areas so that blocks are uniform. Otherwise
 * luma_pair is {-1, -1}. */
typedef struct
{
  guint8 *data;
  gint width;                   /* columns */
  gint height;
  gint stride;
  gint channels;                /* bytes per column, 1 to 4 */
  gint x_shift;
  gint y_shift;
  guint8 fill[4];               /* per channel, for FILL and hidden frames */
  gint luma_pair[2];
} SeecitvCvPlane;

typedef struct
{
  const SeecitvCvPlane *planes;
  guint n_planes;
  gint width;                   /* frame width in pixels */
  gint height;
} SeecitvCvFrame;

/* Redacts a box of the frame (full-frame pixels; clipped to the frame, and
 * widened to even coordinates so that subsampled planes are covered). For
 * PIXELATE the block edge is @block pixels (rounded up to even) from the
 * box's corner; for BLUR the box is reduced to blocks of @block pixels and
 * smoothly enlarged back, so no detail finer than a block survives. */
gboolean seecitv_cv_redact_rect (const SeecitvCvFrame * frame,
    SeecitvCvRedactMethod method, gint x, gint y, gint width, gint height,
    gint block, GError ** error);

/* The same over a polygon in normalised coordinates (x * width, y * height
 * in pixels). @block as above. */
gboolean seecitv_cv_redact_polygon (const SeecitvCvFrame * frame,
    SeecitvCvRedactMethod method, const SeecitvPolygon * polygon,
    gint block, GError ** error);

/* Fills every plane with its fill value. */
gboolean seecitv_cv_hide_frame (const SeecitvCvFrame * frame,
    GError ** error);

/* ---- drawing (debug overlays) ----------------------------------------- */

/* Writable image: same layout rules as SeecitvCvImage. @color holds one byte
 * per channel. */
typedef struct
{
  guint8 *data;
  gint width;
  gint height;
  gint stride;
  gint channels;
} SeecitvCvCanvas;

gboolean seecitv_cv_draw_rectangle (const SeecitvCvCanvas * canvas,
    gint x, gint y, gint width, gint height, const guint8 color[4],
    gint thickness, GError ** error);

/* Outlines a polygon given in normalised coordinates. */
gboolean seecitv_cv_draw_polygon (const SeecitvCvCanvas * canvas,
    const SeecitvPolygon * polygon, const guint8 color[4], gint thickness,
    GError ** error);

G_END_DECLS

#endif /* __SEECITV_CV_H__ */

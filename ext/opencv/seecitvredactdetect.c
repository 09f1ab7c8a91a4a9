/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The face-finding side of seecitvredact (see seecitvredactdetect.h): the
 * jobs run on each new frame, tracing new faces back through the held
 * frames, and the frame views handed to the OpenCV adapter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvredactdetect.h"
#include "seecitvredactscan.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (seecitv_redact_debug);
#define GST_CAT_DEFAULT seecitv_redact_debug

/* A crop around a tracked face is this many times the face's size, so
 * that the face fills about the share the close detector wants even after
 * moving for a few frames. */
#define CROP_FACTOR 2.5
#define CROP_MIN 48
/* Tracing a new face back stops after this many held frames in a row
 * without it (it was not there yet). */
#define TRACE_MISSES 2
/* Frames before its first sighting that a face is covered anyway: a face
 * the trace lost for a frame is still inside. */
#define LEAD_FRAMES 2
/* Thumbnail pixels (8x8 averages) moving by more than this many luma
 * levels change a tile: far above averaged sensor noise, far below what a
 * face appearing does. */
#define CHANGE_THRESHOLD 10
/* At most this many moving regions get a crop per frame. */
#define MAX_MOTION_CROPS 3
/* The second detector looks at a crop this many times a face's size. */
#define SECOND_CROP 5.0
/* A new face the wide detector scores at least this is one; below, the
 * close detector must find it too. */
#define SURE_SCORE 0.8

struct _SeecitvDetect
{
  SeecitvCvFaces *faces;
  SeecitvCvFaces *second;
  SeecitvDetectSettings s;
  GstVideoInfo info;
  gboolean have_info;

  SeecitvScan *scan;            /* NULL until configured */
  guint *due;                   /* scratch, n_tiles */
  guint64 *last_scan;           /* per tile: newest frame looked at */
  gboolean *scanned;            /* per tile: looked at since the reset */
  guint64 first;                /* frame number of the first since reset */
  gboolean fresh;               /* nothing seen since the reset */
  SeecitvTracks *tracks;
  gboolean motion_upstream;
  guint64 last_motion_crop;
  gint tile_side;               /* of the finest scan tiles */

  SeecitvDetectStats stats;
};

SeecitvDetect *
seecitv_detect_new (SeecitvCvFaces * faces, SeecitvCvFaces * second)
{
  SeecitvDetect *d = g_new0 (SeecitvDetect, 1);

  d->faces = faces;
  d->second = second;
  d->tracks = seecitv_tracks_new ();
  d->fresh = TRUE;
  return d;
}

void
seecitv_detect_free (SeecitvDetect * d)
{
  if (d == NULL)
    return;
  seecitv_cv_faces_free (d->faces);
  if (d->second)
    seecitv_cv_faces_free (d->second);
  seecitv_scan_free (d->scan);
  g_free (d->due);
  g_free (d->last_scan);
  g_free (d->scanned);
  seecitv_tracks_free (d->tracks);
  g_free (d);
}

const gchar *
seecitv_detect_kind (SeecitvDetect * d)
{
  return seecitv_cv_faces_kind (d->faces);
}

/* The smallest face, in pixels of its input, each detector finds
 * reliably (BlazeFace's back model: score 0.7 at 17 px, measured on
 * astronaut.png's face scaled down; cascades: their 24 px window). */
static gint
input_face (SeecitvDetect * d)
{
  const gchar *kind = seecitv_cv_faces_kind (d->faces);

  if (g_str_equal (kind, "blazeface"))
    return 17;
  if (g_str_equal (kind, "yunet"))
    return 12;
  return 24;
}

void
seecitv_detect_reset (SeecitvDetect * d)
{
  guint n = d->scan ? seecitv_scan_n_tiles (d->scan) : 0;

  if (d->scan)
    seecitv_scan_forget (d->scan);
  for (guint i = 0; i < n; i++) {
    d->scanned[i] = FALSE;
    d->last_scan[i] = 0;
  }
  seecitv_tracks_clear (d->tracks);
  d->fresh = TRUE;
  d->last_motion_crop = 0;
}

void
seecitv_detect_configure (SeecitvDetect * d, const GstVideoInfo * info,
    const SeecitvDetectSettings * s)
{
  gboolean rescan = !d->have_info || !gst_video_info_is_equal (info,
      &d->info) || s->interval != d->s.interval ||
      s->min_face != d->s.min_face;
  guint n;

  d->s = *s;
  if (!rescan)
    return;
  d->info = *info;
  d->have_info = TRUE;
  seecitv_scan_free (d->scan);
  d->scan = seecitv_scan_new (GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), s->min_face,
      seecitv_cv_faces_input_size (d->faces, SEECITV_CV_FACES_WIDE),
      input_face (d), s->interval);
  n = seecitv_scan_n_tiles (d->scan);
  d->tile_side = MAX (seecitv_scan_tile (d->scan, 0)->w,
      seecitv_scan_tile (d->scan, 0)->h);
  g_free (d->due);
  g_free (d->last_scan);
  g_free (d->scanned);
  d->due = g_new0 (guint, n);
  d->last_scan = g_new0 (guint64, n);
  d->scanned = g_new0 (gboolean, n);
  GST_DEBUG ("%s detector, %u scan tiles over %d frames",
      seecitv_detect_kind (d), n, s->interval);
  seecitv_detect_reset (d);
}

void
seecitv_detect_set_motion_upstream (SeecitvDetect * d, gboolean upstream)
{
  d->motion_upstream = upstream;
}

/* The colour view of a mapped frame, as the adapter wants it. */
static void
color_image (GstVideoFrame * frame, SeecitvCvColorImage * img)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint n = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3;

  memset (img, 0, sizeof (*img));
  img->width = GST_VIDEO_FRAME_WIDTH (frame);
  img->height = GST_VIDEO_FRAME_HEIGHT (frame);
  img->gray = n == 1;
  img->yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (finfo);
  for (gint c = 0; c < n; c++) {
    img->data[c] = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    img->stride[c] = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    img->pixel_stride[c] = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
    img->x_shift[c] = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    img->y_shift[c] = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
  }
}

/* The luma of a mapped frame, for thumbnails. */
static void
luma_image (GstVideoFrame * frame, SeecitvCvImage * image)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;

  memset (image, 0, sizeof (*image));
  image->width = GST_VIDEO_FRAME_WIDTH (frame);
  image->height = GST_VIDEO_FRAME_HEIGHT (frame);
  image->data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  image->stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  image->channels = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0);

  if (GST_VIDEO_FORMAT_INFO_IS_YUV (finfo) ||
      GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo)) {
    image->luma_weights[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 0)] = 1.0f;
  } else {
    image->luma_weights[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 0)] = 0.299f;
    image->luma_weights[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 1)] = 0.587f;
    image->luma_weights[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 2)] = 0.114f;
  }
}

/* One detector call; counted. */
static gboolean
run (SeecitvDetect * d, const SeecitvCvColorImage * img, const SeecitvBox * r,
    SeecitvCvFaceRange range, const SeecitvCvRect ** found, guint * n_found)
{
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  ok = seecitv_cv_faces_detect_region (d->faces, img, r->x, r->y, r->w,
      r->h, range, d->s.threshold, found, n_found, &error);
  d->stats.runs++;
  d->stats.run_us += g_get_monotonic_time () - start;
  GST_LOG ("%s run on %dx%d at %d,%d: %" G_GINT64_FORMAT " us",
      range == SEECITV_CV_FACES_WIDE ? "wide" : "close", r->w, r->h, r->x,
      r->y, g_get_monotonic_time () - start);
  if (!ok) {
    GST_WARNING ("detection failed: %s", error->message);
    g_error_free (error);
    return FALSE;
  }
  d->stats.faces += *n_found;
  return TRUE;
}

static void
to_box (const SeecitvCvRect * r, SeecitvBox * b)
{
  b->x = r->x;
  b->y = r->y;
  b->w = r->width;
  b->h = r->height;
}

/* A square crop around @face, CROP_FACTOR times its size. */
static void
crop_around (const SeecitvBox * face, SeecitvBox * crop)
{
  gint side = MAX (CROP_MIN, (gint) (MAX (face->w, face->h) * CROP_FACTOR));

  crop->x = face->x + face->w / 2 - side / 2;
  crop->y = face->y + face->h / 2 - side / 2;
  crop->w = side;
  crop->h = side;
}

static gboolean
map_read (SeecitvDetect * d, SeecitvHeld * h, GstVideoFrame * frame)
{
  return gst_video_frame_map (frame, &d->info, h->buffer,
      GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF);
}

/* The best face of @found for the expected box @e (overlapping it, or
 * holding its centre), or -1. */
static gint
best_match (const SeecitvCvRect * found, guint n, const SeecitvBox * e)
{
  gdouble best = 0.0;
  gint pick = -1;

  for (guint i = 0; i < n; i++) {
    SeecitvBox b;
    gdouble iou;
    gint cx, cy;

    to_box (&found[i], &b);
    iou = seecitv_box_iou (&b, e);
    cx = b.x + b.w / 2;
    cy = b.y + b.h / 2;
    if (iou == 0.0 && e->x <= cx && cx < e->x + e->w && e->y <= cy &&
        cy < e->y + e->h)
      iou = 0.01;
    if (iou > best) {
      best = iou;
      pick = i;
    }
  }
  return pick;
}

/* Follows a face first seen on @from at @box back through the older held
 * frames, as far as it is found. */
static void
trace_back (SeecitvDetect * d, GQueue * held, guint64 from,
    const SeecitvBox * box)
{
  SeecitvBox e = *box;
  guint misses = 0;
  GList *l;

  for (l = held->tail; l && misses < TRACE_MISSES; l = l->prev) {
    SeecitvHeld *h = l->data;
    GstVideoFrame frame;
    SeecitvCvColorImage img;
    const SeecitvCvRect *found;
    guint n;
    SeecitvBox crop;
    gint pick;

    if (h->frame >= from)
      continue;
    if (!map_read (d, h, &frame)) {
      h->failed = TRUE;
      continue;
    }
    color_image (&frame, &img);
    crop_around (&e, &crop);
    if (!run (d, &img, &crop, SEECITV_CV_FACES_CLOSE, &found, &n)) {
      h->failed = TRUE;
    } else if ((pick = best_match (found, n, &e)) >= 0) {
      to_box (&found[pick], &e);
      seecitv_tracks_add (d->tracks, h->frame, h->running_time, &e, NULL);
      misses = 0;
    } else {
      misses++;
    }
    gst_video_frame_unmap (&frame);
  }
}

/* Asks the second detector about the face at @box on @img: what it sees
 * of the same head beyond @box widens what @track covers. */
static void
second_opinion (SeecitvDetect * d, const SeecitvCvColorImage * img,
    SeecitvTrack * track, const SeecitvBox * box)
{
  GError *error = NULL;
  const SeecitvCvRect *found;
  SeecitvBox crop;
  guint n;
  gint side;
  gint64 start;
  gboolean ok;

  if (d->second == NULL)
    return;
  side = (gint) (MAX (box->w, box->h) * SECOND_CROP);
  crop.x = box->x + box->w / 2 - side / 2;
  crop.y = box->y + box->h / 2 - side / 2;
  crop.w = crop.h = side;
  start = g_get_monotonic_time ();
  ok = seecitv_cv_faces_detect_region (d->second, img, crop.x, crop.y,
      crop.w, crop.h, SEECITV_CV_FACES_WIDE, 0.0, &found, &n, &error);
  d->stats.second_opinions++;
  d->stats.second_us += g_get_monotonic_time () - start;
  if (!ok) {
    /* only ever widens: the first detector's box stands */
    GST_DEBUG ("second opinion failed: %s", error->message);
    g_error_free (error);
    return;
  }
  for (guint i = 0; i < n; i++) {
    SeecitvBox b;

    to_box (&found[i], &b);
    GST_LOG ("second opinion on %dx%d at %d,%d: %dx%d at %d,%d", box->w,
        box->h, box->x, box->y, b.w, b.h, b.x, b.y);
    /* the same head: centred within half a face of it, at most twice its
     * size */
    if (b.x + b.w / 2 < box->x - box->w / 2 ||
        b.x + b.w / 2 > box->x + box->w + box->w / 2 ||
        b.y + b.h / 2 < box->y - box->h / 2 ||
        b.y + b.h / 2 > box->y + box->h + box->h / 2 ||
        b.w > 2 * box->w || b.h > 2 * box->h)
      continue;
    seecitv_track_widen (track, (gdouble) (box->x - b.x) / box->w,
        (gdouble) (box->y - b.y) / box->h,
        (gdouble) (b.x + b.w - box->x - box->w) / box->w,
        (gdouble) (b.y + b.h - box->y - box->h) / box->h);
  }
}

/* TRUE when a tracked face is expected where @box is on @frame, at about
 * its size: a box several times larger that merely overlaps a known face
 * is not that face (in the demo, the wide view took a patch of wall 350 px
 * wide around the head of a person walking in for a face). */
static gboolean
tracked (SeecitvDetect * d, guint64 frame, const SeecitvBox * box)
{
  for (guint i = 0; i < seecitv_tracks_count (d->tracks); i++) {
    SeecitvBox e;

    seecitv_track_expect (seecitv_tracks_nth (d->tracks, i), frame, &e);
    if (seecitv_box_iou (&e, box) > 0.0 && box->w <= 2 * e.w &&
        e.w <= 2 * box->w && box->h <= 2 * e.h && e.h <= 2 * box->h)
      return TRUE;
  }
  return FALSE;
}

/* A new face the wide detector is not sure of, looked at again close up:
 * textures (a patterned shirt, a basket of fruit) that the wide view takes
 * for a small face rarely look like one from close by. */
static gboolean
confirmed (SeecitvDetect * d, const SeecitvCvColorImage * img,
    const SeecitvBox * box)
{
  const SeecitvCvRect *found;
  SeecitvBox crop;
  guint n;

  crop_around (box, &crop);
  if (!run (d, img, &crop, SEECITV_CV_FACES_CLOSE, &found, &n))
    return TRUE;                /* in doubt: a face */
  return best_match (found, n, box) >= 0;
}

/* Adds what a call found on @h (@img); traces new faces back. */
static void
add_found (SeecitvDetect * d, GQueue * held, SeecitvHeld * h,
    const SeecitvCvColorImage * img, const SeecitvCvRect * found, guint n,
    const gchar * by)
{
  gboolean from_motion = g_str_equal (by, "motion");
  /* the adapter's array is reused by the next call: copy first */
  SeecitvBox *boxes = g_newa (SeecitvBox, MAX (n, 1));
  gdouble *scores = g_newa (gdouble, MAX (n, 1));

  for (guint i = 0; i < n; i++) {
    to_box (&found[i], &boxes[i]);
    scores[i] = found[i].score;
  }
  for (guint i = 0; i < n; i++) {
    gboolean born = FALSE, edge;
    SeecitvTrack *t;

    /* a face a moving region shows that the scan is not sure of waits
     * for its tile's scan (which traces it back): motion crops are only
     * there to find faces sooner */
    if (scores[i] < SURE_SCORE && !tracked (d, h->frame, &boxes[i]) &&
        (from_motion || !confirmed (d, img, &boxes[i]))) {
      GST_LOG ("frame %" G_GUINT64_FORMAT ": %dx%d at %d,%d (score %.2f, "
          "%s) not confirmed close up", h->frame, boxes[i].w, boxes[i].h,
          boxes[i].x, boxes[i].y, scores[i], by);
      continue;
    }
    t = seecitv_tracks_add (d->tracks, h->frame, h->running_time, &boxes[i],
        &born);
    edge = boxes[i].x <= 0 || boxes[i].y <= 0 ||
        boxes[i].x + boxes[i].w >= img->width ||
        boxes[i].y + boxes[i].h >= img->height;
    if (born) {
      /* once per face: a cascade on a wide crop costs several runs of
       * the CNN; not on a face cut by the edge, whose box is only the
       * part in view */
      if (!edge)
        second_opinion (d, img, t, &boxes[i]);
      /* walking in from the edge: partly in view before it was found */
      else
        seecitv_track_set_lead (t, d->s.interval);
      GST_LOG ("frame %" G_GUINT64_FORMAT ": new face %dx%d at %d,%d "
          "(score %.2f, %s)", h->frame, boxes[i].w, boxes[i].h, boxes[i].x,
          boxes[i].y, scores[i], by);
      trace_back (d, held, h->frame, &boxes[i]);
    }
  }
}

/* Marks the held frames after @after up to @upto failed. */
static void
mark_failed (GQueue * held, guint64 after, guint64 upto, gboolean any)
{
  for (GList * l = held->head; l; l = l->next) {
    SeecitvHeld *h = l->data;
    if ((any || h->frame > after) && h->frame <= upto)
      h->failed = TRUE;
  }
}

/* Looks at tile @t on @h (mapped as @frame). */
static void
scan_tile (SeecitvDetect * d, GQueue * held, SeecitvHeld * h,
    GstVideoFrame * frame, guint t)
{
  const SeecitvBox *tile = seecitv_scan_tile (d->scan, t);
  SeecitvCvImage luma;
  SeecitvCvColorImage img;
  const SeecitvCvRect *found;
  GError *error = NULL;
  guint8 *thumb;
  gint tw, th;
  guint n;
  gboolean ok;

  luma_image (frame, &luma);
  thumb = seecitv_scan_thumb (d->scan, t, &tw, &th);
  if (!seecitv_cv_thumbnail (&luma, tile->x, tile->y, tile->w, tile->h,
          thumb, tw, th, &error)) {
    GST_WARNING ("thumbnail failed: %s", error->message);
    g_error_free (error);
    ok = FALSE;
  } else if (!seecitv_scan_changed (d->scan, t, CHANGE_THRESHOLD)) {
    d->stats.tiles_unchanged++;
    ok = TRUE;
  } else {
    color_image (frame, &img);
    ok = run (d, &img, tile, SEECITV_CV_FACES_WIDE, &found, &n);
    if (ok) {
      seecitv_scan_accept (d->scan, t);
      add_found (d, held, h, &img, found, n, "scan");
    }
  }
  if (!ok)
    mark_failed (held, d->last_scan[t], h->frame, !d->scanned[t]);
  d->last_scan[t] = h->frame;
  d->scanned[t] = TRUE;
}

/* A close crop around every tracked face whose turn it is. */
static void
follow_tracks (SeecitvDetect * d, GQueue * held, SeecitvHeld * h,
    GstVideoFrame * frame)
{
  guint n_tracks = seecitv_tracks_count (d->tracks);
  SeecitvCvColorImage img;

  color_image (frame, &img);
  for (guint i = 0; i < n_tracks; i++) {
    SeecitvTrack *t = seecitv_tracks_nth (d->tracks, i);
    const SeecitvCvRect *found;
    SeecitvBox e, crop;
    guint n;
    gint pick;

    if (seecitv_track_last (t) >= h->frame ||
        h->frame < seecitv_track_get_tried (t) + d->s.track_interval ||
        h->frame < seecitv_track_last (t) + d->s.track_interval)
      continue;
    seecitv_track_set_tried (t, h->frame);
    seecitv_track_expect (t, h->frame, &e);
    crop_around (&e, &crop);
    if (!run (d, &img, &crop, SEECITV_CV_FACES_CLOSE, &found, &n)) {
      h->failed = TRUE;
      continue;
    }
    if ((pick = best_match (found, n, &e)) >= 0) {
      SeecitvBox b;

      to_box (&found[pick], &b);
      seecitv_tracks_add (d->tracks, h->frame, h->running_time, &b, NULL);
      GST_LOG ("frame %" G_GUINT64_FORMAT ": face %dx%d at %d,%d followed "
          "to %dx%d at %d,%d", h->frame, e.w, e.h, e.x, e.y, b.w, b.h, b.x,
          b.y);
    } else {
      GST_LOG ("frame %" G_GUINT64_FORMAT ": face %dx%d at %d,%d not found "
          "in its crop (%u others)", h->frame, e.w, e.h, e.x, e.y, n);
    }
  }
}

/* TRUE when some tracked face is expected inside @r on @frame. */
static gboolean
explained (SeecitvDetect * d, const SeecitvBox * r, guint64 frame)
{
  for (guint i = 0; i < seecitv_tracks_count (d->tracks); i++) {
    SeecitvBox e;
    gint cx, cy;

    seecitv_track_expect (seecitv_tracks_nth (d->tracks, i), frame, &e);
    cx = e.x + e.w / 2;
    cy = e.y + e.h / 2;
    if (r->x <= cx && cx < r->x + r->w && r->y <= cy && cy < r->y + r->h)
      return TRUE;
  }
  return FALSE;
}

/* A wide look at the moving regions seecitvmotion marked that no tracked
 * face explains: a face walking in is found before its tile's turn. */
static void
look_at_motion (SeecitvDetect * d, GQueue * held, SeecitvHeld * h,
    GstVideoFrame * frame)
{
  static GQuark motion = 0;
  GstVideoRegionOfInterestMeta *meta;
  gpointer state = NULL;
  SeecitvCvColorImage img;
  guint crops = 0;
  gint limit = 2 * d->tile_side;

  if (!d->motion_upstream ||
      h->frame < d->last_motion_crop + d->s.track_interval)
    return;
  if (motion == 0)
    motion = g_quark_from_static_string ("motion");
  color_image (frame, &img);
  while (crops < MAX_MOTION_CROPS &&
      (meta = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (h->buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    /* grown by a tenth, and to a scan tile's size at least, so that the
     * detector sees it at the scale of the scans: zooming in further finds
     * faces in textures, not smaller faces */
    gint side_w = MAX ((gint) (meta->w * 1.2), d->tile_side);
    gint side_h = MAX ((gint) (meta->h * 1.2), d->tile_side);
    SeecitvBox r = { (gint) (meta->x + meta->w / 2) - side_w / 2,
      (gint) (meta->y + meta->h / 2) - side_h / 2, side_w, side_h
    };
    const SeecitvCvRect *found;
    guint n;

    if (meta->roi_type != motion || MAX (r.w, r.h) > limit ||
        explained (d, &r, h->frame))
      continue;
    crops++;
    d->last_motion_crop = h->frame;
    if (!run (d, &img, &r, SEECITV_CV_FACES_WIDE, &found, &n))
      h->failed = TRUE;
    else
      add_found (d, held, h, &img, found, n, "motion");
  }
}

void
seecitv_detect_frame (SeecitvDetect * d, GQueue * held, SeecitvHeld * h)
{
  GstVideoFrame frame;
  guint n;

  if (!map_read (d, h, &frame)) {
    mark_failed (held, 0, h->frame, TRUE);
    return;
  }
  if (d->fresh) {
    d->first = h->frame;
    d->fresh = FALSE;
  }
  /* the faces already known first, so that a scan of the same frame
   * joins them instead of tracing them back again */
  follow_tracks (d, held, h, &frame);
  look_at_motion (d, held, h, &frame);
  n = seecitv_scan_due (d->scan, h->frame - d->first, d->due);
  for (guint i = 0; i < n; i++)
    scan_tile (d, held, h, &frame, d->due[i]);
  gst_video_frame_unmap (&frame);
}

void
seecitv_detect_finish (SeecitvDetect * d, GQueue * held, SeecitvHeld * h)
{
  GstVideoFrame frame;
  guint n = seecitv_scan_n_tiles (d->scan);

  if (!map_read (d, h, &frame)) {
    mark_failed (held, 0, h->frame, TRUE);
    return;
  }
  for (guint t = 0; t < n; t++) {
    if (!d->scanned[t] || d->last_scan[t] < h->frame)
      scan_tile (d, held, h, &frame, t);
  }
  gst_video_frame_unmap (&frame);
}

void
seecitv_detect_fail_from (SeecitvDetect * d, GQueue * held, guint64 from)
{
  for (GList * l = held->head; l; l = l->next) {
    SeecitvHeld *h = l->data;
    if (h->frame >= from)
      h->failed = TRUE;
  }
}

guint64
seecitv_detect_first_pending (SeecitvDetect * d, GQueue * held)
{
  for (GList * l = held->head; l; l = l->next) {
    SeecitvHeld *h = l->data;
    if (!seecitv_detect_ready (d, h->frame))
      return h->frame;
  }
  return G_MAXUINT64;
}

gboolean
seecitv_detect_ready (SeecitvDetect * d, guint64 frame)
{
  guint n = d->scan ? seecitv_scan_n_tiles (d->scan) : 0;

  if (n == 0)
    return FALSE;
  for (guint t = 0; t < n; t++)
    if (!d->scanned[t] || d->last_scan[t] < frame)
      return FALSE;
  return TRUE;
}

/* The hold in frames, for frames without a running time (15 frames when
 * the caps give no rate either). */
static guint
hold_frames (SeecitvDetect * d)
{
  if (GST_VIDEO_INFO_FPS_N (&d->info) <= 0)
    return 15;
  return (guint) gst_util_uint64_scale (d->s.hold,
      GST_VIDEO_INFO_FPS_N (&d->info),
      GST_VIDEO_INFO_FPS_D (&d->info) * GST_SECOND);
}

void
seecitv_detect_cover (SeecitvDetect * d, const SeecitvHeld * h,
    GArray * boxes, guint * n_held)
{
  GArray *found = g_array_new (FALSE, FALSE, sizeof (SeecitvBox));

  seecitv_tracks_cover (d->tracks, h->frame,
      GST_CLOCK_TIME_IS_VALID (h->running_time) ? h->running_time :
      SEECITV_TIME_NONE, d->s.hold, hold_frames (d), LEAD_FRAMES,
      d->s.margin, found, n_held);
  for (guint i = 0; i < found->len; i++) {
    SeecitvBox *b = &g_array_index (found, SeecitvBox, i);
    GstVideoRectangle r = { b->x, b->y, b->w, b->h };
    g_array_append_val (boxes, r);
  }
  g_array_unref (found);
}

void
seecitv_detect_prune (SeecitvDetect * d, const SeecitvHeld * next)
{
  if (next == NULL)
    return;
  seecitv_tracks_prune (d->tracks, next->frame,
      GST_CLOCK_TIME_IS_VALID (next->running_time) ? next->running_time :
      SEECITV_TIME_NONE, d->s.hold, hold_frames (d));
}

void
seecitv_detect_take_stats (SeecitvDetect * d, SeecitvDetectStats * stats)
{
  *stats = d->stats;
  memset (&d->stats, 0, sizeof (d->stats));
}

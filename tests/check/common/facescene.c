/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The ground-truth scene generator of facescene.h: what each scene shows
 * (a table of actors with key frames), the backgrounds, and the pixel work
 * of composing a frame. Scaling and decoding are GStreamer's; nothing here
 * judges an output (facejudge.c does).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "facescene.h"

#include <gst/app/gstappsink.h>
#include <string.h>

/* Face boxes of the source pictures, in their own pixels. Measured once
 * with OpenCV 4.6's haarcascade_frontalface_alt2.xml at full resolution
 * (detectMultiScale, scale 1.1, 3 neighbours, 20 px minimum): astronaut.png
 * gives 177,66 97x97 (the mirrored image 179,67 94x94); messi5.jpg gives
 * Messi's face at 226,93 39x39 (its other hit, 247,66 75x75, is a patch of
 * the crowd, checked by eye on a drawn copy). */
typedef struct
{
  const gchar *file;
  FaceSceneBox face;
} Source;

enum
{
  SRC_ASTRONAUT,
  SRC_MESSI,
  N_SOURCES
};

static const Source sources[N_SOURCES] = {
  {"astronaut.png", {177, 66, 97, 97}},
  {"messi5.jpg", {226, 93, 39, 39}},
};

/* Head and shoulders around a face box: 0.9 face widths either side, 0.6
 * face heights above, 1.6 below. */
#define CROP_LEFT 0.9
#define CROP_ABOVE 0.6
#define CROP_BELOW 1.6

/* The basket of the room scene: a region of fruits.jpg (512x480) without
 * anything face-like in it (no cascade of opencv-data fires on the
 * picture's frontal face cascades). */
#define BASKET_X 96
#define BASKET_Y 60
#define BASKET_W 240
#define BASKET_H 180

#define BOX_SIZE 200

/* Sensor noise: uniform in [-NOISE, NOISE] luma levels on every pixel. */
#define NOISE 3

/* A dark room: luma and chroma pulled towards black by this factor. */
#define DARK 0.2

/* A face covered by a later actor (or the object) on more than this part of
 * its box is not in the truth of that frame. */
#define OCCLUDED 0.3

#define MAX_KEYS 4

typedef struct
{
  guint frame;
  gint cx;                      /* face centre, frame pixels */
  gint cy;
} Key;

typedef struct
{
  guint source;
  gint face_width;              /* on the frame, pixels */
  guint n_keys;
  Key keys[MAX_KEYS];           /* present from keys[0] to keys[n-1] */
} Actor;

typedef enum
{
  BG_ROOM,
  BG_BUILDING
} Background;

typedef enum
{
  OBJ_NONE,
  OBJ_BASKET,
  OBJ_BOX
} ObjectKind;

typedef struct
{
  const gchar *name;
  guint n_frames;
  Background background;
  guint lights_on;              /* dark before this frame */
  ObjectKind object;
  Key object_keys[2];           /* object centre, linear */
  guint n_actors;
  Actor actors[FACE_SCENE_MAX_FACES];
} SceneDef;

/* Actors are pasted in order (back to front). Lanes keep the faces of one
 * lane clear of the crops of the next: far faces (centre y 170) above
 * middle ones (360) above near ones (620); the close-up walks in front of
 * them all, and a face it covers leaves the truth (OCCLUDED). */
static const SceneDef scene_defs[FACE_SCENE_N_KINDS] = {
  [FACE_SCENE_ROOM] = {"room", 120, BG_ROOM, 0, OBJ_BASKET,
        {{0, 1700, 930}, {119, 200, 930}}, 7, {
          {SRC_ASTRONAUT, 32, 2, {{0, 300, 170}, {119, 1400, 170}}},
          {SRC_ASTRONAUT, 40, 3, {{0, 1800, 170}, {60, 1200, 170},
                  {119, 1200, 170}}},
          {SRC_MESSI, 56, 2, {{8, -10, 360}, {119, 900, 360}}},
          {SRC_MESSI, 80, 3, {{0, 1500, 360}, {50, 1500, 360},
                  {119, 1050, 360}}},
          {SRC_ASTRONAUT, 130, 3, {{0, 400, 620}, {40, 400, 620},
                  {119, 1100, 620}}},
          {SRC_ASTRONAUT, 180, 3, {{20, 2020, 620}, {70, 1500, 620},
                  {119, 1500, 620}}},
          {SRC_ASTRONAUT, 300, 2, {{70, -150, 420}, {119, 350, 420}}},
        }},
  [FACE_SCENE_BUILDING] = {"building", 90, BG_BUILDING, 0, OBJ_BOX,
        {{0, 1800, 900}, {89, 1100, 900}}, 6, {
          {SRC_MESSI, 40, 2, {{0, 200, 300}, {89, 900, 300}}},
          {SRC_ASTRONAUT, 56, 3, {{0, 1700, 300}, {45, 1300, 300},
                  {89, 1300, 300}}},
          {SRC_MESSI, 100, 2, {{0, 900, 520}, {89, 900, 520}}},
          {SRC_ASTRONAUT, 150, 2, {{10, 1500, 560}, {89, 1300, 560}}},
          {SRC_ASTRONAUT, 80, 2, {{0, -30, 420}, {89, 700, 420}}},
          {SRC_ASTRONAUT, 240, 3, {{30, 500, 1250}, {70, 500, 800},
                  {89, 500, 800}}},
        }},
  [FACE_SCENE_LIGHTS] = {"lights", 40, BG_ROOM, FACE_SCENE_LIGHTS_FRAME,
        OBJ_NONE, {{0, 0, 0}, {0, 0, 0}}, 2, {
          {SRC_ASTRONAUT, 100, 2, {{FACE_SCENE_LIGHTS_FRAME, 960, 450},
                  {39, 960, 450}}},
          {SRC_MESSI, 60, 2, {{FACE_SCENE_LIGHTS_FRAME, 1400, 380},
                  {39, 1400, 380}}},
        }},
  /* inside FACE_SCENE_MASK: x 480-1536, y 162-1026 */
  [FACE_SCENE_MASKED] = {"masked", 45, BG_ROOM, 0, OBJ_NONE,
        {{0, 0, 0}, {0, 0, 0}}, 2, {
          {SRC_ASTRONAUT, 120, 2, {{0, 700, 400}, {44, 1300, 400}}},
          {SRC_MESSI, 64, 2, {{0, 1300, 800}, {44, 800, 800}}},
        }},
  [FACE_SCENE_STILL] = {"still", 45, BG_ROOM, 0, OBJ_NONE,
        {{0, 0, 0}, {0, 0, 0}}, 2, {
          {SRC_ASTRONAUT, 90, 2, {{0, 700, 400}, {44, 700, 400}}},
          {SRC_MESSI, 60, 2, {{0, 1300, 600}, {44, 1300, 600}}},
        }},
  [FACE_SCENE_BUSY] = {"busy", 60, BG_ROOM, 0, OBJ_BASKET,
        {{0, 1700, 930}, {59, 400, 930}}, 5, {
          {SRC_ASTRONAUT, 40, 2, {{0, 100, 170}, {59, 900, 170}}},
          {SRC_MESSI, 56, 2, {{0, 1600, 360}, {59, 800, 360}}},
          {SRC_MESSI, 80, 2, {{0, 200, 360}, {59, 500, 360}}},
          {SRC_ASTRONAUT, 130, 2, {{0, 300, 620}, {59, 900, 620}}},
          {SRC_ASTRONAUT, 180, 2, {{0, 1800, 620}, {59, 1400, 620}}},
        }},
  [FACE_SCENE_IDLE] = {"idle", 30, BG_ROOM, 0, OBJ_NONE,
        {{0, 0, 0}, {0, 0, 0}}, 0, {}},
};

/* One actor's picture, scaled once. */
typedef struct
{
  GstBuffer *crop;              /* I420 */
  GstVideoInfo info;
  /* the face box inside the scaled crop */
  gdouble face_x;
  gdouble face_y;
  gdouble face_w;
  gdouble face_h;
} Sprite;

struct _FaceScene
{
  const SceneDef *def;
  GstVideoInfo info;
  GstBuffer *background;        /* I420, lit */
  GstBuffer *dark;              /* the same in the dark, or NULL */
  Sprite sprites[FACE_SCENE_MAX_FACES];
  Sprite object;                /* crop NULL without object */
};

const gchar *
face_scene_kind_name (FaceSceneKind kind)
{
  g_return_val_if_fail (kind < FACE_SCENE_N_KINDS, NULL);
  return scene_defs[kind].name;
}

const gchar *
face_scene_source_name (guint source)
{
  g_return_val_if_fail (source < N_SOURCES, NULL);
  return sources[source].file;
}

GstBuffer *
face_scene_decode (const gchar * path, GstVideoInfo * info, GError ** error)
{
  gchar *quoted = g_strescape (path, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! video/x-raw,format=I420 ! appsink name=sink", quoted);
  GstElement *pipeline = gst_parse_launch (desc, error);
  GstElement *sink;
  GstSample *sample = NULL;
  GstBuffer *buf = NULL;

  g_free (desc);
  g_free (quoted);
  if (!pipeline)
    return NULL;
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE)
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        30 * GST_SECOND);
  if (sample && gst_video_info_from_caps (info, gst_sample_get_caps (sample)))
    buf = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
  if (!buf)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "cannot decode %s", path);
  if (sample)
    gst_sample_unref (sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return buf;
}

gboolean
face_scene_play (GstElement * pipeline, GError ** error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = NULL;
  gboolean ok = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE)
    msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    ok = TRUE;
  } else if (msg) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_set_error (error, err->domain, err->code, "%s (%s)", err->message,
        dbg ? dbg : "");
    g_error_free (err);
    g_free (dbg);
  } else {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "cannot start the pipeline");
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return ok;
}

gboolean
face_scene_have_media (const gchar * datadir, const gchar * const *names)
{
  for (; *names; names++) {
    gchar *path = g_build_filename (datadir ? datadir : "", *names, NULL);
    gboolean ok = datadir && *datadir &&
        g_file_test (path, G_FILE_TEST_IS_REGULAR);

    g_free (path);
    if (!ok) {
      g_print ("SKIP: no %s in SEECITV_TESTDATA_DIR (%s); run ./run "
          "testdata\n", *names, datadir ? datadir : "unset");
      return FALSE;
    }
  }
  return TRUE;
}

/* Scales the region (@x, @y, @w, @h) of @src into a new I420 buffer of
 * @dw x @dh with GStreamer's converter. */
static GstBuffer *
scale_region (GstBuffer * src, const GstVideoInfo * src_info, gint x, gint y,
    gint w, gint h, gint dw, gint dh, GstVideoInfo * out_info)
{
  GstVideoConverter *conv;
  GstVideoFrame in, out;
  GstBuffer *dst;

  gst_video_info_set_format (out_info, GST_VIDEO_FORMAT_I420, dw, dh);
  dst = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  conv = gst_video_converter_new ((GstVideoInfo *) src_info, out_info,
      gst_structure_new ("config",
          GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, x,
          GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, y,
          GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, w,
          GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, h, NULL));
  g_assert (conv != NULL);
  g_assert (gst_video_frame_map (&in, (GstVideoInfo *) src_info, src,
          GST_MAP_READ));
  g_assert (gst_video_frame_map (&out, out_info, dst, GST_MAP_WRITE));
  gst_video_converter_frame (conv, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_video_converter_free (conv);
  return dst;
}

/* A cheap integer hash for textures and noise. */
static inline guint32
hash3 (guint32 a, guint32 b, guint32 c)
{
  guint32 h = a * 0x9e3779b1u ^ b * 0x85ebca77u ^ c * 0xc2b2ae3du;

  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  h *= 0x297a2d39u;
  h ^= h >> 15;
  return h;
}

static inline guint8
clamp8 (gint v)
{
  return (guint8) CLAMP (v, 0, 255);
}

static gboolean
in_rect (gint x, gint y, gint x0, gint y0, gint x1, gint y1)
{
  return x >= x0 && x < x1 && y >= y0 && y < y1;
}

/* The generated room: a textured wall with a door, a window, a picture and
 * a shelf, a baseboard, a tiled floor. Luma at full resolution, chroma per
 * 2x2 block from the same regions. */
static void
room_pixel (gint x, gint y, gint * luma, gint * u, gint * v)
{
  gint l;

  if (y < 650) {
    l = 170 - y * 30 / 650 + (((x / 48) & 1) ? 4 : -4) +
        (gint) (hash3 (x / 8, y / 8, 1) % 9) - 4;
    *u = 118;
    *v = 138;
    if (in_rect (x, y, 120, 150, 360, 650)) {
      /* door with panels and a handle */
      l = 100 + ((in_rect (x, y, 150, 190, 330, 380) ||
              in_rect (x, y, 150, 420, 330, 620)) ? 12 : 0);
      if (in_rect (x, y, 320, 400, 340, 420))
        l = 210;
      *u = 110;
      *v = 145;
    } else if (in_rect (x, y, 1200, 80, 1500, 380)) {
      l = (in_rect (x, y, 1346, 80, 1354, 380) ||
          in_rect (x, y, 1200, 226, 1500, 234) ||
          !in_rect (x, y, 1208, 88, 1492, 372)) ? 90 : 225 - y / 10;
      *u = 135;
      *v = 120;
    } else if (in_rect (x, y, 700, 120, 950, 300)) {
      l = !in_rect (x, y, 712, 132, 938, 288) ? 50 :
          90 + ((x + y) / 20 % 6) * 18;
      *u = in_rect (x, y, 712, 132, 938, 288) ? 100 + (x / 25 % 5) * 12 : 128;
      *v = 128;
    } else if (in_rect (x, y, 1600, 420, 1850, 440)) {
      l = 80;
      *u = 120;
      *v = 140;
    }
  } else if (y < 670) {
    l = 60;
    *u = 125;
    *v = 132;
  } else {
    gint tx = x / 160, ty = (y - 670) / 80;

    l = (((tx + ty) & 1) ? 95 : 120) + (gint) (hash3 (x / 4, y / 4, 2) % 11)
        - 5;
    if (x % 160 < 3 || (y - 670) % 80 < 3)
      l = 70;
    *u = 132;
    *v = 122;
  }
  *luma = l;
}

static GstBuffer *
make_room (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  gint u, v, l;

  g_assert (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (gint y = 0; y < info->height; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0);
    for (gint x = 0; x < info->width; x++) {
      room_pixel (x, y, &l, &u, &v);
      row[x] = clamp8 (l);
    }
  }
  for (gint y = 0; y < info->height / 2; y++) {
    guint8 *ur = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 1) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 1);
    guint8 *vr = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 2) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 2);
    for (gint x = 0; x < info->width / 2; x++) {
      room_pixel (2 * x, 2 * y, &l, &u, &v);
      ur[x] = clamp8 (u);
      vr[x] = clamp8 (v);
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* @src pulled towards black (luma 16, neutral chroma) by DARK. */
static GstBuffer *
make_dark (GstBuffer * src, const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_copy_deep (src);
  GstVideoFrame f;

  g_assert (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_READWRITE));
  for (gint p = 0; p < 3; p++) {
    gint base = p ? 128 : 16;
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, p); y++) {
      guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p);
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, p); x++)
        row[x] = clamp8 (base + (gint) ((row[x] - base) * DARK));
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* The striped box of the building scene. */
static void
make_box (Sprite * s)
{
  GstVideoFrame f;

  gst_video_info_set_format (&s->info, GST_VIDEO_FORMAT_I420, BOX_SIZE,
      BOX_SIZE);
  s->crop = gst_buffer_new_allocate (NULL, s->info.size, NULL);
  g_assert (gst_video_frame_map (&f, &s->info, s->crop, GST_MAP_WRITE));
  for (gint p = 0; p < 3; p++) {
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, p); y++) {
      guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p);
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, p); x++) {
        gint k = p ? 2 : 1;
        gboolean stripe = ((x * k + y * k) / 20) & 1;
        row[x] = p == 0 ? (stripe ? 200 : 60) : p == 1 ? (stripe ? 90 :
            160) : (stripe ? 170 : 110);
      }
    }
  }
  gst_video_frame_unmap (&f);
  s->face_x = s->face_y = 0;
  s->face_w = s->face_h = BOX_SIZE;
}

static gint
even_down (gdouble v)
{
  gint i = (gint) (v >= 0 ? v : v - 1);

  return i & ~1;
}

static gboolean
make_sprite (Sprite * s, GstBuffer * pic, const GstVideoInfo * pic_info,
    const Source * src, gint face_width)
{
  const FaceSceneBox *f = &src->face;
  gint x0 = even_down (f->x - CROP_LEFT * f->width);
  gint y0 = even_down (f->y - CROP_ABOVE * f->height);
  gint x1 = (gint) (f->x + f->width + CROP_LEFT * f->width);
  gint y1 = (gint) (f->y + f->height + CROP_BELOW * f->height);
  gdouble scale = (gdouble) face_width / f->width;
  gint dw, dh;

  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  x1 = MIN (x1, pic_info->width) & ~1;
  y1 = MIN (y1, pic_info->height) & ~1;
  dw = MAX (2, (gint) ((x1 - x0) * scale) & ~1);
  dh = MAX (2, (gint) ((y1 - y0) * scale) & ~1);
  s->crop = scale_region (pic, pic_info, x0, y0, x1 - x0, y1 - y0, dw, dh,
      &s->info);
  s->face_x = (f->x - x0) * (gdouble) dw / (x1 - x0);
  s->face_y = (f->y - y0) * (gdouble) dh / (y1 - y0);
  s->face_w = f->width * (gdouble) dw / (x1 - x0);
  s->face_h = f->height * (gdouble) dh / (y1 - y0);
  return TRUE;
}

FaceScene *
face_scene_new (FaceSceneKind kind, const gchar * datadir, GError ** error)
{
  FaceScene *scene;
  GstBuffer *pics[N_SOURCES] = { NULL, };
  GstVideoInfo pic_info[N_SOURCES];
  gboolean ok = TRUE;

  g_return_val_if_fail (kind < FACE_SCENE_N_KINDS, NULL);
  scene = g_new0 (FaceScene, 1);
  scene->def = &scene_defs[kind];
  gst_video_info_set_format (&scene->info, GST_VIDEO_FORMAT_I420,
      FACE_SCENE_WIDTH, FACE_SCENE_HEIGHT);
  GST_VIDEO_INFO_FPS_N (&scene->info) = FACE_SCENE_FPS;
  GST_VIDEO_INFO_FPS_D (&scene->info) = 1;

  for (guint i = 0; ok && i < scene->def->n_actors; i++) {
    const Actor *a = &scene->def->actors[i];
    if (!pics[a->source]) {
      gchar *path = g_build_filename (datadir, sources[a->source].file, NULL);
      pics[a->source] = face_scene_decode (path, &pic_info[a->source], error);
      g_free (path);
      if (!pics[a->source]) {
        ok = FALSE;
        break;
      }
    }
    make_sprite (&scene->sprites[i], pics[a->source], &pic_info[a->source],
        &sources[a->source], a->face_width);
  }

  if (ok && scene->def->background == BG_BUILDING) {
    gchar *path = g_build_filename (datadir, "building.jpg", NULL);
    GstVideoInfo info;
    GstBuffer *pic = face_scene_decode (path, &info, error);

    g_free (path);
    if (pic) {
      /* cover 16:9: the full width, the middle rows */
      gint h = info.width * FACE_SCENE_HEIGHT / FACE_SCENE_WIDTH & ~1;
      GstVideoInfo out;

      scene->background = scale_region (pic, &info, 0,
          (info.height - h) / 2 & ~1, info.width, h, FACE_SCENE_WIDTH,
          FACE_SCENE_HEIGHT, &out);
      gst_buffer_unref (pic);
    } else {
      ok = FALSE;
    }
  } else if (ok) {
    scene->background = make_room (&scene->info);
  }
  if (ok && scene->def->lights_on > 0)
    scene->dark = make_dark (scene->background, &scene->info);

  if (ok && scene->def->object == OBJ_BASKET) {
    gchar *path = g_build_filename (datadir, "fruits.jpg", NULL);
    GstVideoInfo info;
    GstBuffer *pic = face_scene_decode (path, &info, error);

    g_free (path);
    if (pic) {
      scene->object.crop = scale_region (pic, &info, BASKET_X, BASKET_Y,
          BASKET_W, BASKET_H, BASKET_W, BASKET_H, &scene->object.info);
      scene->object.face_w = BASKET_W;
      scene->object.face_h = BASKET_H;
      gst_buffer_unref (pic);
    } else {
      ok = FALSE;
    }
  } else if (ok && scene->def->object == OBJ_BOX) {
    make_box (&scene->object);
  }

  for (guint i = 0; i < N_SOURCES; i++)
    if (pics[i])
      gst_buffer_unref (pics[i]);
  if (!ok) {
    face_scene_free (scene);
    return NULL;
  }
  return scene;
}

void
face_scene_free (FaceScene * scene)
{
  if (!scene)
    return;
  for (guint i = 0; i < FACE_SCENE_MAX_FACES; i++)
    gst_clear_buffer (&scene->sprites[i].crop);
  gst_clear_buffer (&scene->object.crop);
  gst_clear_buffer (&scene->background);
  gst_clear_buffer (&scene->dark);
  g_free (scene);
}

guint
face_scene_n_frames (const FaceScene * scene)
{
  return scene->def->n_frames;
}

const GstVideoInfo *
face_scene_info (const FaceScene * scene)
{
  return &scene->info;
}

/* Where key-framed @keys put a centre on frame @n; FALSE when absent. */
static gboolean
position (const Key * keys, guint n_keys, guint n, gint * cx, gint * cy)
{
  if (n_keys == 0 || n < keys[0].frame || n > keys[n_keys - 1].frame)
    return FALSE;
  for (guint k = 0; k + 1 < n_keys; k++) {
    if (n <= keys[k + 1].frame) {
      guint span = keys[k + 1].frame - keys[k].frame;
      gdouble t = span ? (gdouble) (n - keys[k].frame) / span : 0;
      *cx = keys[k].cx + (gint) ((keys[k + 1].cx - keys[k].cx) * t);
      *cy = keys[k].cy + (gint) ((keys[k + 1].cy - keys[k].cy) * t);
      return TRUE;
    }
  }
  *cx = keys[n_keys - 1].cx;
  *cy = keys[n_keys - 1].cy;
  return TRUE;
}

/* A sprite placed on frame @n: the crop's top-left corner (even) and the
 * face (or object) box it carries. */
typedef struct
{
  const Sprite *sprite;
  gint px;
  gint py;
  FaceSceneBox box;
  guint source;
  gboolean is_object;
} Placed;

static void
place (const Sprite * s, gint cx, gint cy, Placed * p)
{
  p->sprite = s;
  p->px = even_down (cx - s->face_x - s->face_w / 2);
  p->py = even_down (cy - s->face_y - s->face_h / 2);
  p->box.x = p->px + (gint) (s->face_x + 0.5);
  p->box.y = p->py + (gint) (s->face_y + 0.5);
  p->box.width = (gint) (s->face_w + 0.5);
  p->box.height = (gint) (s->face_h + 0.5);
}

static gint64
overlap (const FaceSceneBox * a, gint x, gint y, gint w, gint h)
{
  gint x0 = MAX (a->x, x), y0 = MAX (a->y, y);
  gint x1 = MIN (a->x + a->width, x + w), y1 = MIN (a->y + a->height, y + h);

  return (x1 > x0 && y1 > y0) ? (gint64) (x1 - x0) * (y1 - y0) : 0;
}

static gboolean
on_frame (const FaceSceneBox * b)
{
  return overlap (b, 0, 0, FACE_SCENE_WIDTH, FACE_SCENE_HEIGHT) > 0;
}

/* Everything placed on frame @n, back to front; returns the count. */
static guint
layout (const FaceScene * scene, guint n, Placed placed[])
{
  const SceneDef *d = scene->def;
  guint count = 0;
  gint cx, cy;

  for (guint i = 0; i < d->n_actors; i++) {
    const Actor *a = &d->actors[i];
    if (!position (a->keys, a->n_keys, n, &cx, &cy))
      continue;
    place (&scene->sprites[i], cx, cy, &placed[count]);
    placed[count].source = a->source;
    placed[count].is_object = FALSE;
    count++;
  }
  if (scene->object.crop &&
      position (d->object_keys, 2, n % d->n_frames, &cx, &cy)) {
    place (&scene->object, cx, cy, &placed[count]);
    placed[count].is_object = TRUE;
    count++;
  }
  return count;
}

void
face_scene_truth (const FaceScene * scene, guint n, FaceSceneTruth * truth)
{
  Placed placed[FACE_SCENE_MAX_FACES + 1];
  guint count = layout (scene, n, placed);

  memset (truth, 0, sizeof (*truth));
  for (guint i = 0; i < count; i++) {
    const Placed *p = &placed[i];
    gint64 covered = 0, area = (gint64) p->box.width * p->box.height;

    if (!on_frame (&p->box))
      continue;
    if (p->is_object) {
      truth->has_object = TRUE;
      truth->object = p->box;
      continue;
    }
    /* the largest cover by one sprite in front is a fair estimate */
    for (guint j = i + 1; j < count; j++)
      covered = MAX (covered, overlap (&p->box, placed[j].px, placed[j].py,
              placed[j].sprite->info.width, placed[j].sprite->info.height));
    if (covered > OCCLUDED * area)
      continue;
    truth->faces[truth->n_faces] = p->box;
    truth->source[truth->n_faces] = p->source;
    truth->n_faces++;
  }
}

static void
paste (GstVideoFrame * dst, const Placed * p)
{
  GstVideoFrame src;
  const Sprite *s = p->sprite;

  g_assert (gst_video_frame_map (&src, (GstVideoInfo *) & s->info, s->crop,
          GST_MAP_READ));
  for (gint c = 0; c < 3; c++) {
    gint sh = c ? 1 : 0;
    gint sw = GST_VIDEO_FRAME_COMP_WIDTH (&src, c);
    gint sht = GST_VIDEO_FRAME_COMP_HEIGHT (&src, c);
    gint dw = GST_VIDEO_FRAME_COMP_WIDTH (dst, c);
    gint dht = GST_VIDEO_FRAME_COMP_HEIGHT (dst, c);
    gint ox = p->px >> sh, oy = p->py >> sh;
    gint x0 = MAX (0, -ox), x1 = MIN (sw, dw - ox);

    if (x1 <= x0)
      continue;
    for (gint y = MAX (0, -oy); y < sht && y + oy < dht; y++)
      memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (dst, c) +
          (y + oy) * GST_VIDEO_FRAME_PLANE_STRIDE (dst, c) + ox + x0,
          (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&src, c) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&src, c) + x0, x1 - x0);
  }
  gst_video_frame_unmap (&src);
}

static void
add_noise (GstVideoFrame * f, guint n)
{
  guint32 state = hash3 (n, 0x5eed, 7) | 1;

  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (f); y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
    for (gint x = 0; x < GST_VIDEO_FRAME_WIDTH (f); x++) {
      /* xorshift32 */
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      row[x] = clamp8 (row[x] + (gint) (state % (2 * NOISE + 1)) - NOISE);
    }
  }
}

GstBuffer *
face_scene_frame (const FaceScene * scene, guint n, FaceSceneTruth * truth)
{
  const SceneDef *d = scene->def;
  gboolean dark = n < d->lights_on;
  GstBuffer *buf = gst_buffer_copy_deep (dark ? scene->dark :
      scene->background);
  Placed placed[FACE_SCENE_MAX_FACES + 1];
  guint count = layout (scene, n, placed);
  GstVideoFrame f;

  g_assert (gst_video_frame_map (&f, (GstVideoInfo *) & scene->info, buf,
          GST_MAP_READWRITE));
  for (guint i = 0; i < count; i++)
    paste (&f, &placed[i]);
  add_noise (&f, n);
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND,
      FACE_SCENE_FPS);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n + 1, GST_SECOND,
      FACE_SCENE_FPS) - GST_BUFFER_PTS (buf);
  if (truth)
    face_scene_truth (scene, n, truth);
  return buf;
}

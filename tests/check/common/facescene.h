/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Ground-truth CCTV scenes for judging redaction (issue 13): head-and-
 * shoulders crops of real faces (astronaut.png, messi5.jpg) pasted at known
 * positions into 1080p I420 frames at 15 fps, over a generated room or a
 * scaled photograph, with sensor noise, and a moving object that is not a
 * face. Each frame comes with the true face boxes and the object's box.
 * Used by the tests (tests/check/elements/seecitvredact_truth.c) and by
 * bench/redact-scene-bench.c; the judge (the survival metric) lives in
 * facejudge.h. Pixel work is plain C on the planes, scaling and decoding
 * are GStreamer's (GstVideoConverter, decodebin).
 */
#ifndef __SEECITV_FACE_SCENE_H__
#define __SEECITV_FACE_SCENE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define FACE_SCENE_WIDTH 1920
#define FACE_SCENE_HEIGHT 1080
#define FACE_SCENE_FPS 15
#define FACE_SCENE_MAX_FACES 8

/* The caps of every scene's frames (I420, 1920x1080, 15/1). */
#define FACE_SCENE_CAPS "video/x-raw,format=I420,width=1920,height=1080," \
    "framerate=15/1,pixel-aspect-ratio=1/1"

typedef enum
{
  /* Generated room: seven faces of 32-300 px (both sources) walking
   * across, stopping, entering at the left and right edges, up to five at
   * once; a basket (a crop of fruits.jpg) crosses the floor. */
  FACE_SCENE_ROOM,
  /* building.jpg scaled to 1080p: six faces of 40-240 px, walking and
   * standing, entering at the bottom edge; a striped box moves across. */
  FACE_SCENE_BUILDING,
  /* The room in the dark (luma x 0.2) until FACE_SCENE_LIGHTS_FRAME, when
   * the lights come on and a face standing there appears with them. */
  FACE_SCENE_LIGHTS,
  /* The room, one face walking slowly inside FACE_SCENE_MASK (a polygon in
   * seecitvmotion's mask grammar); nothing moves outside it. */
  FACE_SCENE_MASKED,
  /* The room, one face standing still from the first frame to the last;
   * nothing moves. */
  FACE_SCENE_STILL,
  /* For the bench: faces moving all the time, no pause. */
  FACE_SCENE_BUSY,
  /* For the bench: the still room with sensor noise, no face. */
  FACE_SCENE_IDLE,
  FACE_SCENE_N_KINDS
} FaceSceneKind;

#define FACE_SCENE_LIGHTS_FRAME 10
#define FACE_SCENE_MASK "0.25,0.15 0.8,0.15 0.8,0.95 0.25,0.95"

/* A box in frame pixels; it may reach out of the frame (a face entering at
 * an edge). */
typedef struct
{
  gint x;
  gint y;
  gint width;
  gint height;
} FaceSceneBox;

typedef struct
{
  guint n_faces;
  FaceSceneBox faces[FACE_SCENE_MAX_FACES];
  /* Index into face_scene_source_name () of each face. */
  guint source[FACE_SCENE_MAX_FACES];
  gboolean has_object;
  FaceSceneBox object;
} FaceSceneTruth;

typedef struct _FaceScene FaceScene;

/* Decodes what @kind needs from @datadir (astronaut.png, messi5.jpg,
 * fruits.jpg, building.jpg) and prepares the backgrounds and the scaled
 * crops. Returns NULL and sets @error when a picture cannot be decoded.
 * Free with face_scene_free (). */
FaceScene *face_scene_new (FaceSceneKind kind, const gchar * datadir,
    GError ** error);
void face_scene_free (FaceScene * scene);

const gchar *face_scene_kind_name (FaceSceneKind kind);
const gchar *face_scene_source_name (guint source);

guint face_scene_n_frames (const FaceScene * scene);
const GstVideoInfo *face_scene_info (const FaceScene * scene);

/* What frame @n shows; cheap (no pixel work). */
void face_scene_truth (const FaceScene * scene, guint n,
    FaceSceneTruth * truth);

/* Returns a new I420 buffer (caller owns it) for frame @n, PTS n / 15 s,
 * duration 1/15 s; fills @truth when not NULL. Deterministic: the same
 * frame each time. */
GstBuffer *face_scene_frame (const FaceScene * scene, guint n,
    FaceSceneTruth * truth);

/* Decodes the still picture @path (anything decodebin reads) into a new I420
 * buffer; fills @info. Returns NULL and sets @error on failure. */
GstBuffer *face_scene_decode (const gchar * path, GstVideoInfo * info,
    GError ** error);

/* Sets @pipeline PLAYING and waits for EOS or an error; leaves it in NULL.
 * Returns FALSE and sets @error (the pipeline's, with its debug text
 * appended) on an error. */
gboolean face_scene_play (GstElement * pipeline, GError ** error);

/* TRUE when every file of the NULL-terminated @names is in @datadir;
 * otherwise prints the SKIP line of the media tests and returns FALSE. */
gboolean face_scene_have_media (const gchar * datadir,
    const gchar * const *names);

G_END_DECLS

#endif /* __SEECITV_FACE_SCENE_H__ */

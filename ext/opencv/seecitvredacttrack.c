/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Face tracks for seecitvredact (see seecitvredacttrack.h): sightings kept
 * sorted per track, interpolation between them, hold and lead, pruning.
 */
#include "seecitvredacttrack.h"

#include <math.h>

/* A detection belongs to a track when it overlaps the box expected there
 * by at least this much, or its centre is within a face's size of it (the
 * best of several wins). */
#define JOIN_IOU 0.2
/* Two boxes on one frame are the same face from two detector calls (two
 * overlapping tiles) when they overlap at least this much. */
#define SAME_IOU 0.3
/* A second detector widens a face's box by at most this much of its size
 * on each side. */
#define WIDEN_MAX 0.35

typedef struct
{
  guint64 frame;
  guint64 time;
  SeecitvBox box;
} Sighting;

struct _SeecitvTrack
{
  GArray *sightings;            /* Sighting, sorted by frame */
  guint64 tried;
  gdouble widen[4];             /* left, top, right, bottom */
  guint lead;
};

struct _SeecitvTracks
{
  GPtrArray *tracks;            /* SeecitvTrack */
};

static void
track_free (SeecitvTrack * track)
{
  g_array_unref (track->sightings);
  g_free (track);
}

SeecitvTracks *
seecitv_tracks_new (void)
{
  SeecitvTracks *tracks = g_new0 (SeecitvTracks, 1);

  tracks->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      track_free);
  return tracks;
}

void
seecitv_tracks_free (SeecitvTracks * tracks)
{
  if (tracks == NULL)
    return;
  g_ptr_array_unref (tracks->tracks);
  g_free (tracks);
}

void
seecitv_tracks_clear (SeecitvTracks * tracks)
{
  g_ptr_array_set_size (tracks->tracks, 0);
}

guint
seecitv_tracks_count (SeecitvTracks * tracks)
{
  return tracks->tracks->len;
}

SeecitvTrack *
seecitv_tracks_nth (SeecitvTracks * tracks, guint i)
{
  return g_ptr_array_index (tracks->tracks, i);
}

static const Sighting *
sighting (const SeecitvTrack * track, guint i)
{
  return &g_array_index (track->sightings, Sighting, i);
}

guint64
seecitv_track_first (const SeecitvTrack * track)
{
  return sighting (track, 0)->frame;
}

guint64
seecitv_track_last (const SeecitvTrack * track)
{
  return sighting (track, track->sightings->len - 1)->frame;
}

guint64
seecitv_track_get_tried (const SeecitvTrack * track)
{
  return track->tried;
}

void
seecitv_track_set_tried (SeecitvTrack * track, guint64 frame)
{
  track->tried = MAX (track->tried, frame);
}

void
seecitv_track_set_lead (SeecitvTrack * track, guint frames)
{
  track->lead = MAX (track->lead, frames);
}

void
seecitv_track_widen (SeecitvTrack * track, gdouble left, gdouble top,
    gdouble right, gdouble bottom)
{
  gdouble w[4] = { left, top, right, bottom };

  for (gint i = 0; i < 4; i++)
    track->widen[i] = MAX (track->widen[i], CLAMP (w[i], 0.0, WIDEN_MAX));
}

gdouble
seecitv_box_iou (const SeecitvBox * a, const SeecitvBox * b)
{
  gint x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  gint x1 = MIN (a->x + a->w, b->x + b->w);
  gint y1 = MIN (a->y + a->h, b->y + b->h);
  gdouble inter, uni;

  if (a->w <= 0 || a->h <= 0 || b->w <= 0 || b->h <= 0 || x1 <= x0 ||
      y1 <= y0)
    return 0.0;
  inter = (gdouble) (x1 - x0) * (y1 - y0);
  uni = (gdouble) a->w * a->h + (gdouble) b->w * b->h - inter;
  return inter / uni;
}

static void
lerp_box (const SeecitvBox * a, const SeecitvBox * b, gdouble t,
    SeecitvBox * out)
{
  out->x = (gint) floor (a->x + (b->x - a->x) * t + 0.5);
  out->y = (gint) floor (a->y + (b->y - a->y) * t + 0.5);
  out->w = (gint) floor (a->w + (b->w - a->w) * t + 0.5);
  out->h = (gint) floor (a->h + (b->h - a->h) * t + 0.5);
}

/* Index of the last sighting at or before @frame, or -1. */
static gint
before (const SeecitvTrack * track, guint64 frame)
{
  gint i;

  for (i = (gint) track->sightings->len - 1; i >= 0; i--)
    if (sighting (track, i)->frame <= frame)
      return i;
  return -1;
}

/* The box expected on @frame from sightings @i and @j (i < j), linear in
 * the frame number: interpolation between them, extrapolation beyond. */
static void
along (const SeecitvTrack * track, gint i, gint j, guint64 frame,
    SeecitvBox * box)
{
  const Sighting *a = sighting (track, i), *b = sighting (track, j);

  lerp_box (&a->box, &b->box, ((gdouble) frame - (gdouble) a->frame) /
      ((gdouble) b->frame - (gdouble) a->frame), box);
}

void
seecitv_track_expect (const SeecitvTrack * track, guint64 frame,
    SeecitvBox * box)
{
  gint n = track->sightings->len;
  gint i = before (track, frame);

  if (n == 1) {
    *box = sighting (track, 0)->box;
  } else if (i >= 0 && sighting (track, i)->frame == frame) {
    *box = sighting (track, i)->box;
  } else if (i < 0 || i == n - 1) {
    /* before the first or after the last: moved at the speed of the two
     * nearest, its size that of the nearest (a face that grew or was cut
     * by the frame's edge does not keep growing), at most its size away */
    const Sighting *near = sighting (track, i < 0 ? 0 : n - 1);

    gint dx, dy;

    along (track, i < 0 ? 0 : n - 2, i < 0 ? 1 : n - 1, frame, box);
    /* and no further than its own size from there */
    dx = CLAMP (box->x + box->w / 2 - near->box.x - near->box.w / 2,
        -near->box.w, near->box.w);
    dy = CLAMP (box->y + box->h / 2 - near->box.y - near->box.h / 2,
        -near->box.h, near->box.h);
    *box = near->box;
    box->x += dx;
    box->y += dy;
  } else {
    along (track, i, i + 1, frame, box);
  }
  box->w = MAX (box->w, 1);
  box->h = MAX (box->h, 1);
}

SeecitvTrack *
seecitv_tracks_add (SeecitvTracks * tracks, guint64 frame, guint64 time,
    const SeecitvBox * box, gboolean * born)
{
  SeecitvTrack *best = NULL;
  gdouble best_iou = 0.0;
  Sighting s = { frame, time, *box };
  guint i;

  for (i = 0; i < tracks->tracks->len; i++) {
    SeecitvTrack *t = g_ptr_array_index (tracks->tracks, i);
    SeecitvBox e;
    gdouble iou;
    gint cx = box->x + box->w / 2, cy = box->y + box->h / 2;
    gint j = before (t, frame);

    seecitv_track_expect (t, frame, &e);
    /* not the same face: another size, or another face the track already
     * has on this frame */
    if (box->w * 5 < e.w * 3 || e.w * 5 < box->w * 3)
      continue;
    if (j >= 0 && sighting (t, j)->frame == frame &&
        seecitv_box_iou (&sighting (t, j)->box, box) < SAME_IOU)
      continue;
    iou = seecitv_box_iou (&e, box);
    /* a face that moved since the track was last seen: its centre within
     * a face's size of where the track is expected */
    if (cx >= e.x - e.w && cx < e.x + 2 * e.w && cy >= e.y - e.h &&
        cy < e.y + 2 * e.h)
      iou = MAX (iou, JOIN_IOU);
    if (iou >= JOIN_IOU && iou > best_iou) {
      best = t;
      best_iou = iou;
    }
  }
  if (born)
    *born = best == NULL;

  if (best == NULL) {
    best = g_new0 (SeecitvTrack, 1);
    best->sightings = g_array_new (FALSE, FALSE, sizeof (Sighting));
    g_array_append_val (best->sightings, s);
    g_ptr_array_add (tracks->tracks, best);
    return best;
  }

  for (i = 0; i < best->sightings->len; i++) {
    Sighting *o = &g_array_index (best->sightings, Sighting, i);

    if (o->frame == frame) {
      gint x1 = MAX (o->box.x + o->box.w, box->x + box->w);
      gint y1 = MAX (o->box.y + o->box.h, box->y + box->h);

      o->box.x = MIN (o->box.x, box->x);
      o->box.y = MIN (o->box.y, box->y);
      o->box.w = x1 - o->box.x;
      o->box.h = y1 - o->box.y;
      return best;
    }
    if (o->frame > frame)
      break;
  }
  g_array_insert_val (best->sightings, i, s);
  return best;
}

static void
append_grown (GArray * boxes, const SeecitvTrack * t, const SeecitvBox * b,
    gdouble margin, gint moved_x, gint moved_y)
{
  gint mx = (gint) ceil (b->w * margin + ABS (moved_x) / 4.0);
  gint my = (gint) ceil (b->h * margin + ABS (moved_y) / 4.0);
  gint l = (gint) ceil (b->w * t->widen[0]), u = (gint) ceil (b->h *
      t->widen[1]);
  gint r = (gint) ceil (b->w * t->widen[2]), d = (gint) ceil (b->h *
      t->widen[3]);
  SeecitvBox out = { b->x - mx - l, b->y - my - u, b->w + 2 * mx + l + r,
    b->h + 2 * my + u + d
  };

  g_array_append_val (boxes, out);
}

/* The union of @a and @b into @out. */
static void
box_union (const SeecitvBox * a, const SeecitvBox * b, SeecitvBox * out)
{
  gint x0 = MIN (a->x, b->x), y0 = MIN (a->y, b->y);
  gint x1 = MAX (a->x + a->w, b->x + b->w);
  gint y1 = MAX (a->y + a->h, b->y + b->h);

  out->x = x0;
  out->y = y0;
  out->w = x1 - x0;
  out->h = y1 - y0;
}

/* TRUE when @late (frame @late_frame, time @late_time) is within the hold
 * of sighting @s. */
static gboolean
held (const Sighting * s, guint64 late_frame, guint64 late_time,
    guint64 hold, guint hold_frames)
{
  if (s->time != SEECITV_TIME_NONE && late_time != SEECITV_TIME_NONE)
    return late_time <= s->time || late_time - s->time <= hold;
  return late_frame - s->frame <= hold_frames;
}

void
seecitv_tracks_cover (SeecitvTracks * tracks, guint64 frame, guint64 time,
    guint64 hold, guint hold_frames, guint lead, gdouble margin,
    GArray * boxes, guint * n_held)
{
  guint k;

  for (k = 0; k < tracks->tracks->len; k++) {
    SeecitvTrack *t = g_ptr_array_index (tracks->tracks, k);
    gint n = t->sightings->len;
    gint i = before (t, frame);
    const Sighting *a, *b;
    SeecitvBox e;

    if (i < 0) {
      /* not seen yet: reach back a little before the first sighting */
      b = sighting (t, 0);
      if (b->frame - frame <= MAX (lead, t->lead))
        append_grown (boxes, t, &b->box, margin, 0, 0);
      continue;
    }
    a = sighting (t, i);
    if (a->frame == frame) {
      append_grown (boxes, t, &a->box, margin, 0, 0);
      continue;
    }
    if (i + 1 < n) {
      b = sighting (t, i + 1);
      along (t, i, i + 1, frame, &e);
      append_grown (boxes, t, &e, margin, b->box.x - a->box.x,
          b->box.y - a->box.y);
      continue;
    }
    /* after the last sighting: held where it was and where its motion
     * would have carried it */
    if (!held (a, frame, time, hold, hold_frames))
      continue;
    seecitv_track_expect (t, frame, &e);
    box_union (&a->box, &e, &e);
    append_grown (boxes, t, &e, margin, 0, 0);
    if (n_held)
      (*n_held)++;
  }
}

void
seecitv_tracks_prune (SeecitvTracks * tracks, guint64 oldest,
    guint64 oldest_time, guint64 hold, guint hold_frames)
{
  guint k = 0;

  while (k < tracks->tracks->len) {
    SeecitvTrack *t = g_ptr_array_index (tracks->tracks, k);
    const Sighting *last = sighting (t, t->sightings->len - 1);
    gint i = before (t, oldest);

    if (last->frame < oldest && !held (last, oldest, oldest_time, hold,
            hold_frames)) {
      g_ptr_array_remove_index (tracks->tracks, k);
      continue;
    }
    /* keep the sighting before @oldest (it brackets the frames after it)
     * and the one before that (for the speed) */
    if (i > 1)
      g_array_remove_range (t->sightings, 0, i - 1);
    k++;
  }
}

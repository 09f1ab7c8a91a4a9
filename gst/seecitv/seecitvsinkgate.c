/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's gate (see seecitvsink-private.h): trigger requests, the
 * pre-roll ring, which encoded frames go into a clip, and a write that
 * failed with ENOSPC while streaming. Clip elements are opened and closed
 * through seecitvsinkclip.c; the ring itself is gst-libs/seecitv/ring.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsink-private.h"

#include <glib/gstdio.h>

#define GST_CAT_DEFAULT seecitv_sink_debug

/* The ring keeps this much more than pre-roll: the motion event arrives
 * after its onset (confirmation frames, encoder and parser latency). */
#define RING_SLACK (3 * GST_SECOND)

#define MOTION_EVENT_NAME "seecitv-motion"

/* Called with trigger_lock held. */
void
seecitv_sink_request_start (SeecitvSink * self, guint64 onset)
{
  self->want_start = TRUE;
  self->onset = onset;
  self->stop_at = GST_CLOCK_TIME_NONE;
}

/* Called with trigger_lock held. */
void
seecitv_sink_request_stop (SeecitvSink * self, guint64 end, guint64 post_roll)
{
  self->stop_at = end + MIN (post_roll, G_MAXUINT64 - end - 1);
}

gboolean
seecitv_sink_trigger_is (SeecitvSink * self, SeecitvSinkTrigger trigger)
{
  gboolean ret;

  GST_OBJECT_LOCK (self);
  ret = self->trigger == trigger;
  GST_OBJECT_UNLOCK (self);
  return ret;
}

guint64
seecitv_sink_get_post_roll (SeecitvSink * self)
{
  guint64 ret;

  GST_OBJECT_LOCK (self);
  ret = self->post_roll;
  GST_OBJECT_UNLOCK (self);
  return ret;
}

static guint64
buffer_running_time (SeecitvSink * self, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (ts) || self->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, ts);
}

/* Streaming thread: the open clip's write failed with ENOSPC. It ends
 * there (its file is renamed like any other), the oldest clips make room,
 * and recording resumes at the next keyframe. */
static GstFlowReturn
disk_full (SeecitvSink * self)
{
  GstElement *split = self->current;
  guint64 need = seecitv_sink_reserve (self);
  gchar *location;
  guint deleted;

  g_atomic_int_set (&self->disk_full, 0);
  if (split != NULL) {
    gchar *temp;
    GStatBuf st;

    g_mutex_lock (&self->clips_lock);
    temp = g_strdup (seecitv_sink_clip_get (split)->temp);
    /* Also when the bus message has not marked it yet. */
    seecitv_sink_clip_get (split)->nospace = TRUE;
    g_mutex_unlock (&self->clips_lock);
    if (temp != NULL && g_stat (temp, &st) == 0)
      need = MAX (need, (guint64) st.st_size);
    g_free (temp);
    seecitv_sink_close_clip (self);
  }

  deleted = seecitv_sink_purge (self, need);
  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  /* Nothing deleted: go on only if there is room now and the last try did
   * not end the same way (inodes or a quota, not bytes, may be short). */
  if (deleted == 0 && (seecitv_sink_free_space (location) < need ||
          g_atomic_int_add (&self->nospace_idle, 1) > 0)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NO_SPACE_LEFT,
        ("The disk is full and there is no clip left to delete."),
        ("%s", location), ("location", G_TYPE_STRING, location, NULL));
    g_free (location);
    return GST_FLOW_ERROR;
  }
  if (deleted > 0)
    g_atomic_int_set (&self->nospace_idle, 0);
  g_free (location);

  g_mutex_lock (&self->trigger_lock);
  if (!self->want_start) {
    /* A new clip at the next keyframe; a pending end stays. */
    self->want_start = TRUE;
    self->onset = GST_CLOCK_TIME_IS_VALID (self->last_rt) ? self->last_rt : 0;
  }
  g_mutex_unlock (&self->trigger_lock);
  return GST_FLOW_OK;
}

/* Streaming thread: sends @buf into the open clip. */
static GstFlowReturn
push_frame (SeecitvSink * self, GstBuffer * buf)
{
  GstFlowReturn ret;
  guint64 rt;

  if (g_atomic_int_get (&self->disk_full)) {
    gst_buffer_unref (buf);
    return disk_full (self);
  }
  rt = buffer_running_time (self, buf);
  if (GST_CLOCK_TIME_IS_VALID (rt) && GST_BUFFER_DURATION_IS_VALID (buf) &&
      (!GST_CLOCK_TIME_IS_VALID (self->clip_end) ||
          rt + GST_BUFFER_DURATION (buf) > self->clip_end)) {
    self->clip_end = rt + GST_BUFFER_DURATION (buf);
    self->clip_last_duration = GST_BUFFER_DURATION (buf);
  }
  ret = gst_pad_push (self->srcpad, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING &&
      g_atomic_int_get (&self->disk_full))
    ret = disk_full (self);
  return ret;
}

/* Streaming thread: sends the ring's frames into the open clip. */
static GstFlowReturn
flush_ring (SeecitvSink * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while ((buf = seecitv_ring_pop (self->ring)) != NULL) {
    if (ret == GST_FLOW_OK && self->current != NULL)
      ret = push_frame (self, buf);
    else
      gst_buffer_unref (buf);
  }
  return ret;
}

/* The gate: which encoded frames go into a clip. */
GstFlowReturn
seecitv_sink_gate_push (SeecitvSink * self, GstBuffer * buf)
{
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  guint64 rt = buffer_running_time (self, buf);
  SeecitvSinkTrigger trigger;
  guint64 pre_roll, stop_at, onset;
  gboolean want_start, closing;

  GST_OBJECT_LOCK (self);
  trigger = self->trigger;
  pre_roll = self->pre_roll;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->trigger_lock);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = GST_CLOCK_TIME_IS_VALID (self->last_rt) ? self->last_rt : 0;
  self->last_rt = rt;
  want_start = self->want_start;
  onset = self->onset;
  stop_at = self->stop_at;
  self->want_start = FALSE;
  /* The clip holds the frame shown at stop_at, then ends on a GOP. */
  closing = self->current != NULL && GST_CLOCK_TIME_IS_VALID (stop_at) &&
      keyframe && GST_CLOCK_TIME_IS_VALID (self->clip_rt) &&
      self->clip_rt >= stop_at;
  if (closing)
    self->stop_at = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->trigger_lock);

  if (trigger == SEECITV_SINK_TRIGGER_CONTINUOUS) {
    if (self->current == NULL) {
      if (!keyframe) {
        gst_buffer_unref (buf);
        return GST_FLOW_OK;
      }
      if (!seecitv_sink_open_clip (self)) {
        gst_buffer_unref (buf);
        return GST_FLOW_ERROR;
      }
    }
    return push_frame (self, buf);
  }

  if (self->current != NULL) {
    if (closing) {
      /* This keyframe starts the next GOP: it belongs to the ring. */
      seecitv_sink_close_clip (self);
    } else {
      self->clip_rt = rt;
      return push_frame (self, buf);
    }
  }

  seecitv_ring_push (self->ring, buf, rt, keyframe);
  if (!want_start) {
    seecitv_ring_trim (self->ring, rt > pre_roll + RING_SLACK ?
        rt - pre_roll - RING_SLACK : 0);
    return GST_FLOW_OK;
  }

  seecitv_ring_trim (self->ring, onset > pre_roll ? onset - pre_roll : 0);
  if (seecitv_ring_length (self->ring) == 0) {
    /* No keyframe yet: start at the next one. */
    g_mutex_lock (&self->trigger_lock);
    if (!self->want_start)
      seecitv_sink_request_start (self, rt);
    self->stop_at = stop_at;
    g_mutex_unlock (&self->trigger_lock);
    return GST_FLOW_OK;
  }
  self->clip_rt = rt;
  GST_INFO_OBJECT (self, "motion at %" GST_TIME_FORMAT ": clip from %"
      GST_TIME_FORMAT, GST_TIME_ARGS (onset),
      GST_TIME_ARGS (seecitv_ring_first_time (self->ring)));
  if (!seecitv_sink_open_clip (self)) {
    seecitv_ring_clear (self->ring);
    return GST_FLOW_ERROR;
  }
  return flush_ring (self);
}

/* The inner encoder's output. */
GstFlowReturn
seecitv_sink_gate_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  return seecitv_sink_gate_push (gst_pad_get_element_private (pad), buf);
}

static void
handle_motion (SeecitvSink * self, const GstStructure * s)
{
  gboolean active;
  guint64 rt, post_roll;

  if (!gst_structure_get_boolean (s, "active", &active) ||
      !gst_structure_get_uint64 (s, "running-time", &rt)) {
    GST_WARNING_OBJECT (self, "malformed %" GST_PTR_FORMAT, s);
    return;
  }
  if (!seecitv_sink_trigger_is (self, SEECITV_SINK_TRIGGER_MOTION))
    return;
  post_roll = seecitv_sink_get_post_roll (self);
  GST_DEBUG_OBJECT (self, "motion %s at %" GST_TIME_FORMAT,
      active ? "start" : "end", GST_TIME_ARGS (rt));
  g_mutex_lock (&self->trigger_lock);
  if (active)
    seecitv_sink_request_start (self, rt);
  else
    seecitv_sink_request_stop (self, rt, post_roll);
  g_mutex_unlock (&self->trigger_lock);
}

gboolean
seecitv_sink_gate_handle_event (SeecitvSink * self, GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:{
      const GstStructure *s = gst_event_get_structure (event);

      if (s != NULL && gst_structure_has_name (s, MOTION_EVENT_NAME)) {
        handle_motion (self, s);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      seecitv_ring_clear (self->ring);
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      break;
    case GST_EVENT_EOS:{
      GstMessage *eos;

      seecitv_ring_clear (self->ring);
      /* Close first, so that an older clip's EOS coming back meanwhile
       * cannot make us post EOS before this one is done. */
      seecitv_sink_close_clip (self);
      g_mutex_lock (&self->clips_lock);
      self->final_eos = TRUE;
      self->eos_seqnum = gst_event_get_seqnum (event);
      eos = seecitv_sink_maybe_eos_unlocked (self, seecitv_sink_count_closing_unlocked (self, NULL));
      g_mutex_unlock (&self->clips_lock);
      if (eos != NULL)
        seecitv_sink_post_own_eos (GST_ELEMENT (self), eos);
      gst_event_unref (event);
      return TRUE;
    }
    default:
      break;
  }
  /* Sticky events are kept on the internal pad even while no clip is open
   * and replayed into each new clip when it is linked. */
  gst_pad_push_event (self->srcpad, event);
  return TRUE;
}

gboolean
seecitv_sink_gate_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  return seecitv_sink_gate_handle_event (gst_pad_get_element_private (pad), event);
}

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * String properties in the polygon/zone grammar (gst-libs/seecitv/polygon.h),
 * handled the same way by every element: a bad string never replaces the
 * value in effect; set before start it fails the start with a RESOURCE
 * SETTINGS error, set while running it is one warning. The parsing itself is
 * in gst-libs; this is only the GStreamer side.
 */
#ifndef __SEECITV_GRAMMAR_PROP_H__
#define __SEECITV_GRAMMAR_PROP_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *value;                 /* last valid string, canonical; never NULL */
  GError *error;                /* bad string set while not running */
} SeecitvGrammarProp;

void seecitv_grammar_prop_init (SeecitvGrammarProp * prop);
void seecitv_grammar_prop_clear (SeecitvGrammarProp * prop);

/* Call with the object lock held. Parses @str as polygons (or zones when
 * @zones). Valid: becomes the value, any kept error is cleared, returns
 * TRUE. Bad: the value stays; when not @running the error is kept for
 * seecitv_grammar_prop_check (); *@error is set and FALSE returned. */
gboolean seecitv_grammar_prop_set (SeecitvGrammarProp * prop,
    const gchar * str, gboolean zones, gboolean running, GError ** error);

/* Call without the object lock, after a failed set: posts the warning when
 * the element is running (otherwise start () reports it). */
void seecitv_grammar_prop_report (GstElement * element, const gchar * name,
    const GError * error, gboolean running);

/* Call from start () without the object lock; @error is the copy of
 * prop->error taken under it (or NULL). Posts the ERROR and returns FALSE
 * when there is one. */
gboolean seecitv_grammar_prop_check (GstElement * element,
    const gchar * name, const GError * error);

G_END_DECLS

#endif /* __SEECITV_GRAMMAR_PROP_H__ */

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See gstproperty.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstproperty.h"

void
seecitv_warn_property_refused (GstElement * element, GParamSpec * pspec)
{
  GST_ELEMENT_WARNING_WITH_DETAILS (element, CORE, STATE_CHANGE,
      ("\"%s\" can only be changed in the NULL or READY state; ignored",
          pspec->name), (NULL),
      ("property", G_TYPE_STRING, pspec->name, NULL));
}

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See deviceid.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "deviceid.h"

#include <string.h>

gboolean
seecitv_device_id_is_valid (const gchar * id)
{
  gsize i;

  if (id == NULL || id[0] == '\0')
    return FALSE;
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return FALSE;
  for (i = 0; id[i] != '\0'; i++) {
    gchar c = id[i];

    if (i >= SEECITV_DEVICE_ID_MAX)
      return FALSE;
    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return TRUE;
}

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The device identity of ARCHITECTURE.md, in one place for every element
 * and tool: `[A-Za-z0-9._-]{1,64}`, and never "." or "..", since an id ends
 * up in file names. Pure C over GLib.
 */
#ifndef __SEECITV_DEVICE_ID_H__
#define __SEECITV_DEVICE_ID_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_DEVICE_ID_MAX 64

/* TRUE when @id (may be NULL) is a valid device id. */
gboolean seecitv_device_id_is_valid (const gchar * id);

G_END_DECLS

#endif /* __SEECITV_DEVICE_ID_H__ */

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `reason` tokens of file and disk failures (see reason.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reason.h"

#include <errno.h>
#include <gio/gio.h>

const gchar *
seecitv_reason_from_errno (int e)
{
  switch (e) {
    case ENOSPC:
    case EDQUOT:
      return SEECITV_REASON_NO_SPACE;
    case EACCES:
    case EPERM:
    case EROFS:
      return SEECITV_REASON_PERMISSION_DENIED;
    case ENOENT:
    case ENOTDIR:
      return SEECITV_REASON_NOT_FOUND;
    case EEXIST:
      return SEECITV_REASON_EXISTS;
    default:
      return SEECITV_REASON_IO;
  }
}

const gchar *
seecitv_reason_from_file_error (const GError * err)
{
  if (err == NULL)
    return SEECITV_REASON_IO;
  if (err->domain == G_FILE_ERROR) {
    switch (err->code) {
      case G_FILE_ERROR_NOSPC:
        return SEECITV_REASON_NO_SPACE;
      case G_FILE_ERROR_ACCES:
      case G_FILE_ERROR_PERM:
      case G_FILE_ERROR_ROFS:
        return SEECITV_REASON_PERMISSION_DENIED;
      case G_FILE_ERROR_NOENT:
      case G_FILE_ERROR_NOTDIR:
        return SEECITV_REASON_NOT_FOUND;
      case G_FILE_ERROR_EXIST:
        return SEECITV_REASON_EXISTS;
      default:
        return SEECITV_REASON_IO;
    }
  }
  if (err->domain == G_IO_ERROR) {
    switch (err->code) {
      case G_IO_ERROR_NO_SPACE:
        return SEECITV_REASON_NO_SPACE;
      case G_IO_ERROR_PERMISSION_DENIED:
      case G_IO_ERROR_READ_ONLY:
        return SEECITV_REASON_PERMISSION_DENIED;
      case G_IO_ERROR_NOT_FOUND:
        return SEECITV_REASON_NOT_FOUND;
      case G_IO_ERROR_EXISTS:
        return SEECITV_REASON_EXISTS;
      default:
        return SEECITV_REASON_IO;
    }
  }
  return SEECITV_REASON_IO;
}

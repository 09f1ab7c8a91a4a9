/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libseecitvupload: the upload queue (uploadqueue.c, s3client.c, libsoup 3)
 * as a module seecitvsink loads with GModule when `upload` is set. Only the
 * function table lives here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gmodule.h>

#include "uploadqueue.h"

G_MODULE_EXPORT const SeecitvUploadQueueApi *seecitv_upload_queue_get_api
    (void);

static const SeecitvUploadQueueApi api = {
  SEECITV_UPLOAD_QUEUE_API_VERSION,
  seecitv_upload_queue_dir,
  seecitv_upload_queue_new,
  seecitv_upload_queue_set_callback,
  seecitv_upload_queue_add,
  seecitv_upload_queue_start,
  seecitv_upload_queue_drain,
  seecitv_upload_queue_pending,
  seecitv_upload_queue_interrupt,
  seecitv_upload_queue_free,
  seecitv_upload_queue_remember_target,
};

const SeecitvUploadQueueApi *
seecitv_upload_queue_get_api (void)
{
  return &api;
}

/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for seecitv-serve's configuration parsers
 * (tools/serve-config.c): every input is parsed as a config file and as an
 * RTSP credentials file. Besides the memory errors the sanitizers catch, it
 * abort ()s when a contract breaks: a failure sets a
 * SEECITV_SERVE_CONFIG_ERROR whose message starts with the file name and is
 * UTF-8; a success has 1..SEECITV_SERVE_MAX_DEVICES devices with valid,
 * distinct ids and exactly one of url and pipeline; parsed credentials
 * have a non-empty user and password without a newline.
 */
#include <glib.h>
#include <seecitv/deviceid.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve-config.h"

#define PATH "fuzz.conf"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
die (const char *what)
{
  fprintf (stderr, "fuzz-serveconfig: %s\n", what);
  abort ();
}

static void
check_error (GError * err)
{
  if (err == NULL || err->domain != SEECITV_SERVE_CONFIG_ERROR)
    die ("failure without a SEECITV_SERVE_CONFIG_ERROR");
  if (!g_str_has_prefix (err->message, PATH ": "))
    die ("error message does not start with the file name");
  if (!g_utf8_validate (err->message, -1, NULL))
    die ("error message is not UTF-8");
  g_error_free (err);
}

static void
fuzz_config (const gchar * data, gsize size)
{
  GError *err = NULL;
  SeecitvServeConfig *c = seecitv_serve_config_parse (data, size, PATH,
      &err);

  if (c == NULL) {
    check_error (err);
    return;
  }
  if (err != NULL || c->devices->len == 0 ||
      c->devices->len > SEECITV_SERVE_MAX_DEVICES)
    die ("inconsistent success");
  if (c->rtsp && (c->rtsp_credentials_file == NULL ||
          c->rtsp_address == NULL))
    die ("[rtsp] without credentials or address");
  if (c->webhook_url != NULL && (c->webhook_secret_file == NULL ||
          c->webhook_queue_size == 0 ||
          c->webhook_retry_max_ms < c->webhook_retry_initial_ms))
    die ("[webhook] accepted with bad values");
  for (guint i = 0; i < c->devices->len; i++) {
    SeecitvServeDevice *d = g_ptr_array_index (c->devices, i);

    if (!seecitv_device_id_is_valid (d->id))
      die ("invalid device id accepted");
    if ((d->url == NULL) == (d->pipeline == NULL))
      die ("device without exactly one of url and pipeline");
    if ((d->recording_dir == NULL) != (d->keystore == NULL))
      die ("recording-dir without keystore accepted");
    for (guint j = 0; j < i; j++)
      if (strcmp (d->id, ((SeecitvServeDevice *)
                  g_ptr_array_index (c->devices, j))->id) == 0)
        die ("duplicate device id accepted");
  }
  seecitv_serve_config_free (c);
}

static void
fuzz_credentials (const gchar * data, gsize size)
{
  GError *err = NULL;
  GPtrArray *cr = seecitv_serve_credentials_parse (data, size, PATH, &err);

  if (cr == NULL) {
    check_error (err);
    return;
  }
  if (err != NULL || cr->len == 0)
    die ("inconsistent credentials success");
  for (guint i = 0; i < cr->len; i++) {
    SeecitvServeCredential *c = g_ptr_array_index (cr, i);

    if (*c->user == '\0' || *c->password == '\0' ||
        strchr (c->user, ':') != NULL || strchr (c->password, '\n') != NULL)
      die ("bad credential accepted");
  }
  g_ptr_array_unref (cr);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* an exact-size copy, so that reads past the end are caught */
  gchar *copy = g_memdup2 (data, size);

  fuzz_config (copy, size);
  fuzz_credentials (copy, size);
  g_free (copy);
  return 0;
}
